/* /ready, /api/v1/system/status and /api/v1/system/reload. (/health is answered by the server
 * itself from a prebuilt response.) */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "daemon/control.h"
#include "http/router.h"
#include "plugin/module.h"
#include "session/session_engine.h"

static const char *recovery_text(int state)
{
    switch (state) {
    case RECOVERY_RUNNING: return "running";
    case RECOVERY_DONE: return "ok";
    case RECOVERY_FAILED: return "failed";
    default: return "pending";
    }
}

/* Reads atomics only, so it stays on the HTTP thread. */
static void ready_handle(struct http_request *req, struct http_reply *reply)
{
    struct app *app = req->app;
    int plugins = atomic_load(&app->plugins_ready);
    int recovery = atomic_load(&app->recovery);
    int shutting_down = atomic_load(&app->shutting_down);
    int storage = atomic_load(&app->store) != NULL;
    int ready = storage && plugins && recovery != RECOVERY_PENDING && !shutting_down;
    json_t *checks = json_pack("{s:s, s:s, s:s, s:I}", "storage",
                               storage ? "ok" : (recovery == RECOVERY_FAILED ? "error" : "pending"),
                               "plugins", plugins ? "ok" : "pending", "recovery",
                               recovery_text(recovery), "recovery_requeued",
                               (json_int_t)atomic_load(&app->recovery_jobs));
    if (shutting_down)
        json_object_set_new(checks, "server", json_string("shutting_down"));
    /* Recovered commits wait on the model, so they are shown but never hold readiness. */
    uint64_t sessions_pending = 0;
    json_object_set_new(checks, "session_recovery",
                        json_string(session_engine_recovery_state(app, &sessions_pending)));
    json_object_set_new(checks, "session_recovery_pending", json_integer((json_int_t)sessions_pending));
    http_reply_raw(reply, ready ? 200 : 503,
                   json_pack("{s:s, s:o}", "status", ready ? "ready" : "not_ready", "checks", checks));
}

static int status_topic_visit(void *arg, const struct skald_queue_topic_stats *st)
{
    json_array_append_new(arg, json_pack("{s:s, s:I, s:I, s:I, s:I}", "topic", st->topic, "pending",
                                         (json_int_t)st->pending, "leased", (json_int_t)st->leased,
                                         "dead", (json_int_t)st->dead, "oldest_pending_age_ms",
                                         (json_int_t)st->oldest_pending_age_ms));
    return 0;
}

static void status_metric_visit(void *arg, const struct plugin_metric *m)
{
    json_object_set_new(arg, m->name, json_real(m->value));
}

static json_t *status_plugins(struct generation *gen)
{
    json_t *plugins = json_array();
    for (int slot = 0; slot < BACKEND_COUNT; slot++) {
        struct backend *b = gen->backends[slot];
        if (!b)
            continue;
        const struct plugin_module *m = b->inst->module;
        char abi[16];
        snprintf(abi, sizeof abi, "%u.%u", m->abi_major, m->abi_minor);
        json_t *metrics = json_object();
        plugin_instance_metrics_visit(b->inst, status_metric_visit, metrics);
        json_array_append_new(plugins,
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "section",
                                        config_backend_section_name((enum backend_slot)slot), "kind",
                                        plugin_kind_name(m->kind), "name", m->name, "version",
                                        m->version, "abi", abi, "file", m->path, "generation",
                                        (json_int_t)b->created_generation, "metrics", metrics));
    }
    return plugins;
}

static void status_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct app *app = req->app;
    if (!gen) {
        http_reply_error(reply, "UNAVAILABLE", NULL, "plugins are still being created");
        return;
    }
    json_t *topics = json_array();
    json_t *queue = json_pack("{s:s, s:o}", "backend",
                              gen->backends[BACKEND_QUEUE]->inst->module->name, "topics", topics);
    struct plugin_instance *qi = gen->backends[BACKEND_QUEUE]->inst;
    struct skald_call_ctx ctx;
    char err[512];
    http_request_call_ctx(req, gen, &ctx, err, sizeof err);
    if (plugin_instance_ops(qi, queue)->stats(qi->handle, &ctx, status_topic_visit, topics) != SKALD_OK)
        json_object_set_new(queue, "error", json_string(err));

    struct runtime *rt = &app->runtime;
    pthread_mutex_lock(&rt->lock);
    struct reload_record last = rt->last_reload;
    json_int_t ok = (json_int_t)rt->reloads_ok, failed = (json_int_t)rt->reloads_failed;
    pthread_mutex_unlock(&rt->lock);
    json_t *last_reload = last.at_ms
                              ? json_pack("{s:I, s:b, s:s?, s:I}", "generation", (json_int_t)last.generation,
                                          "ok", last.ok, "error", last.ok ? NULL : last.error, "at_ms",
                                          (json_int_t)last.at_ms)
                              : json_null();
    double uptime = (double)(clock_monotonic_ns() - app->started_ns) / 1e9;
    http_reply_ok(reply, json_pack("{s:s, s:f, s:i, s:I, s:s, s:o, s:o, s:o, s:{s:I, s:I}}",
                                   "version", SKALD_VERSION, "uptime_seconds", uptime, "pid",
                                   (int)getpid(), "generation", (json_int_t)gen->id, "config",
                                   gen->config->path, "plugins", status_plugins(gen), "queue", queue,
                                   "last_reload", last_reload, "reloads", "ok", ok, "failed", failed));
}

static void reload_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    (void)gen;
    char err[1024];
    if (control_request_reload(req->app, err, sizeof err) != 0) {
        http_reply_error(reply, "INVALID_ARGUMENT", NULL, "reload failed: %s", err);
        return;
    }
    struct runtime *rt = &req->app->runtime;
    pthread_mutex_lock(&rt->lock);
    json_int_t id = rt->current ? (json_int_t)rt->current->id : 0;
    pthread_mutex_unlock(&rt->lock);
    http_reply_ok(reply, json_pack("{s:I}", "generation", id));
}

const struct route routes_system[] = {
    {"GET", "/ready", 0, ready_handle, NULL},
    {"GET", "/api/v1/system/status", 0, NULL, status_handle},
    {"POST", "/api/v1/system/reload", 0, NULL, reload_handle},
    {NULL, NULL, 0, NULL, NULL},
};
