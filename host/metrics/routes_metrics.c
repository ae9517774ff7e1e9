/* GET /metrics: the Prometheus text exposition. It asks the queue plugin for its depth and reads
 * /proc, so it runs on a worker; the HTTP counters it shows were recorded lock-free. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/router.h"
#include "http/server.h"
#include "metrics/metrics_http.h"
#include "metrics/metrics_process.h"
#include "metrics/metrics_route.h"
#include "metrics/metrics_text.h"
#include "pipeline/pipeline.h"
#include "session/session_engine.h"

static atomic_int metrics_enabled = 1;

void metrics_route_set_enabled(int on) { atomic_store(&metrics_enabled, on); }

/* One plugin metric as exposed: its Prometheus name, type and labels. */
struct plugin_sample {
    char name[128];
    int is_gauge;
    const char *section;
    const char *plugin;
    double value;
};

struct plugin_samples {
    struct plugin_sample *items;
    size_t n, cap;
    const char *section, *plugin; /* of the instance being visited */
    int oom;
};

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* skald_plugin_<name>, in base units (a "_ms" name becomes "_seconds"), counters ending in
 * "_total". */
static void plugin_sample_name(const struct plugin_metric *m, struct plugin_sample *out)
{
    static const struct {
        const char *suffix;
        double divide;
    } units[] = {{"_ms", 1e3}, {"_us", 1e6}, {"_ns", 1e9}};
    char base[64];
    snprintf(base, sizeof base, "%s", m->name);
    size_t len = strlen(base);
    out->value = m->value;
    if (!m->is_gauge && ends_with(base, len, "_total"))
        base[len -= 6] = '\0';
    const char *unit = "";
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ends_with(base, len, units[i].suffix)) {
            base[len - strlen(units[i].suffix)] = '\0';
            out->value = m->value / units[i].divide;
            unit = "_seconds";
            break;
        }
    }
    snprintf(out->name, sizeof out->name, "skald_plugin_%s%s%s", base, unit, m->is_gauge ? "" : "_total");
}

static void plugin_metric_visit(void *arg, const struct plugin_metric *m)
{
    struct plugin_samples *ps = arg;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 32;
        struct plugin_sample *items = realloc(ps->items, cap * sizeof *items);
        if (!items) {
            ps->oom = 1;
            return;
        }
        ps->items = items;
        ps->cap = cap;
    }
    struct plugin_sample *s = &ps->items[ps->n++];
    plugin_sample_name(m, s);
    s->is_gauge = m->is_gauge;
    s->section = ps->section;
    s->plugin = ps->plugin;
}

static int plugin_sample_cmp(const void *a, const void *b)
{
    const struct plugin_sample *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c == 0)
        c = x->is_gauge - y->is_gauge;
    return c ? c : strcmp(x->section, y->section);
}

/* Every counter and gauge the plugins of gen published, grouped into families. */
static int write_plugin_metrics(FILE *out, struct generation *gen)
{
    struct plugin_samples ps = {0};
    for (int slot = 0; slot < BACKEND_COUNT; slot++) {
        struct backend *b = gen->backends[slot];
        if (!b)
            continue;
        ps.section = config_backend_section_name((enum backend_slot)slot);
        ps.plugin = b->inst->module->name;
        plugin_instance_metrics_visit(b->inst, plugin_metric_visit, &ps);
    }
    if (ps.oom) {
        free(ps.items);
        return -1;
    }
    if (ps.n > 0)
        qsort(ps.items, ps.n, sizeof *ps.items, plugin_sample_cmp);
    for (size_t i = 0; i < ps.n; i++) {
        const struct plugin_sample *s = &ps.items[i];
        /* A name used as a counter by one plugin and a gauge by another keeps its first type. */
        if (i > 0 && strcmp(s->name, ps.items[i - 1].name) == 0 && s->is_gauge != ps.items[i - 1].is_gauge)
            continue;
        if (i == 0 || strcmp(s->name, ps.items[i - 1].name) != 0)
            metrics_text_family(out, s->name, s->is_gauge ? "gauge" : "counter",
                                s->is_gauge ? "Gauge published by the plugin (metric_set)."
                                            : "Counter published by the plugin (metric_add).");
        fprintf(out, "%s{section=", s->name);
        metrics_text_label_value(out, s->section);
        fputs(",plugin=", out);
        metrics_text_label_value(out, s->plugin);
        fputs("} ", out);
        metrics_text_value(out, s->value);
        fputc('\n', out);
    }
    free(ps.items);
    return 0;
}

struct queue_topics {
    FILE *items;   /* skald_queue_items samples */
    FILE *oldest;  /* skald_queue_oldest_pending_age_seconds samples */
};

static void write_topic_sample(FILE *out, const char *name, const char *topic, const char *state, double v)
{
    fprintf(out, "%s{topic=", name);
    metrics_text_label_value(out, topic);
    if (state)
        fprintf(out, ",state=\"%s\"", state);
    fputs("} ", out);
    metrics_text_value(out, v);
    fputc('\n', out);
}

