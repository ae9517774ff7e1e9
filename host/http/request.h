/*
 * One HTTP request, from its first handler call to libmicrohttpd's completion callback.
 * Two parties may hold it: libmicrohttpd (until completion) and a worker task (until the task
 * ends). `refs` counts them; the last one frees it.
 */
#ifndef SKALD_HTTP_REQUEST_H
#define SKALD_HTTP_REQUEST_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/app.h"
#include "http/access_log.h"
#include "http/reply.h"
#include "http/request_args.h"
#include "runtime/generation.h"

enum request_state {
    REQUEST_READING = 0,   /* headers and body arriving */
    REQUEST_RUNNING = 1,   /* suspended, a worker task owns the work */
    REQUEST_ANSWERED = 2,  /* reply ready (set by the worker or by shutdown), connection resumed */
};

struct http_request;

/* Runs on a worker with a pinned generation (NULL before the first one); fills reply. */
typedef void (*http_async_fn)(struct http_request *req, struct generation *gen,
                              struct http_reply *reply);

struct http_request {
    struct MHD_Connection *conn;
    struct http_server *server;
    struct app *app;
    char method[16];            /* copies: libmicrohttpd's strings die with the connection, */
    char *url;                  /* which shutdown's 503 may close before it logs them; url owned */
    char *body;                 /* owned, NUL-terminated */
    size_t body_len;
    int body_too_large;
    int handler_calls;
    atomic_int state;           /* enum request_state */
    atomic_int refs;
    atomic_int cancel;          /* cancel flag of the backend calls made for this request */
    http_async_fn async_fn;
    struct http_reply reply;    /* written by whoever moved state to ANSWERED */
    int64_t started_ns;
    struct http_access access;  /* request id, route and status for the log and metrics */
    struct http_args args;      /* headers, query and path parameters, copied at dispatch */
    int deferred;               /* its handler returned without answering (see http_request_defer) */
    struct http_request *prev_in_flight, *next_in_flight; /* guarded by the server's lock */
};

/* A header (case-insensitive), query argument or path parameter of the request, or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);
const char *http_request_query(const struct http_request *req, const char *name);
const char *http_request_param(const struct http_request *req, size_t i);

/* From an async handler: keep the request suspended after the handler returns, taking a
 * reference for whoever will answer it later with http_request_finish (exactly once, from any
 * thread but the HTTP thread). Shutdown may answer it first; finish then drops its reply. */
void http_request_defer(struct http_request *req);
void http_request_finish(struct http_request *req, struct http_reply *reply);

/* Fills a call context for a backend call made for req, with the configured call deadline. */
void http_request_call_ctx(struct http_request *req, struct generation *gen,
                           struct skald_call_ctx *ctx, char *err, size_t err_cap);

#endif
