#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/access_log.h"
#include "http/request.h"
#include "http/router.h"
#include "metrics/metrics_http.h"

/* Measured on this machine kind: one epoll thread stalls at >= 128 connections, a pool of two
 * epoll threads does not and beats nginx (docs/architecture.md, docs/performance.md). */
#define HTTP_THREAD_POOL_SIZE 2
#define HTTP_CONNECTION_LIMIT 8192
#define HTTP_IDLE_TIMEOUT_S 120

struct http_server {
    struct app *app;
    struct MHD_Daemon *daemon;
    int listen_fd;
    struct MHD_Response *health_response; /* shared by every /health answer */
    pthread_mutex_t lock;
    pthread_cond_t changed;               /* in-flight set shrank (CLOCK_MONOTONIC) */
    struct http_request *in_flight;       /* suspended requests, guarded by lock */
    size_t n_in_flight;
    atomic_size_t resumes_pending;        /* answered, MHD_resume_connection not yet returned */
    atomic_size_t answers_unsent;         /* resumed after suspension, not yet completed */
    int closed;                           /* draining: no new suspension; guarded by lock */
};

/* /health requests carry this marker instead of a request object: the liveness probe allocates
 * nothing; it only bumps one relaxed atomic counter for /metrics. */
static int health_marker;

/* One prebuilt body per auth mode (a restart-only setting), so /health formats nothing. */
#define HEALTH_BODY(mode) \
    "{\"status\":\"ok\",\"healthy\":true,\"version\":\"" SKALD_VERSION "\",\"auth_mode\":\"" mode "\"}"
static const char health_body_dev[] = HEALTH_BODY("dev");
static const char health_body_api_key[] = HEALTH_BODY("api_key");

static void request_unref(struct http_request *req)
{
    if (atomic_fetch_sub(&req->refs, 1) != 1)
        return;
    http_reply_clear(&req->reply);
    free(req->body);
    free(req->url);
    http_args_free(&req->args);
    free(req);
}

const char *http_request_header(const struct http_request *req, const char *name)
{
    return http_args_header(&req->args, name);
}

const char *http_request_query(const struct http_request *req, const char *name)
{
    return http_args_query(&req->args, name);
}

const char *http_request_param(const struct http_request *req, size_t i)
{
    return i < req->args.n_params ? req->args.params[i] : NULL;
}

static void in_flight_remove_locked(struct http_server *s, struct http_request *req)
{
    if (req->prev_in_flight)
        req->prev_in_flight->next_in_flight = req->next_in_flight;
    else
        s->in_flight = req->next_in_flight;
    if (req->next_in_flight)
        req->next_in_flight->prev_in_flight = req->prev_in_flight;
    req->prev_in_flight = req->next_in_flight = NULL;
    s->n_in_flight--;
    pthread_cond_broadcast(&s->changed);
}

/* Hands `reply` to a suspended request and resumes it, unless someone answered it first (then the
 * reply is dropped). Whoever wins moves state RUNNING -> ANSWERED under the lock. */
static int request_answer(struct http_request *req, struct http_reply *reply)
{
    struct http_server *s = req->server;
    int expected = REQUEST_RUNNING;
    pthread_mutex_lock(&s->lock);
    int won = atomic_compare_exchange_strong(&req->state, &expected, REQUEST_ANSWERED);
    if (won) {
        req->reply = *reply;
        in_flight_remove_locked(s, req);
        atomic_fetch_add(&s->resumes_pending, 1);
        atomic_fetch_add(&s->answers_unsent, 1);
    }
    pthread_mutex_unlock(&s->lock);
    if (!won) {
        http_reply_clear(reply);
        return 0;
    }
    *reply = (struct http_reply){0}; /* req->reply owns it now */
    MHD_resume_connection(req->conn);
    atomic_fetch_sub(&s->resumes_pending, 1);
    return 1;
}

static void request_task(void *arg)
{
    struct http_request *req = arg;
    struct app *app = req->app;
    struct http_reply reply = {0};
    /* Shutdown may have answered it while it waited in the pool; then there is nothing to do. */
    if (atomic_load(&req->state) == REQUEST_RUNNING) {
        struct generation *gen = runtime_acquire(&app->runtime);
        req->async_fn(req, gen, &reply);
        if (gen)
            runtime_release(&app->runtime, gen);
        if (req->deferred) {
            http_reply_clear(&reply);
            request_unref(req);
            return;
        }
        if (reply.status == 0)
            http_reply_error(&reply, "INTERNAL", NULL, "Internal server error");
    }
    request_answer(req, &reply);
    request_unref(req);
}