static int queue_topic_visit(void *arg, const struct skald_queue_topic_stats *st)
{
    struct queue_topics *q = arg;
    write_topic_sample(q->items, "skald_queue_items", st->topic, "pending", (double)st->pending);
    write_topic_sample(q->items, "skald_queue_items", st->topic, "leased", (double)st->leased);
    write_topic_sample(q->items, "skald_queue_items", st->topic, "dead", (double)st->dead);
    write_topic_sample(q->oldest, "skald_queue_oldest_pending_age_seconds", st->topic, NULL,
                       (double)st->oldest_pending_age_ms / 1e3);
    return 0;
}

/* Queue depth by topic and state, from the queue plugin's stats (a plugin call). */
static int write_queue_metrics(FILE *out, struct http_request *req, struct generation *gen)
{
    struct plugin_instance *qi = gen->backends[BACKEND_QUEUE]->inst;
    char *items_text = NULL, *oldest_text = NULL;
    size_t items_len = 0, oldest_len = 0;
    struct queue_topics q = {open_memstream(&items_text, &items_len),
                             open_memstream(&oldest_text, &oldest_len)};
    int rc = -1;
    if (q.items && q.oldest) {
        struct skald_call_ctx ctx;
        char err[512];
        http_request_call_ctx(req, gen, &ctx, err, sizeof err);
        int ok = plugin_instance_ops(qi, queue)->stats(qi->handle, &ctx, queue_topic_visit, &q) == SKALD_OK;
        if (!ok)
            log_warn("metrics: queue stats from %s failed: %s", qi->module->name, err);
        int closed = fclose(q.items) == 0;
        closed &= fclose(q.oldest) == 0;
        q.items = q.oldest = NULL;
        if (closed) {
            metrics_text_family(out, "skald_queue_stats_up", "gauge",
                                "1 when the queue plugin answered its stats for this scrape.");
            metrics_text_sample(out, "skald_queue_stats_up", ok);
            metrics_text_family(out, "skald_queue_items", "gauge", "Queue items by topic and state.");
            fwrite(items_text, 1, items_len, out);
            metrics_text_family(out, "skald_queue_oldest_pending_age_seconds", "gauge",
                                "Age of the oldest pending item of each topic (0 when none).");
            fwrite(oldest_text, 1, oldest_len, out);
            rc = 0;
        }
    }
    if (q.items)
        fclose(q.items);
    if (q.oldest)
        fclose(q.oldest);
    free(items_text);
    free(oldest_text);
    return rc;
}

static void write_runtime_metrics(FILE *out, struct app *app, struct generation *gen)
{
    struct runtime *rt = &app->runtime;
    pthread_mutex_lock(&rt->lock);
    unsigned long long ok = rt->reloads_ok, failed = rt->reloads_failed;
    size_t draining = 0;
    for (struct generation *g = rt->retired; g; g = g->next_retired)
        draining++;
    pthread_mutex_unlock(&rt->lock);
    size_t instances = 0;
    for (int slot = 0; slot < BACKEND_COUNT; slot++)
        instances += gen->backends[slot] != NULL;
    metrics_text_family(out, "skald_reloads_total", "counter", "Configuration reloads by result.");
    fprintf(out, "skald_reloads_total{result=\"ok\"} %llu\nskald_reloads_total{result=\"failed\"} %llu\n",
            ok, failed);
    metrics_text_family(out, "skald_config_generation", "gauge", "Generation of the serving configuration.");
    metrics_text_sample(out, "skald_config_generation", (double)gen->id);
    metrics_text_family(out, "skald_generations_draining", "gauge",
                        "Retired generations still used by calls in flight.");
    metrics_text_sample(out, "skald_generations_draining", (double)draining);
    metrics_text_family(out, "skald_plugin_instances", "gauge",
                        "Plugin instances of the serving generation.");
    metrics_text_sample(out, "skald_plugin_instances", (double)instances);
    metrics_text_family(out, "skald_worker_backlog", "gauge", "Worker-pool tasks queued or running.");
    metrics_text_sample(out, "skald_worker_backlog", (double)workers_backlog(app->workers));
    metrics_text_family(out, "skald_http_suspended_requests", "gauge",
                        "Requests waiting on a worker or on background work.");
    metrics_text_sample(out, "skald_http_suspended_requests", (double)http_server_in_flight(app->http));
    metrics_text_family(out, "skald_ready", "gauge", "1 once /ready answers 200.");
    int ready = atomic_load(&app->plugins_ready) && atomic_load(&app->recovery) != RECOVERY_PENDING &&
                !atomic_load(&app->shutting_down);
    metrics_text_sample(out, "skald_ready", ready);
    metrics_text_family(out, "skald_jobs_total", "counter",
                        "Pipeline jobs finished by this process, by kind and outcome.");
    static const struct {
        enum job_kind kind;
        const char *name;
    } kinds[] = {{JOB_SEMANTIC, "semantic"}, {JOB_EMBED, "embed"}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct pipeline_counts pc;
        pipeline_counts(app->pipeline, kinds[i].kind, &pc);
        fprintf(out,
                "skald_jobs_total{kind=\"%s\",outcome=\"processed\"} %llu\n"
                "skald_jobs_total{kind=\"%s\",outcome=\"requeued\"} %llu\n"
                "skald_jobs_total{kind=\"%s\",outcome=\"dead\"} %llu\n",
                kinds[i].name, (unsigned long long)pc.processed, kinds[i].name,
                (unsigned long long)pc.requeued, kinds[i].name, (unsigned long long)pc.dead);
    }
    metrics_text_family(out, "skald_log_lines_dropped_total", "counter",
                        "Log lines dropped because stderr could not keep up.");
    metrics_text_sample(out, "skald_log_lines_dropped_total", (double)log_dropped());
}

