/*
 * Observer (OpenViking section 2.9): GET /api/v1/observer/{system,queue,vikingdb,models} answer
 * Component objects {name, is_healthy, has_errors, status} whose status is a text table. Counts
 * of the caller's account only, wherever a count could tell one account about another's data;
 * the queues are shared machinery and shown whole (numbers, never item contents).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/api_call.h"
#include "http/queue_view.h"
#include "http/router.h"
#include "plugin/module.h"
#include "session/session_engine.h"
#include "session/session_lanes.h"

/* A text table being written. */
struct table {
    char *text;
    size_t len;
    FILE *f;
};

static int table_open(struct table *t)
{
    memset(t, 0, sizeof *t);
    t->f = open_memstream(&t->text, &t->len);
    return t->f ? 0 : -1;
}

/* Closes the table; returns the text (caller frees) or NULL. */
static char *table_close(struct table *t)
{
    if (!t->f)
        return NULL;
    int bad = fclose(t->f) != 0;
    t->f = NULL;
    if (bad) {
        free(t->text);
        return NULL;
    }
    /* The last row's newline is not part of the table. */
    if (t->len > 0 && t->text[t->len - 1] == '\n')
        t->text[--t->len] = '\0';
    return t->text;
}

static json_t *component(const char *name, int healthy, int has_errors, char *status)
{
    json_t *c = status ? json_pack("{s:s, s:b, s:b, s:s}", "name", name, "is_healthy", healthy,
                                   "has_errors", has_errors, "status", status)
                       : NULL;
    free(status);
    return c;
}

static json_t *component_failed(const char *name, const char *why)
{
    char *status = NULL;
    if (asprintf(&status, "unavailable: %s", why) < 0)
        return NULL;
    return component(name, 0, 1, status);
}

/* ---- queue ---- */

struct semantic_nodes {
    uint64_t pending, failed;
};

static int semantic_nodes_visit(void *arg, const struct store_node *node)
{
    struct semantic_nodes *s = arg;
    if (node->kind != STORE_DIR)
        return 0;
    if (node->semantic == STORE_PROC_PENDING)
        s->pending++;
    else if (node->semantic == STORE_PROC_FAILED)
        s->failed++;
    return 0;
}

static void queue_row(FILE *f, const char *name, uint64_t pending, uint64_t in_progress,
                      uint64_t processed, uint64_t requeued, uint64_t errors)
{
    fprintf(f, "%-16s %9llu %12llu %10llu %9llu %7llu %9llu\n", name, (unsigned long long)pending,
            (unsigned long long)in_progress, (unsigned long long)processed,
            (unsigned long long)requeued, (unsigned long long)errors,
            (unsigned long long)(pending + in_progress + processed + errors));
}

static json_t *observe_queue(struct api_call *c)
{
    struct queue_view v;
    char err[512];
    if (queue_view_collect(c->req->app, c->gen, NULL, &v, err, sizeof err) != SKALD_OK) {
        queue_view_free(&v);
        return component_failed("queue", err);
    }
    /* Directories of this account whose L0/L1 is still to come or failed: the DAG's nodes. */
    struct semantic_nodes nodes = {0};
    unsigned mask = 1u << STORE_PROC_PENDING | 1u << STORE_PROC_FAILED;
    if (store_scan_states(c->store, c->who.account, "viking://", mask, semantic_nodes_visit, &nodes,
                          err, sizeof err) != STORE_OK) {
        queue_view_free(&v);
        return component_failed("queue", err);
    }
    struct table t;
    if (table_open(&t) != 0) {
        queue_view_free(&v);
        return NULL;
    }
    fprintf(t.f, "%-16s %9s %12s %10s %9s %7s %9s\n", "Queue", "Pending", "In Progress",
            "Processed", "Requeued", "Errors", "Total");
    uint64_t sum[5] = {0};
    int has_errors = 0;
    for (size_t i = 0; i < QUEUE_VIEW_TOPICS; i++) {
        const struct queue_view_topic *q = &v.topics[i];
        queue_row(t.f, q->name, q->pending, q->in_progress, q->processed, q->requeued, q->dead);
        sum[0] += q->pending;
        sum[1] += q->in_progress;
        sum[2] += q->processed;
        sum[3] += q->requeued;
        sum[4] += q->dead;
        has_errors |= q->dead > 0;
    }
    queue_row(t.f, "Semantic-Nodes", nodes.pending, 0, 0, 0, nodes.failed);
    queue_row(t.f, "TOTAL", sum[0], sum[1], sum[2], sum[3], sum[4]);
    queue_view_free(&v);
    return component("queue", !has_errors, has_errors, table_close(&t));
}

/* ---- vikingdb ---- */

static json_t *observe_vikingdb(struct api_call *c)
{
    struct plugin_instance *vec = c->gen->backends[BACKEND_VECTOR]->inst;
    const struct skald_vector_ops *ops = plugin_instance_ops(vec, vector);
    struct skald_call_ctx ctx;
    char err[512];
    http_request_call_ctx(c->req, c->gen, &ctx, err, sizeof err);
    struct skald_vector_filter filter = {c->who.account, NULL, 0};
    uint64_t count = 0;
    if (ops->count(vec->handle, &ctx, &filter, &count) != SKALD_OK)
        return component_failed("vikingdb", err);
    struct table t;
    if (table_open(&t) != 0)
        return NULL;
    fprintf(t.f, "%-16s %-10s %10s %12s %8s\n", "Collection", "Backend", "Dimensions",
            "Vector Count", "Durable");
    fprintf(t.f, "%-16s %-10s %10u %12llu %8s\n", "context", vec->module->name,
            ops->dimensions(vec->handle), (unsigned long long)count,
            ops->durable(vec->handle) ? "yes" : "no");
    return component("vikingdb", 1, 0, table_close(&t));
}

