/*
 * Fetching a document from a public http(s) URL (libcurl), for POST /api/v1/resources with a
 * remote `path`. Blocks up to the time limit: worker threads only. Thread-safe.
 *
 * SSRF defence: the address check (addr_policy.h) runs inside libcurl's open-socket callback,
 * on the very address about to be connected, after libcurl's own DNS resolution and for every
 * connection of every redirect hop. A refused address gets no socket at all, so the target
 * never sees a connection, and DNS answers cannot change between check and use. Proxies from
 * the environment are ignored (a proxy would connect on our behalf, past the check). Only
 * http and https are allowed, for the first URL and for redirects, which are followed up to
 * max_redirects. Bodies are capped at max_bytes as declared (Content-Length) and as received
 * (after content decoding), and the whole transfer at timeout_ms.
 */
#ifndef SKALD_INGEST_URL_FETCH_H
#define SKALD_INGEST_URL_FETCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define URL_FETCH_DEFAULT_MAX_BYTES (10ULL * 1024 * 1024)
#define URL_FETCH_DEFAULT_TIMEOUT_MS 30000L
#define URL_FETCH_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define URL_FETCH_DEFAULT_MAX_REDIRECTS 5
#define URL_FETCH_URL_MAX 8192

struct url_fetch_opts {
    uint64_t max_bytes;       /* 0 = URL_FETCH_DEFAULT_MAX_BYTES */
    long timeout_ms;          /* whole transfer; 0 = URL_FETCH_DEFAULT_TIMEOUT_MS */
    long connect_timeout_ms;  /* 0 = URL_FETCH_DEFAULT_CONNECT_TIMEOUT_MS */
    int max_redirects;        /* < 0 = URL_FETCH_DEFAULT_MAX_REDIRECTS; 0 = follow none */
    int allow_private;        /* also allow private addresses (see addr_policy.h) */
    const atomic_int *cancel; /* optional: the transfer stops soon after it becomes non-zero */
};

/* The options with every default filled in (max_redirects = URL_FETCH_DEFAULT_MAX_REDIRECTS). */
struct url_fetch_opts url_fetch_opts_default(void);

struct url_fetch_result {
    unsigned char *body;   /* owned: the bytes plus a NUL after them */
    size_t len;
    long http_status;      /* of the last response */
    char content_type[128]; /* its Content-Type, "" when absent */
    char file_name[256];   /* last non-empty path segment of the final URL, percent-decoded;
                              the host name when the path has none; not sanitised */
};

/* Checks a URL before any network use: http or https, a host, no user:password part, at most
 * URL_FETCH_URL_MAX bytes. INGEST_OK or INGEST_EINVAL. */
int url_fetch_check_url(const char *url, char *err, size_t err_cap);

/* Fetches url into out (zeroed first; free with url_fetch_result_free()). opts may be NULL for
 * the defaults. Errors: INGEST_EINVAL (bad URL), INGEST_EDENIED (a refused address, or a
 * redirect to a scheme other than http/https; err names the address), INGEST_ETOOBIG (body over
 * max_bytes), INGEST_ETIMEDOUT, INGEST_ECANCELLED, INGEST_EFETCH (DNS or connection failure, too
 * many redirects, HTTP status outside 2xx), INGEST_ENOMEM. On error out holds nothing. */
int url_fetch(const char *url, const struct url_fetch_opts *opts, struct url_fetch_result *out,
              char *err, size_t err_cap);

void url_fetch_result_free(struct url_fetch_result *r);

#endif
