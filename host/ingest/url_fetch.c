/* http(s) fetches with the address check inside libcurl's connect path. */
#include "ingest/url_fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "ingest/addr_policy.h"
#include "ingest/ingest_status.h"

struct fetch_ctx {
    const struct url_fetch_opts *opts;
    unsigned char *buf;
    size_t len, cap;
    uint64_t max;
    int too_big, nomem, refused;
    char refused_why[256];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct url_fetch_opts url_fetch_opts_default(void)
{
    struct url_fetch_opts o = {URL_FETCH_DEFAULT_MAX_BYTES, URL_FETCH_DEFAULT_TIMEOUT_MS,
                               URL_FETCH_DEFAULT_CONNECT_TIMEOUT_MS,
                               URL_FETCH_DEFAULT_MAX_REDIRECTS, 0, NULL};
    return o;
}

/* Called by libcurl for every connection it is about to make, with the resolved address. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct fetch_ctx *c = clientp;
    char why[sizeof c->refused_why];
    if (purpose != CURLSOCKTYPE_IPCXN) {
        snprintf(why, sizeof why, "unexpected socket purpose");
    } else if (addr_policy_allows(&a->addr, (socklen_t)a->addrlen, c->opts->allow_private, why,
                                  sizeof why)) {
        return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    }
    if (!c->refused)
        memcpy(c->refused_why, why, sizeof why);
    c->refused = 1;
    return CURL_SOCKET_BAD;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct fetch_ctx *c = userdata;
    size_t n = size * nmemb;
    if (n > c->max - c->len) {
        c->too_big = 1;
        return 0;
    }
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 64 * 1024;
        while (cap < c->len + n + 1)
            cap *= 2;
        unsigned char *b = realloc(c->buf, cap);
        if (!b) {
            c->nomem = 1;
            return 0;
        }
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    return n;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const struct fetch_ctx *c = userdata;
    return atomic_load(c->opts->cancel) ? 1 : 0;
}

int url_fetch_check_url(const char *url, char *err, size_t err_cap)
{
    if (!url || !url[0]) {
        snprintf(err, err_cap, "empty URL");
        return INGEST_EINVAL;
    }
    if (strlen(url) > URL_FETCH_URL_MAX) {
        snprintf(err, err_cap, "URL is longer than %d bytes", URL_FETCH_URL_MAX);
        return INGEST_EINVAL;
    }
    CURLU *u = curl_url();
    if (!u) {
        snprintf(err, err_cap, "out of memory");
        return INGEST_ENOMEM;
    }
    char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
    int rc = INGEST_EINVAL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        snprintf(err, err_cap, "not a valid URL: %s", url);
    } else if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
        snprintf(err, err_cap, "only http and https URLs can be fetched, not %s", scheme);
    } else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
        snprintf(err, err_cap, "URL has no host: %s", url);
    } else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
               curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK) {
        /* Credentials would end up in logs and in the stored source_path. */
        snprintf(err, err_cap, "URL must not carry a user name or password");
    } else {
        rc = INGEST_OK;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    return rc;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* The last non-empty path segment of url, percent-decoded, else its host. */
static void derive_file_name(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    CURLU *u = curl_url();
    if (!u)
        return;
    char *path = NULL, *host = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
        size_t end = strlen(path);
        while (end > 0 && path[end - 1] == '/')
            end--;
        size_t start = end;
        while (start > 0 && path[start - 1] != '/')
            start--;
        size_t o = 0;
        for (size_t i = start; i < end && o + 1 < cap; i++) {
            int hi, lo;
            if (path[i] == '%' && i + 2 < end && (hi = hex_digit(path[i + 1])) >= 0 &&
                (lo = hex_digit(path[i + 2])) >= 0) {
                char ch = (char)(hi * 16 + lo);
                i += 2;
                if (ch == '/')
                    o = 0; /* an encoded '/' starts a new segment */
                else if (ch != '\0')
                    out[o++] = ch;
            } else {
                out[o++] = path[i];
            }
        }
        out[o] = '\0';
    }
    if (!out[0] && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        snprintf(out, cap, "%s", host);
    curl_free(path);
    curl_free(host);
    curl_url_cleanup(u);
}

static int map_curl_error(CURLcode rc, const struct fetch_ctx *c, const char *url,
                          const char *detail, char *err, size_t err_cap)
{
    if (c->refused) {
        snprintf(err, err_cap, "refused to fetch %s: %s", url, c->refused_why);
        return INGEST_EDENIED;
    }
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
        snprintf(err, err_cap, "refused to fetch %s: redirected to a URL that is not http(s)",
                 url);
        return INGEST_EDENIED;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(err, err_cap, "fetching %s took longer than %ld ms", url, c->opts->timeout_ms);
        return INGEST_ETIMEDOUT;
    case CURLE_FILESIZE_EXCEEDED:
        snprintf(err, err_cap, "%s is larger than the %llu-byte limit", url,
                 (unsigned long long)c->max);
        return INGEST_ETOOBIG;
    case CURLE_WRITE_ERROR:
        if (c->nomem) {
            snprintf(err, err_cap, "out of memory fetching %s", url);
            return INGEST_ENOMEM;
        }
        snprintf(err, err_cap, "%s is larger than the %llu-byte limit", url,
                 (unsigned long long)c->max);
        return INGEST_ETOOBIG;
    case CURLE_ABORTED_BY_CALLBACK:
        snprintf(err, err_cap, "fetching %s was cancelled", url);
        return INGEST_ECANCELLED;
    case CURLE_TOO_MANY_REDIRECTS:
        snprintf(err, err_cap, "fetching %s: more than %d redirects", url,
                 c->opts->max_redirects);
        return INGEST_EFETCH;
    case CURLE_OUT_OF_MEMORY:
        snprintf(err, err_cap, "out of memory fetching %s", url);
        return INGEST_ENOMEM;
    default:
        snprintf(err, err_cap, "fetching %s failed: %s%s%s", url, curl_easy_strerror(rc),
                 detail[0] ? ": " : "", detail);
        return INGEST_EFETCH;
    }
}

