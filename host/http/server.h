/*
 * The HTTP server: libmicrohttpd on its own internal threads. Handlers on those threads never
 * block: work that touches a backend, SQLite or disk is handed to the worker pool while the
 * connection is suspended, and the worker resumes it with the answer. Every suspended request is
 * tracked so shutdown can answer it before stopping libmicrohttpd (which aborts the process if a
 * connection is still suspended).
 */
#ifndef SKALD_HTTP_SERVER_H
#define SKALD_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/app.h"

struct http_server *http_server_start(struct app *app, char *err, size_t err_cap);

/* Stops accepting connections; open ones keep being served. */
void http_server_quiesce(struct http_server *s);

/* Waits until every suspended request is answered or deadline_ns passes; then raises the cancel
 * flag of the calls still running, waits grace_ns more, and answers what is left with
 * 503 UNAVAILABLE. Finally waits up to grace_ns for those answers to be sent. */
void http_server_drain(struct http_server *s, int64_t deadline_ns, int64_t grace_ns);

/* Requests currently suspended on a worker. */
size_t http_server_in_flight(struct http_server *s);

/* Stops libmicrohttpd and frees the server (unless worker threads are stuck in a call and may
 * still touch it). Call after http_server_drain and workers_stop. */
void http_server_stop(struct http_server *s, int workers_stuck);

#endif
