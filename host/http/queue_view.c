#include "http/queue_view.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "pipeline/job.h"
#include "pipeline/pipeline.h"

/* Items read per export call while looking for dead ones. */
#define QUEUE_VIEW_PAGE 1000

static void queue_view_init(struct queue_view *v)
{
    memset(v, 0, sizeof *v);
    v->topics[0].name = "Semantic";
    v->topics[0].topic = JOB_TOPIC_SEMANTIC;
    v->topics[1].name = "Embedding";
    v->topics[1].topic = JOB_TOPIC_EMBEDDING;
}

static struct queue_view_topic *queue_view_find(struct queue_view *v, const char *topic)
{
    for (size_t i = 0; i < QUEUE_VIEW_TOPICS; i++)
        if (strcmp(v->topics[i].topic, topic) == 0)
            return &v->topics[i];
    return NULL;
}

static int queue_view_stats_visit(void *arg, const struct skald_queue_topic_stats *st)
{
    struct queue_view_topic *t = queue_view_find(arg, st->topic);
    if (t) {
        t->pending = st->pending;
        t->in_progress = st->leased;
        t->dead = st->dead;
    }
    return 0;
}

struct queue_view_scan {
    struct queue_view *v;
    const char *account;
    int64_t last_id;
    size_t seen;
};

static int queue_view_dead_visit(void *arg, const struct skald_queue_item *item)
{
    struct queue_view_scan *s = arg;
    s->last_id = item->id;
    s->seen++;
    struct queue_view_topic *t = queue_view_find(s->v, item->topic);
    if (!t || item->state != SKALD_QUEUE_DEAD || !t->errors ||
        json_array_size(t->errors) >= QUEUE_VIEW_MAX_ERRORS)
        return 0;
    struct job j;
    char derr[128];
    if (job_decode(item->payload, item->payload_len, &j, derr, sizeof derr) != 0 ||
        strcmp(j.account, s->account) != 0)
        return 0;
    char msg[2048];
    snprintf(msg, sizeof msg, "%s: %s", j.uri, item->last_error ? item->last_error : "failed");
    json_array_append_new(t->errors, json_pack("{s:s}", "message", msg));
    return 0;
}

static int queue_view_errors(struct plugin_instance *q, const struct skald_call_ctx *ctx,
                             struct queue_view *v, const char *account)
{
    const struct skald_queue_ops *ops = plugin_instance_ops(q, queue);
    struct queue_view_scan s = {v, account, 0, 0};
    for (;;) {
        s.seen = 0;
        int rc = ops->export_items(q->handle, ctx, s.last_id, QUEUE_VIEW_PAGE,
                                   queue_view_dead_visit, &s);
        if (rc != SKALD_OK)
            return rc;
        if (s.seen < QUEUE_VIEW_PAGE)
            return SKALD_OK;
    }
}

int queue_view_collect(struct app *app, struct generation *gen, const char *errors_account,
                       struct queue_view *v, char *err, size_t err_cap)
{
    queue_view_init(v);
    for (size_t i = 0; i < QUEUE_VIEW_TOPICS; i++) {
        struct pipeline_counts pc;
        pipeline_counts(app->pipeline, i == 0 ? JOB_SEMANTIC : JOB_EMBED, &pc);
        v->topics[i].processed = pc.processed;
        v->topics[i].requeued = pc.requeued;
    }
    struct plugin_instance *q = gen->backends[BACKEND_QUEUE]->inst;
    atomic_int never = 0;
    struct skald_call_ctx ctx = {
        sizeof ctx,
        0,
        clock_monotonic_ns() + (int64_t)gen->config->server.call_timeout_s * 1000000000LL,
        &never,
        err,
        err_cap};
    err[0] = '\0';
    int rc = plugin_instance_ops(q, queue)->stats(q->handle, &ctx, queue_view_stats_visit, v);
    if (rc != SKALD_OK || !errors_account)
        return rc;
    int any_dead = 0;
    for (size_t i = 0; i < QUEUE_VIEW_TOPICS; i++) {
        v->topics[i].errors = json_array();
        if (!v->topics[i].errors) {
            snprintf(err, err_cap, "out of memory");
            return SKALD_ENOMEM;
        }
        any_dead |= v->topics[i].dead > 0;
    }
    return any_dead ? queue_view_errors(q, &ctx, v, errors_account) : SKALD_OK;
}

void queue_view_free(struct queue_view *v)
{
    for (size_t i = 0; i < QUEUE_VIEW_TOPICS; i++) {
        json_decref(v->topics[i].errors);
        v->topics[i].errors = NULL;
    }
}

int queue_view_idle(const struct queue_view *v)
{
    for (size_t i = 0; i < QUEUE_VIEW_TOPICS; i++)
        if (v->topics[i].pending || v->topics[i].in_progress)
            return 0;
    return 1;
}

json_t *queue_view_status(const struct queue_view *v)
{
    json_t *out = json_object();
    for (size_t i = 0; out && i < QUEUE_VIEW_TOPICS; i++) {
        const struct queue_view_topic *t = &v->topics[i];
        json_t *one =
            json_pack("{s:I, s:I, s:I, s:o}", "processed", (json_int_t)t->processed,
                      "requeue_count", (json_int_t)t->requeued, "error_count", (json_int_t)t->dead,
                      "errors", t->errors ? json_incref(t->errors) : json_array());
        if (!one || json_object_set_new(out, t->name, one) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}
