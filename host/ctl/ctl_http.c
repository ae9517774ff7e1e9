#include "ctl_http.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *data;
    size_t len;
    int oom;
};

/* The response is accumulated whole: every route answers with one JSON document. */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;
    size_t n = size * nmemb;
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown) {
        b->oom = 1;
        return 0; /* makes curl fail the transfer instead of returning a truncated body */
    }
    b->data = grown;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

int ctl_path_query(char *out, size_t outlen, const char *path, ...)
{
    size_t used = (size_t)snprintf(out, outlen, "%s", path);
    if (used >= outlen)
        return CTL_USAGE;
    char sep = '?';
    va_list ap;
    va_start(ap, path);
    const char *name;
    int rc = CTL_OK;
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        if (!value)
            continue;
        /* curl_easy_escape needs no handle since 7.82; NULL keeps this free of a CURL*. */
        char *esc = curl_easy_escape(NULL, value, 0);
        if (!esc) {
            rc = CTL_USAGE;
            break;
        }
        int n = snprintf(out + used, outlen - used, "%c%s=%s", sep, name, esc);
        curl_free(esc);
        if (n < 0 || (size_t)n >= outlen - used) {
            rc = CTL_USAGE;
            break;
        }
        used += (size_t)n;
        sep = '&';
    }
    va_end(ap);
    return rc;
}

int ctl_path_segment(char *out, size_t outlen, const char *prefix, const char *segment, const char *suffix)
{
    char *esc = curl_easy_escape(NULL, segment, 0);
    if (!esc)
        return CTL_USAGE;
    int n = snprintf(out, outlen, "%s%s%s", prefix, esc, suffix);
    curl_free(esc);
    return n < 0 || (size_t)n >= outlen ? CTL_USAGE : CTL_OK;
}

/* Turns a parsed body into the call's outcome: an error envelope or an HTTP error is a server
 * error, anything else is the result. */
static int take_result(json_t *doc, long status, json_t **result, char *err, size_t errlen)
{
    json_t *e = json_object_get(doc, "error");
    const char *st = json_string_value(json_object_get(doc, "status"));
    if (status >= 400 || (st && strcmp(st, "error") == 0) || json_is_object(e)) {
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        snprintf(err, errlen, "%s: %s (HTTP %ld)", code ? code : "ERROR", msg ? msg : "no message", status);
        return CTL_SERVER_ERROR;
    }
    /* /health and /ready answer without an envelope: their whole body is the result. */
    json_t *r = json_object_get(doc, "result");
    *result = json_incref(r ? r : doc);
    return CTL_OK;
}

/* One request: a JSON body, or the multipart form {file: upload} when upload is set. */
static int exchange(const struct ctl *c, const char *method, const char *path, json_t *body, const char *upload,
                    json_t **result, char *err, size_t errlen)
{
    *result = NULL;
    char url[8192];
    int n = snprintf(url, sizeof url, "%s%s", c->url, path);
    if (n < 0 || (size_t)n >= sizeof url) {
        snprintf(err, errlen, "URL too long");
        return CTL_USAGE;
    }
    char *payload = NULL;
    /* A POST without a body still needs an empty JSON object: the server parses every POST body. */
    const char *send = !upload && strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0 ? "{}" : NULL;
    if (body) {
        payload = json_dumps(body, JSON_COMPACT);
        if (!payload) {
            snprintf(err, errlen, "cannot encode the request body");
            return CTL_USAGE;
        }
        send = payload;
    }
    CURL *h = curl_easy_init();
    struct curl_slist *headers = NULL, *next;
    curl_mime *form = NULL;
    struct buf b = {0};
    char key_header[1024];
    int rc = CTL_NO_CONNECT;
    if (!h) {
        snprintf(err, errlen, "cannot initialise libcurl");
        goto out;
    }
    if (upload) {
        /* curl reads the file while sending and names the part after its base name. */
        curl_mimepart *part;
        if (!(form = curl_mime_init(h)) || !(part = curl_mime_addpart(form)) ||
            curl_mime_name(part, "file") != CURLE_OK || curl_mime_filedata(part, upload) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_MIMEPOST, form) != CURLE_OK)
            goto oom;
    } else {
        next = curl_slist_append(headers, "Content-Type: application/json");
        if (!next)
            goto oom;
        headers = next;
    }
    if (c->api_key) {
        n = snprintf(key_header, sizeof key_header, "X-API-Key: %s", c->api_key);
        if (n < 0 || (size_t)n >= sizeof key_header) {
            snprintf(err, errlen, "API key too long");
            rc = CTL_USAGE;
            goto out;
        }
        next = curl_slist_append(headers, key_header);
        if (!next)
            goto oom;
        headers = next;
    }
    char curl_err[CURL_ERROR_SIZE] = "";
    if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        /* A dead server must be reported quickly; a slow one (wait, reindex) may take long. */
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L) != CURLE_OK ||
        (send && curl_easy_setopt(h, CURLOPT_POSTFIELDS, send) != CURLE_OK)) {
        /* Only an out-of-memory libcurl refuses these options; nothing reached the server. */
        snprintf(err, errlen, "cannot configure libcurl");
        goto out;
    }
    CURLcode cc = curl_easy_perform(h);
    if (b.oom)
        goto oom;
    if (cc == CURLE_READ_ERROR && upload) {
        snprintf(err, errlen, "cannot read %s", upload);
        rc = CTL_USAGE;
        goto out;
    }
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "cannot reach %s: %s", c->url, curl_err[0] ? curl_err : curl_easy_strerror(cc));
        goto out;
    }
    long status = 0;
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
        snprintf(err, errlen, "no HTTP status from %s", c->url);
        goto out;
    }
    json_error_t jerr;
    json_t *doc = b.data ? json_loads(b.data, JSON_DECODE_ANY, &jerr) : NULL;
    if (!doc) {
        snprintf(err, errlen, "HTTP %ld with a body that is not JSON", status);
        rc = CTL_SERVER_ERROR;
        goto out;
    }
    rc = take_result(doc, status, result, err, errlen);
    json_decref(doc);
    goto out;
oom:
    /* Nothing was exchanged with the server, which is what exit code 3 tells the caller. */
    snprintf(err, errlen, "out of memory");
    rc = CTL_NO_CONNECT;
out:
    curl_mime_free(form);
    curl_slist_free_all(headers);
    if (h)
        curl_easy_cleanup(h);
    free(b.data);
    free(payload);
    return rc;
}

int ctl_call(const struct ctl *c, const char *method, const char *path, json_t *body, json_t **result,
             char *err, size_t errlen)
{
    return exchange(c, method, path, body, NULL, result, err, errlen);
}

int ctl_upload(const struct ctl *c, const char *path, const char *file, json_t **result, char *err, size_t errlen)
{
    return exchange(c, "POST", path, NULL, file, result, err, errlen);
}
