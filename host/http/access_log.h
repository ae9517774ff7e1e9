/*
 * What every request leaves behind, on the HTTP threads and without blocking: its X-Request-ID
 * (the client's when it is a plain token, else a new UUID4-style one), the X-Request-ID and
 * X-Process-Time response headers, the HTTP metrics, and one log line with the id and latency.
 * Only method, path, status, id and latency are logged: never headers, bodies or query strings,
 * where API keys travel. /health takes its own allocation-free path and is only counted.
 */
#ifndef SKALD_HTTP_ACCESS_LOG_H
#define SKALD_HTTP_ACCESS_LOG_H

#include <microhttpd.h>
#include <stdint.h>

#define HTTP_REQUEST_ID_CAP 129 /* 128 characters and the NUL */

struct http_access {
    char id[HTTP_REQUEST_ID_CAP];
    const char *route;  /* the matched route's path pattern (static); NULL when none matched */
    unsigned status;    /* of the response queued; 0 until then */
};

/* At the request's first handler call: chooses its id and counts it in flight. */
void http_access_begin(struct http_access *a, struct MHD_Connection *conn);
/* When its response is queued: adds X-Request-ID and X-Process-Time and notes the status. */
void http_access_respond(struct http_access *a, struct MHD_Response *resp, unsigned status,
                         int64_t started_ns);
/* At completion: records the metrics and writes the log line. A request completed without a
 * response (the client went away) is recorded with status 499. */
void http_access_end(const struct http_access *a, const char *method, const char *url,
                     int64_t started_ns);

/* Whether a client's X-Request-ID is usable as is: [A-Za-z0-9._:-]{1,128}. */
int http_access_id_valid(const char *id);

#endif