/* ---- models ---- */

struct metric_text {
    FILE *f;
    int n;
    int breaker_open;
};

static void metric_visit(void *arg, const struct plugin_metric *m)
{
    struct metric_text *mt = arg;
    fprintf(mt->f, "%s%s=%g", mt->n++ ? " " : "", m->name, m->value);
    if (strcmp(m->name, "breaker_state") == 0 && m->value == 1.0)
        mt->breaker_open = 1;
}

static json_t *observe_models(struct api_call *c)
{
    static const enum backend_slot slots[] = {BACKEND_EMBEDDING, BACKEND_VLM, BACKEND_RERANK};
    struct table t;
    if (table_open(&t) != 0)
        return NULL;
    fprintf(t.f, "%-10s %-16s %-8s %s\n", "Model", "Plugin", "Version", "Metrics");
    int unhealthy = 0;
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        struct backend *b = c->gen->backends[slots[i]];
        const char *role = config_backend_section_name(slots[i]);
        if (!b) {
            fprintf(t.f, "%-10s %-16s %-8s %s\n", role, "-", "-", "not configured");
            continue;
        }
        fprintf(t.f, "%-10s %-16s %-8s ", role, b->inst->module->name, b->inst->module->version);
        struct metric_text mt = {t.f, 0, 0};
        plugin_instance_metrics_visit(b->inst, metric_visit, &mt);
        if (mt.n == 0)
            fputs("-", t.f);
        if (mt.breaker_open) {
            fputs(" (circuit open: provider failing)", t.f);
            unhealthy = 1;
        }
        fputc('\n', t.f);
    }
    return component("models", !unhealthy, unhealthy, table_close(&t));
}

/* ---- the rest of system ---- */

static json_t *observe_simple(const char *name, const char *row)
{
    char *status = strdup(row);
    return status ? component(name, 1, 0, status) : NULL;
}

/* The data dir lock and the session lanes: unhealthy while the watchdog sees a lane stalled or
 * stuck (GET /api/v1/observer/lock lists them). */
static json_t *observe_lock(struct api_call *c)
{
    struct session_engine *e = atomic_load(&c->req->app->sessions);
    struct session_lanes_stats s = {0};
    unsigned troubled = 0;
    if (e) {
        session_lanes_stats(session_engine_lanes(e), &s);
        troubled = session_lanes_troubled(session_engine_lanes(e));
    }
    char *status = NULL;
    if (asprintf(&status,
                 "data dir lock held by pid %d (%s/skald.lock); session lanes: %llu busy, "
                 "%llu long_running, %llu stalled, %llu stuck",
                 (int)getpid(), c->req->app->boot.data_dir,
                 (unsigned long long)s.by_state[LANES_BUSY],
                 (unsigned long long)s.by_state[LANES_LONG_RUNNING],
                 (unsigned long long)s.by_state[LANES_STALLED],
                 (unsigned long long)s.by_state[LANES_STUCK]) < 0)
        return NULL;
    return component("lock", troubled == 0, troubled > 0, status);
}

static void reply_component(struct api_call *c, json_t *comp)
{
    if (comp)
        http_reply_ok(c->reply, comp);
    else
        http_reply_error(c->reply, "INTERNAL", NULL, "out of memory");
}

#define OBSERVER_HANDLER(fn, observe)                                                              \
    static void fn(struct http_request *req, struct generation *gen, struct http_reply *reply)     \
    {                                                                                              \
        struct api_call c;                                                                         \
        if (api_begin(req, gen, reply, &c) == 0)                                                   \
            reply_component(&c, observe(&c));                                                      \
    }

OBSERVER_HANDLER(observer_queue, observe_queue)
OBSERVER_HANDLER(observer_vikingdb, observe_vikingdb)
OBSERVER_HANDLER(observer_models, observe_models)

static void observer_system(struct http_request *req, struct generation *gen,
                            struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    struct {
        const char *name;
        json_t *comp;
    } parts[] = {
        {"queue", observe_queue(&c)},
        {"vikingdb", observe_vikingdb(&c)},
        {"models", observe_models(&c)},
        {"lock", observe_lock(&c)},
        {"retrieval", observe_simple("retrieval", gen->backends[BACKEND_RERANK]
                                                      ? "vector search with rerank"
                                                      : "vector search, no reranker configured")},
        {"filesystem", observe_simple("filesystem", "context store open")},
    };
    size_t n = sizeof parts / sizeof parts[0];
    json_t *components = json_object(), *errors = json_array();
    int healthy = 1, oom = !components || !errors;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].comp) {
            oom = 1;
            continue;
        }
        if (!json_is_true(json_object_get(parts[i].comp, "is_healthy")))
            healthy = 0;
        if (json_is_true(json_object_get(parts[i].comp, "has_errors"))) {
            char msg[64];
            snprintf(msg, sizeof msg, "%s has errors", parts[i].name);
            json_array_append_new(errors, json_string(msg));
        }
        if (!oom)
            json_object_set(components, parts[i].name, parts[i].comp);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(parts[i].comp);
    if (oom) {
        json_decref(components);
        json_decref(errors);
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        return;
    }
    http_reply_ok(reply, json_pack("{s:b, s:o, s:o}", "is_healthy", healthy, "errors", errors,
                                   "components", components));
}

const struct route routes_observer[] = {
    {"GET", "/api/v1/observer/system", 0, NULL, observer_system},
    {"GET", "/api/v1/observer/queue", 0, NULL, observer_queue},
    {"GET", "/api/v1/observer/vikingdb", 0, NULL, observer_vikingdb},
    {"GET", "/api/v1/observer/models", 0, NULL, observer_models},
    {NULL, NULL, 0, NULL, NULL},
};
