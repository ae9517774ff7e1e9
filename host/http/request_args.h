/*
 * Copies of a request's headers, query arguments and path parameters, taken on the HTTP thread
 * when the request is dispatched, so handlers on workers never touch the libmicrohttpd connection.
 */
#ifndef SKALD_HTTP_REQUEST_ARGS_H
#define SKALD_HTTP_REQUEST_ARGS_H

#include <microhttpd.h>
#include <stddef.h>

#define HTTP_MAX_PATH_PARAMS 4

struct http_arg {
    char *key;   /* owned */
    char *value; /* owned; "" for a query argument without '=' */
    int is_header;
};

struct http_args {
    struct http_arg *items; /* owned */
    size_t n, cap;
    char *params[HTTP_MAX_PATH_PARAMS]; /* path parameters matched by the router; owned */
    size_t n_params;
    char nul_key[64]; /* the header or argument whose value held a NUL (capture returned -2) */
};

/* Copies every header and query argument of conn. Returns 0, -1 when out of memory, or -2 when
 * a key or value holds a NUL byte (a decoded %00; nul_key names it). */
int http_args_capture(struct MHD_Connection *conn, struct http_args *out);
void http_args_free(struct http_args *a);

/* The header's value (case-insensitive name), or NULL. */
const char *http_args_header(const struct http_args *a, const char *name);
/* The query argument's value (the first one when repeated), or NULL. */
const char *http_args_query(const struct http_args *a, const char *name);

#endif
