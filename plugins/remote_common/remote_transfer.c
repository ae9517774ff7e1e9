#include "remote_transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "remote_backoff.h"

struct remote_conn {
    struct remote_conn *next; /* idle list */
    CURLM *multi;             /* holds the connection cache */
    CURL *easy;
};

int remote_conn_pool_init(struct remote_conn_pool *p)
{
    p->idle = NULL;
    return pthread_mutex_init(&p->lock, NULL) == 0 ? 0 : -1;
}

static void remote_conn_free(struct remote_conn *conn)
{
    if (conn->easy)
        curl_easy_cleanup(conn->easy);
    if (conn->multi)
        curl_multi_cleanup(conn->multi);
    free(conn);
}

void remote_conn_pool_destroy(struct remote_conn_pool *p)
{
    while (p->idle) {
        struct remote_conn *n = p->idle->next;
        remote_conn_free(p->idle);
        p->idle = n;
    }
    pthread_mutex_destroy(&p->lock);
}

struct remote_conn *remote_conn_take(struct remote_conn_pool *p)
{
    pthread_mutex_lock(&p->lock);
    struct remote_conn *conn = p->idle;
    if (conn)
        p->idle = conn->next;
    pthread_mutex_unlock(&p->lock);
    if (conn)
        return conn;
    conn = calloc(1, sizeof *conn);
    if (!conn)
        return NULL;
    conn->multi = curl_multi_init();
    conn->easy = curl_easy_init();
    if (!conn->multi || !conn->easy) {
        remote_conn_free(conn);
        return NULL;
    }
    return conn;
}

void remote_conn_give_back(struct remote_conn_pool *p, struct remote_conn *conn)
{
    pthread_mutex_lock(&p->lock);
    conn->next = p->idle;
    p->idle = conn;
    pthread_mutex_unlock(&p->lock);
}

static size_t remote_on_body(char *data, size_t size, size_t n, void *arg)
{
    struct remote_response *res = arg;
    size_t len = size * n;
    if (res->len + len > REMOTE_MAX_ANSWER) {
        res->too_big = 1;
        return 0;
    }
    char *grown = realloc(res->body, res->len + len + 1);
    if (!grown)
        return 0;
    res->body = grown;
    memcpy(res->body + res->len, data, len);
    res->len += len;
    res->body[res->len] = '\0';
    return len;
}

static size_t remote_on_header(char *data, size_t size, size_t n, void *arg)
{
    struct remote_response *res = arg;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len >= sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
        char value[128];
        size_t vlen = len - (sizeof name - 1);
        if (vlen >= sizeof value)
            vlen = sizeof value - 1;
        memcpy(value, data + sizeof name - 1, vlen);
        value[vlen] = '\0';
        value[strcspn(value, "\r\n")] = '\0';
        res->retry_after_ms = remote_retry_after_ms(value, time(NULL));
    }
    return len;
}

static void remote_transfer_setup(CURL *e, const struct remote_call *call,
                                  const struct remote_request *req, struct remote_response *res)
{
    /* Our slices end the call on time; curl's own timer, a little later, only backs them up. */
    long timeout_ms = (long)remote_call_left_ms(call) + 4 * REMOTE_CALL_SLICE_MS;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req->body));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, remote_on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, res);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, remote_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, res);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, res->curl_error);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)req->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
}

int remote_transfer_post(struct remote_conn *conn, const struct remote_call *call,
                         const struct remote_request *req, struct remote_response *res)
{
    memset(res, 0, sizeof *res);
    res->retry_after_ms = -1;
    res->curl = CURLE_OK;
    CURL *e = conn->easy;
    remote_transfer_setup(e, call, req, res);
    if (curl_multi_add_handle(conn->multi, e) != CURLM_OK) {
        res->curl = CURLE_OUT_OF_MEMORY;
        return SKALD_OK;
    }
    int rc = SKALD_OK, running = 1;
    while (running) {
        CURLMcode mc = curl_multi_perform(conn->multi, &running);
        if (mc != CURLM_OK) {
            res->curl = CURLE_RECV_ERROR;
            snprintf(res->curl_error, sizeof res->curl_error, "%s", curl_multi_strerror(mc));
            break;
        }
        if (!running)
            break;
        rc = remote_call_check(call);
        if (rc != SKALD_OK)
            break;
        curl_multi_poll(conn->multi, NULL, 0, REMOTE_CALL_SLICE_MS, NULL);
    }
    if (rc == SKALD_OK && !running) {
        int left = 0;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(conn->multi, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE)
                res->curl = msg->data.result;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res->status);
        /* curl's timer fired with the call's end: report that end, not a network error. */
        if (res->curl == CURLE_OPERATION_TIMEDOUT) {
            int late = remote_call_check(call);
            if (late != SKALD_OK)
                rc = late;
        }
    }
    curl_multi_remove_handle(conn->multi, e);
    return rc;
}
