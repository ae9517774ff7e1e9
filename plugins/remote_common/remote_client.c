#include "remote_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"
#include "remote_backoff.h"
#include "remote_call.h"
#include "remote_endpoint.h"
#include "remote_transfer.h"

/* The provider's own words are cut to this many bytes in messages. */
#define REMOTE_PROVIDER_MESSAGE_MAX 200

struct remote_client {
    const struct skald_host *host; /* borrowed */
    const char *plugin_name;       /* static */
    struct remote_config cfg;
    struct remote_endpoint *endpoint; /* one reference */
    struct remote_conn_pool pool;
};

/* One call across its attempts. */
struct remote_exchange {
    struct remote_client *c;
    const struct skald_call_ctx *ctx;
    struct remote_call call;
    const char *path;
    struct remote_request req;
    remote_answer_check check;
    void *check_arg;
    json_t *answer;                 /* set on success; owned until handed over */
    uint32_t sent;                  /* requests that went out */
    int provider_failed;            /* the latest attempt failed in a way that counts against it */
    enum remote_outcome outcome;    /* for the breaker */
};

static pthread_once_t remote_curl_once = PTHREAD_ONCE_INIT;
static CURLcode remote_curl_init_rc;

static void remote_curl_global_init(void)
{
    remote_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void remote_publish(struct remote_client *c)
{
    struct remote_endpoint_stats st;
    remote_endpoint_stats(c->endpoint, &st);
    const struct skald_host *h = c->host;
    h->metric_set(h, "in_flight", st.in_flight);
    h->metric_set(h, "waiting", st.waiting);
    h->metric_set(h, "max_concurrent", st.limit);
    h->metric_set(h, "breaker_state", st.breaker);
    h->metric_set(h, "consecutive_failures", st.consecutive_failures);
    h->metric_set(h, "latency_p50_ms", st.p50_ms);
    h->metric_set(h, "latency_p99_ms", st.p99_ms);
}

int remote_client_create(const struct skald_host *host, const char *plugin_name,
                         const char *const *plugin_keys, struct remote_client **out, char *err,
                         size_t err_cap)
{
    /* libcurl >= 7.84 makes the global init thread-safe; the once covers older ones. */
    pthread_once(&remote_curl_once, remote_curl_global_init);
    if (remote_curl_init_rc != CURLE_OK)
        return plugin_fail(err, err_cap, SKALD_EINTERNAL, "libcurl init failed: %s",
                           curl_easy_strerror(remote_curl_init_rc));
    struct remote_client *c = calloc(1, sizeof *c);
    if (!c)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    int rc = remote_config_parse(host, plugin_keys, &c->cfg, err, err_cap);
    if (rc != SKALD_OK) {
        free(c);
        return rc;
    }
    c->host = host;
    c->plugin_name = plugin_name;
    size_t klen = strlen(c->cfg.base_url) + strlen(c->cfg.model) + 2;
    char *key = malloc(klen);
    if (key) {
        snprintf(key, klen, "%s\n%s", c->cfg.base_url, c->cfg.model);
        c->endpoint = remote_endpoint_acquire(key, c, c->cfg.max_concurrent);
        free(key);
    }
    if (!c->endpoint || remote_conn_pool_init(&c->pool) != 0) {
        if (c->endpoint)
            remote_endpoint_release(c->endpoint, c);
        remote_config_free(&c->cfg);
        free(c);
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    }
    /* Counters exist from the start, so status shows a backend that was never called. */
    static const char *const counters[] = {"calls", "failures", "retries", "breaker_rejections"};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        host->metric_add(host, counters[i], 0);
    remote_publish(c);
    *out = c;
    return SKALD_OK;
}

void remote_client_destroy(struct remote_client *c)
{
    remote_conn_pool_destroy(&c->pool);
    remote_endpoint_release(c->endpoint, c);
    remote_config_free(&c->cfg);
    free(c);
}

const struct remote_config *remote_client_config(const struct remote_client *c)
{
    return &c->cfg;
}

static void remote_vfail(const struct remote_client *c, const struct skald_call_ctx *ctx,
                         const char *path, const char *fmt, va_list ap)
{
    int n = snprintf(ctx->err, ctx->err_cap, "%s (model %s): %s%s", c->plugin_name, c->cfg.model,
                     path ? "POST " : "", path ? path : "");
    if (n < 0 || (size_t)n >= ctx->err_cap)
        return;
    if (path && (size_t)n + 2 < ctx->err_cap) {
        memcpy(ctx->err + n, ": ", 3);
        n += 2;
    }
    vsnprintf(ctx->err + n, ctx->err_cap - (size_t)n, fmt, ap);
}

int remote_client_refuse(const struct remote_client *c, const struct skald_call_ctx *ctx, int rc,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    remote_vfail(c, ctx, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int remote_client_check(const struct remote_client *c, const struct skald_call_ctx *ctx)
{
    int rc = skald_call_check(ctx, c->host->now_monotonic_ns());
    if (rc == SKALD_ECANCELLED)
        return remote_client_refuse(c, ctx, rc, "call cancelled");
    if (rc == SKALD_ETIMEDOUT)
        return remote_client_refuse(c, ctx, rc, "the call's deadline passed before it started");
    return rc;
}

static int remote_fail(struct remote_exchange *x, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int remote_fail(struct remote_exchange *x, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    remote_vfail(x->c, x->ctx, x->path, fmt, ap);
    va_end(ap);
    return rc;
}

/* The message for a call stopped by its limits; maps the plugin's own timeout to UNAVAILABLE. */
static int remote_stopped(struct remote_exchange *x, int why, const char *while_doing)
{
    long long waited = (long long)((x->call.now_ns() - x->call.started_ns) / 1000000);
    switch (why) {
    case SKALD_ECANCELLED:
        return remote_fail(x, SKALD_ECANCELLED, "call cancelled while %s", while_doing);
    case SKALD_ETIMEDOUT:
        return remote_fail(x, SKALD_ETIMEDOUT, "the call's deadline passed while %s (%lld ms, %u "
                           "request%s sent)", while_doing, waited, x->sent, x->sent == 1 ? "" : "s");
    default:
        return remote_fail(x, SKALD_EUNAVAILABLE, "timeout (%.3g s) passed while %s (%u request%s "
                           "sent)", (double)x->c->cfg.timeout_ms / 1000.0, while_doing, x->sent,
                           x->sent == 1 ? "" : "s");
    }
}

/* The provider's own words: error.message, error (a string), message or detail, else the start
 * of the body; one line, at most REMOTE_PROVIDER_MESSAGE_MAX bytes. */
static void remote_provider_message(const struct remote_response *res, char *out, size_t cap)
{
    out[0] = '\0';
    if (!res->body || cap == 0)
        return;
    json_t *doc = json_loadb(res->body, res->len, 0, NULL);
    const char *msg = NULL;
    if (json_is_object(doc)) {
        json_t *err = json_object_get(doc, "error");
        if (json_is_object(err))
            msg = json_string_value(json_object_get(err, "message"));
        else if (json_is_string(err))
            msg = json_string_value(err);
        if (!msg)
            msg = json_string_value(json_object_get(doc, "message"));
        if (!msg)
            msg = json_string_value(json_object_get(doc, "detail"));
    }
    size_t limit = cap < REMOTE_PROVIDER_MESSAGE_MAX + 1 ? cap : REMOTE_PROVIDER_MESSAGE_MAX + 1;
    const char *src = msg ? msg : res->body;
    size_t n = strlen(src);
    snprintf(out, limit, "%s", src);
    if (n >= limit && limit > 4)
        memcpy(out + limit - 4, "...", 4);
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    json_decref(doc);
}

/* Judges one finished exchange. Returns SKALD_OK (x->answer set) or the call's error with its
 * message in ctx->err; *retryable says whether another attempt may help. */
static int remote_judge(struct remote_exchange *x, struct remote_response *res, int *retryable)
{
    *retryable = 0;
    x->provider_failed = 1;
    x->outcome = REMOTE_OUTCOME_FAILED;
    if (res->curl != CURLE_OK) {
        if (res->too_big)
            return remote_fail(x, SKALD_EUNAVAILABLE, "answer larger than %u MiB",
                               REMOTE_MAX_ANSWER >> 20);
        *retryable = 1;
        return remote_fail(x, SKALD_EUNAVAILABLE, "%s",
                           res->curl_error[0] ? res->curl_error : curl_easy_strerror(res->curl));
    }
    if (res->status >= 200 && res->status < 300) {
        json_error_t jerr;
        json_t *doc = json_loadb(res->body ? res->body : "", res->len, 0, &jerr);
        if (!doc)
            return remote_fail(x, SKALD_EUNAVAILABLE, "malformed JSON in the answer (HTTP %ld): %s",
                               res->status, jerr.text);
        char why[384] = "";
        int rc = x->check(x->check_arg, doc, why, sizeof why);
        if (rc != SKALD_OK) {
            json_decref(doc);
            if (rc != SKALD_EUNAVAILABLE) {
                /* A mismatch with the configuration, or our own memory: the provider is up. */
                x->provider_failed = 0;
                x->outcome = rc == SKALD_EINVAL ? REMOTE_OUTCOME_ANSWERED : REMOTE_OUTCOME_NEUTRAL;
            }
            return remote_fail(x, rc, "%s", why);
        }
        x->answer = doc;
        x->provider_failed = 0;
        x->outcome = REMOTE_OUTCOME_ANSWERED;
        return SKALD_OK;
    }
    char provider[REMOTE_PROVIDER_MESSAGE_MAX + 1];
    remote_provider_message(res, provider, sizeof provider);
    *retryable = res->status == 429 || res->status == 408 || res->status >= 500;
    if (!*retryable) {
        /* 4xx: the provider is up and refuses this request; retrying would not help. */
        x->provider_failed = 0;
        x->outcome = REMOTE_OUTCOME_ANSWERED;
    }
    return remote_fail(x, *retryable ? SKALD_EUNAVAILABLE : SKALD_EINVAL, "HTTP %ld%s%s",
                       res->status, provider[0] ? ": " : "", provider);
}

/* Decides the wait before the next attempt after a retryable failure, or ends the call. Returns
 * SKALD_OK with *wait_ms set, or the call's error. */
static int remote_plan_retry(struct remote_exchange *x, uint32_t attempt,
                             const struct remote_response *res, int64_t *wait_ms)
{
    struct remote_client *c = x->c;
    size_t used = strlen(x->ctx->err);
    *wait_ms = res->retry_after_ms >= 0
                   ? res->retry_after_ms
                   : remote_backoff_ms(c->cfg.retry_backoff_ms, attempt, remote_random());
    int64_t now = x->call.now_ns();
    /* A provider that says "slow down" means it for every call, not only this one. */
    if (res->status == 429 || res->retry_after_ms >= 0)
        remote_endpoint_pause(c->endpoint, now + *wait_ms * 1000000);
    if (attempt >= c->cfg.max_retries) {
        if (c->cfg.max_retries > 0)
            snprintf(x->ctx->err + used, x->ctx->err_cap - used, " (gave up after %u retr%s)",
                     attempt, attempt == 1 ? "y" : "ies");
        return SKALD_EUNAVAILABLE;
    }
    if (now + *wait_ms * 1000000 >= x->call.end_ns) {
        snprintf(x->ctx->err + used, x->ctx->err_cap - used,
                 " (a retry %s in %lld ms would pass the call's %s)",
                 res->retry_after_ms >= 0 ? "asked for by Retry-After" : "after back-off",
                 (long long)*wait_ms,
                 x->call.end_ns == x->call.budget_end_ns ? "timeout" : "deadline");
        return SKALD_EUNAVAILABLE;
    }
    return SKALD_OK;
}

/* Runs the attempts of one call while holding an in-flight slot. */
static int remote_attempts(struct remote_exchange *x, struct remote_conn *conn)
{
    struct remote_client *c = x->c;
    for (uint32_t attempt = 0;; attempt++) {
        int64_t pause_ms = 0;
        int rc = remote_endpoint_wait_pause(c->endpoint, &x->call, &pause_ms);
        if (rc == REMOTE_ENDPOINT_PAUSE_TOO_LONG) {
            if (!x->provider_failed)
                x->outcome = REMOTE_OUTCOME_NEUTRAL;
            return remote_fail(x, SKALD_EUNAVAILABLE,
                               "the provider asked to slow down (HTTP 429 or Retry-After); the "
                               "next request may go in %lld ms, past the call's %s",
                               (long long)pause_ms,
                               x->call.end_ns == x->call.budget_end_ns ? "timeout" : "deadline");
        }
        if (rc != SKALD_OK) {
            if (!x->provider_failed || rc == SKALD_ECANCELLED)
                x->outcome = REMOTE_OUTCOME_NEUTRAL;
            return remote_stopped(x, rc, "waiting for the provider's pause to end");
        }
        struct remote_response res;
        x->sent++;
        rc = remote_transfer_post(conn, &x->call, &x->req, &res);
        if (rc != SKALD_OK) {
            free(res.body);
            /* No answer in time counts against the provider; a cancel says nothing about it. */
            x->outcome = rc == SKALD_ECANCELLED ? REMOTE_OUTCOME_NEUTRAL : REMOTE_OUTCOME_FAILED;
            return remote_stopped(x, rc, "waiting for the answer");
        }
        int retryable = 0;
        rc = remote_judge(x, &res, &retryable);
        int64_t wait_ms = 0;
        int retry = rc != SKALD_OK && retryable &&
                    remote_plan_retry(x, attempt, &res, &wait_ms) == SKALD_OK;
        free(res.body);
        if (!retry)
            return rc;
        c->host->metric_add(c->host, "retries", 1);
        c->host->log(c->host, SKALD_LOG_DEBUG, "%s; retry %u of %u in %lld ms", x->ctx->err,
                     attempt + 1, c->cfg.max_retries, (long long)wait_ms);
        rc = remote_call_sleep_until(&x->call, x->call.now_ns() + wait_ms * 1000000);
        if (rc != SKALD_OK) {
            if (rc == SKALD_ECANCELLED)
                x->outcome = REMOTE_OUTCOME_NEUTRAL;
            return remote_stopped(x, rc, "backing off before a retry");
        }
    }
}

static void remote_settle_breaker(struct remote_exchange *x, int probe, int rc)
{
    struct remote_client *c = x->c;
    if (rc != SKALD_OK && x->outcome == REMOTE_OUTCOME_FAILED)
        remote_endpoint_note_failure(c->endpoint, x->ctx->err);
    enum remote_breaker_state before =
        remote_endpoint_record(c->endpoint, x->outcome, probe, c->cfg.breaker_failures,
                               c->cfg.breaker_cooldown_ms, x->call.now_ns());
    struct remote_endpoint_stats st;
    remote_endpoint_stats(c->endpoint, &st);
    if (before != REMOTE_BREAKER_OPEN && st.breaker == REMOTE_BREAKER_OPEN)
        c->host->log(c->host, SKALD_LOG_WARN,
                     "%s (model %s): circuit breaker open after %u consecutive failures; calls "
                     "fail at once for %.3g s, then one probe goes out",
                     c->plugin_name, c->cfg.model, st.consecutive_failures,
                     (double)c->cfg.breaker_cooldown_ms / 1000.0);
    else if (before != REMOTE_BREAKER_CLOSED && st.breaker == REMOTE_BREAKER_CLOSED)
        c->host->log(c->host, SKALD_LOG_INFO, "%s (model %s): circuit breaker closed: %s answers again",
                     c->plugin_name, c->cfg.model, c->cfg.base_url);
}

static int remote_rejected(struct remote_exchange *x, int64_t retry_in_ms)
{
    struct remote_client *c = x->c;
    char last[256];
    remote_endpoint_last_failure(c->endpoint, last, sizeof last);
    c->host->metric_add(c->host, "failures", 1);
    c->host->metric_add(c->host, "breaker_rejections", 1);
    remote_publish(c);
    if (retry_in_ms > 0)
        return remote_fail(x, SKALD_EUNAVAILABLE,
                           "circuit breaker open, not calling %s; next probe in %lld ms; last "
                           "failure: %s",
                           c->cfg.base_url, (long long)retry_in_ms, last);
    return remote_fail(x, SKALD_EUNAVAILABLE,
                       "circuit breaker half-open, a probe call is out; not calling %s; last "
                       "failure: %s",
                       c->cfg.base_url, last);
}

int remote_client_post(struct remote_client *c, const struct skald_call_ctx *ctx, const char *path,
                       json_t *body, remote_answer_check check, void *check_arg, json_t **answer)
{
    if (answer)
        *answer = NULL;
    struct remote_exchange x = {.c = c, .ctx = ctx, .path = path, .check = check,
                                .check_arg = check_arg, .outcome = REMOTE_OUTCOME_NEUTRAL};
    remote_call_begin(&x.call, ctx, c->host->now_monotonic_ns, c->cfg.timeout_ms);
    int rc = remote_call_check(&x.call);
    if (rc != SKALD_OK)
        return remote_stopped(&x, rc, "starting");
    c->host->metric_add(c->host, "calls", 1);
    int64_t retry_in_ms = 0;
    enum remote_admit admit = remote_endpoint_admit(c->endpoint, x.call.now_ns(), &retry_in_ms);
    if (admit == REMOTE_ADMIT_REJECT)
        return remote_rejected(&x, retry_in_ms);

    size_t url_len = strlen(c->cfg.base_url) + strlen(path) + 1;
    char *url = malloc(url_len);
    char *text = json_dumps(body, JSON_COMPACT);
    struct remote_conn *conn = NULL;
    if (!url || !text) {
        rc = remote_fail(&x, SKALD_ENOMEM, "out of memory");
    } else {
        snprintf(url, url_len, "%s%s", c->cfg.base_url, path);
        x.req = (struct remote_request){url, c->cfg.headers, text, c->cfg.connect_timeout_ms};
        rc = remote_endpoint_enter(c->endpoint, &x.call);
        if (rc != SKALD_OK) {
            rc = remote_stopped(&x, rc, "waiting for a free slot (max_concurrent)");
        } else {
            remote_publish(c);
            conn = remote_conn_take(&c->pool);
            rc = conn ? remote_attempts(&x, conn) : remote_fail(&x, SKALD_ENOMEM, "out of memory");
            if (conn)
                remote_conn_give_back(&c->pool, conn);
            remote_endpoint_leave(c->endpoint,
                                  (double)(x.call.now_ns() - x.call.started_ns) / 1e6);
        }
    }
    free(url);
    free(text);
    if (rc != SKALD_OK) {
        c->host->metric_add(c->host, "failures", 1);
        /* A cancel is the host's doing (shutdown, a client gone), not a provider problem. */
        c->host->log(c->host, rc == SKALD_ECANCELLED ? SKALD_LOG_INFO : SKALD_LOG_WARN, "%s",
                     ctx->err);
    }
    remote_settle_breaker(&x, admit == REMOTE_ADMIT_PROBE, rc);
    if (rc == SKALD_OK && answer)
        *answer = x.answer;
    else
        json_decref(x.answer);
    remote_publish(c);
    return rc;
}