int url_fetch(const char *url, const struct url_fetch_opts *opts, struct url_fetch_result *out,
              char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    int rc = url_fetch_check_url(url, err, err_cap);
    if (rc != INGEST_OK)
        return rc;
    struct url_fetch_opts o = opts ? *opts : url_fetch_opts_default();
    if (!o.max_bytes)
        o.max_bytes = URL_FETCH_DEFAULT_MAX_BYTES;
    if (o.timeout_ms <= 0)
        o.timeout_ms = URL_FETCH_DEFAULT_TIMEOUT_MS;
    if (o.connect_timeout_ms <= 0)
        o.connect_timeout_ms = URL_FETCH_DEFAULT_CONNECT_TIMEOUT_MS;
    if (o.max_redirects < 0)
        o.max_redirects = URL_FETCH_DEFAULT_MAX_REDIRECTS;
    if (pthread_once(&curl_once, curl_init) != 0 || curl_init_rc != CURLE_OK) {
        snprintf(err, err_cap, "libcurl failed to initialise");
        return INGEST_EIO;
    }
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, err_cap, "out of memory");
        return INGEST_ENOMEM;
    }
    struct fetch_ctx c = {.opts = &o, .max = o.max_bytes};
    char detail[CURL_ERROR_SIZE] = "";
    CURLcode cc = CURLE_OK;
#define SET(opt, val)                                                                              \
    if (cc == CURLE_OK)                                                                            \
    cc = curl_easy_setopt(h, opt, val)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, (long)o.max_redirects);
    SET(CURLOPT_PROXY, ""); /* no proxy from the environment: it would connect past the check */
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, o.timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(o.max_bytes > INT64_MAX ? INT64_MAX : o.max_bytes));
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_USERAGENT, "skald");
    SET(CURLOPT_ERRORBUFFER, detail);
    SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
    SET(CURLOPT_OPENSOCKETDATA, &c);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, &c);
    if (o.cancel) {
        SET(CURLOPT_NOPROGRESS, 0L);
        SET(CURLOPT_XFERINFOFUNCTION, on_progress);
        SET(CURLOPT_XFERINFODATA, &c);
    }
#undef SET
    if (cc != CURLE_OK) {
        snprintf(err, err_cap, "libcurl setup failed: %s", curl_easy_strerror(cc));
        curl_easy_cleanup(h);
        return INGEST_EIO;
    }
    cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        rc = map_curl_error(cc, &c, url, detail, err, err_cap);
    } else {
        long status = 0;
        char *ctype = NULL, *final_url = NULL;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
        curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &final_url);
        if (status < 200 || status > 299) {
            snprintf(err, err_cap, "fetching %s: HTTP status %ld", url, status);
            rc = INGEST_EFETCH;
        } else if (!c.buf && !(c.buf = malloc(1))) {
            snprintf(err, err_cap, "out of memory");
            rc = INGEST_ENOMEM;
        } else {
            c.buf[c.len] = '\0';
            out->body = c.buf;
            out->len = c.len;
            out->http_status = status;
            snprintf(out->content_type, sizeof out->content_type, "%s", ctype ? ctype : "");
            derive_file_name(final_url ? final_url : url, out->file_name, sizeof out->file_name);
            c.buf = NULL;
        }
    }
    free(c.buf);
    curl_easy_cleanup(h);
    return rc;
}

void url_fetch_result_free(struct url_fetch_result *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}