void http_request_defer(struct http_request *req)
{
    atomic_fetch_add(&req->refs, 1);
    req->deferred = 1;
}

void http_request_finish(struct http_request *req, struct http_reply *reply)
{
    if (reply->status == 0)
        http_reply_error(reply, "INTERNAL", NULL, "Internal server error");
    request_answer(req, reply);
    request_unref(req);
}

void http_request_call_ctx(struct http_request *req, struct generation *gen,
                           struct skald_call_ctx *ctx, char *err, size_t err_cap)
{
    unsigned timeout_s = gen ? gen->config->server.call_timeout_s : 30;
    memset(ctx, 0, sizeof *ctx);
    ctx->struct_size = sizeof *ctx;
    ctx->deadline_ns = clock_monotonic_ns() + (int64_t)timeout_s * 1000000000LL;
    ctx->cancel = &req->cancel;
    ctx->err = err;
    ctx->err_cap = err_cap;
    err[0] = '\0';
}

/* A download: the bytes as they are, with their type and file name. */
static enum MHD_Result queue_bytes(struct http_request *req, struct http_reply *reply)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(reply->bytes_len, reply->bytes,
                                                                MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            reply->content_type ? reply->content_type : "application/octet-stream");
    if (reply->disposition)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, reply->disposition);
    unsigned status = reply->status ? reply->status : 200;
    http_access_respond(&req->access, resp, status, req->started_ns);
    enum MHD_Result rc = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result queue_reply(struct http_request *req, struct http_reply *reply)
{
    if (reply->bytes)
        return queue_bytes(req, reply);
    char *text = reply->body ? json_dumps(reply->body, JSON_COMPACT) : NULL;
    unsigned status = reply->status ? reply->status : 500;
    struct MHD_Response *resp;
    if (text) {
        resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    } else {
        static const char fallback[] =
            "{\"status\":\"error\",\"error\":{\"code\":\"INTERNAL\",\"message\":\"out of memory\",\"details\":null}}";
        status = 500;
        resp = MHD_create_response_from_buffer(sizeof fallback - 1, (void *)fallback,
                                               MHD_RESPMEM_PERSISTENT);
    }
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    http_access_respond(&req->access, resp, status, req->started_ns);
    enum MHD_Result rc = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result reply_now(struct http_request *req, struct http_reply *reply)
{
    enum MHD_Result rc = queue_reply(req, reply);
    http_reply_clear(reply);
    return rc;
}

static enum MHD_Result request_defer(struct http_server *s, struct http_request *req,
                                     http_async_fn fn)
{
    req->async_fn = fn;
    atomic_store(&req->state, REQUEST_RUNNING);
    pthread_mutex_lock(&s->lock);
    if (s->closed) {
        /* Shutdown already answered everything suspended; suspending now would outlive it. */
        pthread_mutex_unlock(&s->lock);
        atomic_store(&req->state, REQUEST_READING);
        struct http_reply reply = {0};
        http_reply_error(&reply, "UNAVAILABLE", NULL, "server is shutting down");
        return reply_now(req, &reply);
    }
    atomic_fetch_add(&req->refs, 1);
    req->next_in_flight = s->in_flight;
    if (s->in_flight)
        s->in_flight->prev_in_flight = req;
    s->in_flight = req;
    s->n_in_flight++;
    pthread_mutex_unlock(&s->lock);
    /* Suspend before the task can run, so its resume always finds a suspended connection. */
    MHD_suspend_connection(req->conn);
    if (workers_submit(req->app->workers, request_task, req) != 0) {
        struct http_reply reply = {0};
        http_reply_error(&reply, "UNAVAILABLE", NULL, "server is shutting down");
        request_answer(req, &reply);
        request_unref(req);
    }
    return MHD_YES;
}

static enum MHD_Result request_dispatch(struct http_server *s, struct http_request *req)
{
    struct http_reply reply = {0};
    if (req->body_too_large) {
        http_reply_error(&reply, "PAYLOAD_TOO_LARGE", NULL, "request body is over the %llu-byte limit",
                         (unsigned long long)atomic_load(&s->app->max_body));
        return reply_now(req, &reply);
    }
    const struct route *route = NULL;
    enum route_match m = router_find(req->method, req->url, &route, &req->args);
    if (m == ROUTE_FOUND && route->debug_only && !atomic_load(&s->app->debug_routes))
        m = ROUTE_NO_PATH;
    if (m == ROUTE_NO_PATH) {
        http_reply_error(&reply, "NOT_FOUND", NULL, "Not Found");
        return reply_now(req, &reply);
    }
    if (m == ROUTE_WRONG_METHOD) {
        http_reply_error(&reply, "UNKNOWN", NULL, "Method %s not allowed on %s", req->method, req->url);
        return reply_now(req, &reply);
    }
    req->access.route = route->path;
    if (route->sync_fn) {
        route->sync_fn(req, &reply);
        return reply_now(req, &reply);
    }
    if (atomic_load(&s->app->shutting_down)) {
        http_reply_error(&reply, "UNAVAILABLE", NULL, "server is shutting down");
        return reply_now(req, &reply);
    }
    int captured = http_args_capture(req->conn, &req->args);
    if (captured == -2) {
        http_reply_error(&reply, "INVALID_ARGUMENT", NULL,
                         "Invalid request parameters: %s: a NUL character is not allowed",
                         req->args.nul_key);
        return reply_now(req, &reply);
    }
    if (captured != 0) {
        http_reply_error(&reply, "RESOURCE_EXHAUSTED", NULL, "out of memory");
        return reply_now(req, &reply);
    }
    return request_defer(s, req, route->async_fn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *s = cls;
    if (*con_cls == &health_marker) {
        if (*upload_data_size > 0) {
            *upload_data_size = 0;
            return MHD_YES;
        }
        metrics_http_health();
        return MHD_queue_response(conn, MHD_HTTP_OK, s->health_response);
    }
    struct http_request *req = *con_cls;
    if (!req) {
        if (strcmp(url, "/health") == 0 && strcmp(method, "GET") == 0 &&
            !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
            *con_cls = &health_marker;
            return MHD_YES;
        }
        /* Answering in this first call would turn keep-alive off (libmicrohttpd 0.9.75), so the
         * request is only registered here, except for bodies that are too large anyway. */
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        req->conn = conn;
        req->server = s;
        req->app = s->app;
        snprintf(req->method, sizeof req->method, "%s", method);
        req->url = strdup(url);
        if (!req->url) {
            free(req);
            return MHD_NO;
        }
        req->started_ns = clock_monotonic_ns();
        http_access_begin(&req->access, conn);
        atomic_init(&req->refs, 1);
        atomic_init(&req->state, REQUEST_READING);
        atomic_init(&req->cancel, 0);
        *con_cls = req;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > atomic_load(&s->app->max_body)) {
            req->body_too_large = 1;
            return request_dispatch(s, req);
        }
        return MHD_YES;
    }
    req->handler_calls++;
    int state = atomic_load(&req->state);
    if (state == REQUEST_ANSWERED)
        return queue_reply(req, &req->reply);
    if (state == REQUEST_RUNNING)
        return MHD_YES;
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->body_too_large)
            return MHD_YES;
        if (req->body_len + n > atomic_load(&s->app->max_body)) {
            req->body_too_large = 1;
            free(req->body);
            req->body = NULL;
            req->body_len = 0;
            return MHD_YES;
        }
        char *b = realloc(req->body, req->body_len + n + 1);
        if (!b)
            return MHD_NO;
        memcpy(b + req->body_len, upload_data, n);
        req->body = b;
        req->body_len += n;
        req->body[req->body_len] = '\0';
        return MHD_YES;
    }
    return request_dispatch(s, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct http_server *s = cls;
    struct http_request *req = *con_cls;
    *con_cls = NULL;
    if (!req || (void *)req == (void *)&health_marker)
        return;
    if (req->async_fn && atomic_load(&req->state) == REQUEST_ANSWERED)
        atomic_fetch_sub(&s->answers_unsent, 1);
    http_access_end(&req->access, req->method, req->url, req->started_ns);
    request_unref(req);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    log_warn("http: %s", line);
}