/* Session lanes: by state, the watchdog's classifications and its recoveries (release of a
 * stuck lane; abort of a stalled call). All zero until background recovery starts the engine. */
static void write_session_metrics(FILE *out, struct app *app)
{
    static const char *const classes[] = {"long_running", "stalled", "stuck"};
    struct session_lanes_stats st = {0};
    struct session_engine *e = atomic_load(&app->sessions);
    if (e)
        session_lanes_stats(session_engine_lanes(e), &st);
    metrics_text_family(out, "skald_session_lanes", "gauge",
                        "Session lanes by state: idle, busy, or the watchdog's last class.");
    for (int s = 0; s < LANES_STATES; s++)
        fprintf(out, "skald_session_lanes{state=\"%s\"} %llu\n",
                session_lanes_state_name((enum lanes_state)s), (unsigned long long)st.by_state[s]);
    metrics_text_family(out, "skald_session_lane_classifications_total", "counter",
                        "Busy lanes the watchdog classified, counted on every tick, by class.");
    const uint64_t counts[] = {st.long_running, st.stalled, st.stuck};
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        fprintf(out, "skald_session_lane_classifications_total{class=\"%s\"} %llu\n", classes[i],
                (unsigned long long)counts[i]);
    const char *req = "skald_session_lane_recoveries_requested_total";
    metrics_text_family(out, req, "counter",
                        "Lane recoveries the watchdog started: release_lane for a stuck lane, "
                        "abort for a stalled call.");
    fprintf(out, "%s{action=\"release_lane\"} %llu\n%s{action=\"abort\"} %llu\n", req,
            (unsigned long long)st.released, req, (unsigned long long)st.aborted);
    const char *done = "skald_session_lane_recoveries_completed_total";
    metrics_text_family(out, done, "counter",
                        "Lane recoveries ended, by action and status (aborted: the cancelled call "
                        "returned; force_released: it did not within abort_settle_ms).");
    fprintf(out,
            "%s{action=\"release_lane\",status=\"released\"} %llu\n"
            "%s{action=\"abort\",status=\"aborted\"} %llu\n"
            "%s{action=\"abort\",status=\"force_released\"} %llu\n",
            done, (unsigned long long)st.released, done, (unsigned long long)st.abort_drained, done,
            (unsigned long long)st.abort_forced);
    metrics_text_family(out, "skald_session_model_slots", "gauge",
                        "Model slots of session work ([sessions] max_extractions): busy and max.");
    fprintf(out,
            "skald_session_model_slots{state=\"busy\"} %u\n"
            "skald_session_model_slots{state=\"max\"} %u\n",
            st.slots_busy, st.slots_max);
}

static void metrics_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    if (!atomic_load(&metrics_enabled)) {
        http_reply_error(reply, "NOT_FOUND", NULL, "Not Found");
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        http_reply_error(reply, "RESOURCE_EXHAUSTED", NULL, "out of memory");
        return;
    }
    metrics_text_family(out, "skald_build_info", "gauge", "Always 1; the version is a label.");
    fprintf(out, "skald_build_info{version=\"%s\"} 1\n", SKALD_VERSION);
    metrics_http_write(out);
    int rc = 0;
    if (gen) {
        write_runtime_metrics(out, req->app, gen);
        rc = write_queue_metrics(out, req, gen) | write_plugin_metrics(out, gen);
    }
    write_session_metrics(out, req->app);
    metrics_process_write(out, req->app->started_ns);
    if (fclose(out) != 0 || rc != 0) {
        free(text);
        http_reply_error(reply, "RESOURCE_EXHAUSTED", NULL, "out of memory");
        return;
    }
    http_reply_bytes(reply, text, len, METRICS_CONTENT_TYPE, NULL);
}

const struct route routes_metrics[] = {
    {.method = "GET", .path = "/metrics", .async_fn = metrics_handle},
    {.method = NULL, .path = NULL},
};
