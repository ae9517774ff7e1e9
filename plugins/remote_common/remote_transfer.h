/*
 * One HTTP POST to a provider, driven through libcurl's multi interface in slices so the call's
 * deadline and cancel flag are looked at every REMOTE_CALL_SLICE_MS, plus a pool of idle
 * transfers: each keeps its connection cache, so a taken-back transfer reuses the connection.
 */
#ifndef SKALD_REMOTE_TRANSFER_H
#define SKALD_REMOTE_TRANSFER_H

#include <pthread.h>
#include <stddef.h>

#include <curl/curl.h>

#include "remote_call.h"

/* Largest answer read; a provider sending more is treated as broken. */
#define REMOTE_MAX_ANSWER (64u << 20)

struct remote_conn;

struct remote_conn_pool {
    pthread_mutex_t lock;
    struct remote_conn *idle; /* owned */
};

int remote_conn_pool_init(struct remote_conn_pool *p);
/* Closes every idle connection. No transfer may be out. */
void remote_conn_pool_destroy(struct remote_conn_pool *p);
/* An idle transfer, or a new one; NULL when out of memory. */
struct remote_conn *remote_conn_take(struct remote_conn_pool *p);
void remote_conn_give_back(struct remote_conn_pool *p, struct remote_conn *conn);

/* What one exchange brought back. */
struct remote_response {
    CURLcode curl;          /* CURLE_OK when an HTTP answer arrived */
    long status;            /* HTTP status; 0 when none */
    char *body;             /* NUL-terminated, owned; NULL when empty */
    size_t len;
    int too_big;            /* the body passed REMOTE_MAX_ANSWER */
    int64_t retry_after_ms; /* -1 when the answer had no readable Retry-After */
    char curl_error[CURL_ERROR_SIZE];
};

struct remote_request {
    const char *url;
    const struct curl_slist *headers;
    const char *body;
    int64_t connect_timeout_ms;
};

/* POSTs req and waits for the answer within call's limits. Returns SKALD_OK when the exchange
 * ended by itself (see res->curl and res->status), else remote_call_check's verdict (the transfer
 * is dropped, its connection closed). res->body is the caller's to free either way. */
int remote_transfer_post(struct remote_conn *conn, const struct remote_call *call,
                         const struct remote_request *req, struct remote_response *res);

#endif