/* Our own listening socket, so a busy port or a bad address gets a clear message. */
static int listen_socket_open(const char *host, uint16_t port, char *err, size_t err_cap)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai != 0) {
        snprintf(err, err_cap, "listen address %s: %s", host, gai_strerror(gai));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        snprintf(err, err_cap, "cannot listen on %s:%u: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

struct http_server *http_server_start(struct app *app, char *err, size_t err_cap)
{
    struct http_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    s->app = app;
    int crc = clock_cond_init(&s->changed);
    if (crc != 0) {
        snprintf(err, err_cap, "cannot make a condition variable: %s", strerror(crc));
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    int api_key = app->boot.auth_mode == AUTH_MODE_API_KEY;
    const char *health_body = api_key ? health_body_api_key : health_body_dev;
    size_t health_len = api_key ? sizeof health_body_api_key - 1 : sizeof health_body_dev - 1;
    s->health_response = MHD_create_response_from_buffer(health_len, (void *)health_body,
                                                         MHD_RESPMEM_PERSISTENT);
    if (!s->health_response) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    MHD_add_response_header(s->health_response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    s->listen_fd = listen_socket_open(app->boot.listen_host, app->boot.listen_port, err, err_cap);
    if (s->listen_fd < 0)
        goto fail;
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREAD_POOL_SIZE, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)HTTP_CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, err_cap, "cannot start the HTTP server on %s:%u", app->boot.listen_host,
                 app->boot.listen_port);
        close(s->listen_fd);
        goto fail;
    }
    return s;
fail:
    if (s->health_response)
        MHD_destroy_response(s->health_response);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
    free(s);
    return NULL;
}

void http_server_quiesce(struct http_server *s)
{
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    s->listen_fd = -1;
}

size_t http_server_in_flight(struct http_server *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->n_in_flight;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void wait_in_flight_locked(struct http_server *s, int64_t deadline_ns)
{
    struct timespec ts = clock_timespec_at(deadline_ns);
    while (s->n_in_flight > 0)
        if (pthread_cond_timedwait(&s->changed, &s->lock, &ts) == ETIMEDOUT)
            break;
}

void http_server_drain(struct http_server *s, int64_t deadline_ns, int64_t grace_ns)
{
    pthread_mutex_lock(&s->lock);
    s->closed = 1;
    wait_in_flight_locked(s, deadline_ns);
    if (s->n_in_flight > 0) {
        log_warn("shutdown deadline reached with %zu requests in flight; cancelling their calls",
                 s->n_in_flight);
        for (struct http_request *r = s->in_flight; r; r = r->next_in_flight)
            atomic_store(&r->cancel, 1);
        wait_in_flight_locked(s, clock_monotonic_ns() + grace_ns);
    }
    pthread_mutex_unlock(&s->lock);

    /* Calls that ignore cancellation: answer their clients ourselves. request_answer takes the
     * lock, so pick one request at a time. */
    for (;;) {
        pthread_mutex_lock(&s->lock);
        struct http_request *r = s->in_flight;
        if (r)
            atomic_fetch_add(&r->refs, 1);
        pthread_mutex_unlock(&s->lock);
        if (!r)
            break;
        struct http_reply reply = {0};
        http_reply_error(&reply, "UNAVAILABLE", NULL, "server shut down before the request finished");
        if (request_answer(r, &reply))
            log_warn("answered %s %s with 503: its backend call did not stop", r->method, r->url);
        request_unref(r);
    }
    int64_t until = clock_monotonic_ns() + grace_ns;
    while ((atomic_load(&s->answers_unsent) > 0 || atomic_load(&s->resumes_pending) > 0) &&
           clock_monotonic_ns() < until)
        clock_sleep_ns(5 * 1000000LL);
    /* MHD_stop_daemon aborts on a connection still suspended; a resume in progress is a few
     * instructions away from done. */
    while (atomic_load(&s->resumes_pending) > 0)
        clock_sleep_ns(1000000LL);
}

void http_server_stop(struct http_server *s, int workers_stuck)
{
    MHD_stop_daemon(s->daemon);
    /* A stuck worker still holds a request that points here; leave it valid for the exit. */
    if (workers_stuck)
        return;
    MHD_destroy_response(s->health_response);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
    free(s);
}
