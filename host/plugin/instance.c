#include "plugin/instance.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

static void instance_log(const struct skald_host *host, enum skald_log_level level, const char *fmt, ...)
{
    const struct plugin_instance *inst = host->host_data;
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    enum log_level l = level <= SKALD_LOG_DEBUG ? (enum log_level)level : LOG_LEVEL_DEBUG;
    log_write(l, "[%s/%s] %s", inst->section, inst->module->name, msg);
}

static int metric_name_valid(const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p; p++, n++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return n >= 1 && n <= 63;
}

/* Finds or inserts `name` (kept sorted) and applies the change; metrics_lock held. */
static void metric_update(struct plugin_instance *inst, const char *name, double v, int is_gauge)
{
    size_t lo = 0, hi = inst->n_metrics;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(inst->metrics[mid].name, name);
        if (c == 0) {
            inst->metrics[mid].value = is_gauge ? v : inst->metrics[mid].value + v;
            return;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    struct plugin_metric *m = realloc(inst->metrics, (inst->n_metrics + 1) * sizeof *m);
    if (!m)
        return;
    inst->metrics = m;
    memmove(&m[lo + 1], &m[lo], (inst->n_metrics - lo) * sizeof *m);
    snprintf(m[lo].name, sizeof m[lo].name, "%s", name);
    m[lo].value = v;
    m[lo].is_gauge = is_gauge;
    inst->n_metrics++;
}

static void instance_metric(const struct skald_host *host, const char *name, double v, int is_gauge)
{
    struct plugin_instance *inst = host->host_data;
    if (!name || !metric_name_valid(name))
        return;
    pthread_mutex_lock(&inst->metrics_lock);
    metric_update(inst, name, v, is_gauge);
    pthread_mutex_unlock(&inst->metrics_lock);
}

static void instance_metric_add(const struct skald_host *host, const char *name, double delta)
{
    instance_metric(host, name, delta, 0);
}

static void instance_metric_set(const struct skald_host *host, const char *name, double value)
{
    instance_metric(host, name, value, 1);
}

static void instance_free(struct plugin_instance *inst)
{
    for (size_t i = 0; i < inst->config_count; i++) {
        free((char *)inst->config[i].key);
        free((char *)inst->config[i].value);
    }
    free(inst->config);
    free(inst->section);
    free(inst->data_dir);
    free(inst->metrics);
    pthread_mutex_destroy(&inst->metrics_lock);
    if (inst->module)
        plugin_module_unref(inst->module);
    free(inst);
}

/* create/destroy sit at the same offsets in every kind's ops (after struct_size). */
struct instance_lifecycle_ops {
    uint32_t struct_size;
    int (*create)(const struct skald_host *host, void **instance, char *err, size_t err_cap);
    void (*destroy)(void *instance);
};

int plugin_instance_create(struct plugin_module *m, const char *section,
                           const struct skald_config_entry *config, size_t config_count,
                           const char *data_dir, struct plugin_instance **out, char *err,
                           size_t err_cap)
{
    struct plugin_instance *inst = calloc(1, sizeof *inst);
    if (!inst) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    pthread_mutex_init(&inst->metrics_lock, NULL);
    plugin_module_ref(m);
    inst->module = m;
    inst->section = strdup(section);
    inst->data_dir = strdup(data_dir);
    inst->config = calloc(config_count ? config_count : 1, sizeof *inst->config);
    int oom = !inst->section || !inst->data_dir || !inst->config;
    for (size_t i = 0; !oom && i < config_count; i++) {
        inst->config[i].key = strdup(config[i].key);
        inst->config[i].value = strdup(config[i].value);
        inst->config_count = i + 1;
        oom = !inst->config[i].key || !inst->config[i].value;
    }
    if (oom) {
        snprintf(err, err_cap, "out of memory");
        instance_free(inst);
        return -1;
    }
    inst->host = (struct skald_host){
        .struct_size = sizeof(struct skald_host),
        .abi_major = SKALD_ABI_MAJOR,
        .abi_minor = SKALD_ABI_MINOR,
        .log = instance_log,
        .now_monotonic_ns = clock_monotonic_ns,
        .now_wall_ms = clock_wall_ms,
        .metric_add = instance_metric_add,
        .metric_set = instance_metric_set,
        .section = inst->section,
        .config = inst->config,
        .config_count = inst->config_count,
        .data_dir = inst->data_dir,
        .host_data = inst,
    };
    const struct instance_lifecycle_ops *life = m->ops;
    err[0] = '\0';
    if (life->create(&inst->host, &inst->handle, err, err_cap) != SKALD_OK) {
        if (!err[0])
            snprintf(err, err_cap, "create failed");
        instance_free(inst);
        return -1;
    }
    *out = inst;
    return 0;
}

void plugin_instance_destroy(struct plugin_instance *inst)
{
    const struct instance_lifecycle_ops *life = inst->module->ops;
    life->destroy(inst->handle);
    instance_free(inst);
}

void plugin_instance_metrics_visit(struct plugin_instance *inst,
                                   void (*visit)(void *arg, const struct plugin_metric *m),
                                   void *arg)
{
    pthread_mutex_lock(&inst->metrics_lock);
    size_t n = inst->n_metrics;
    struct plugin_metric *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (copy)
        memcpy(copy, inst->metrics, n * sizeof *copy);
    pthread_mutex_unlock(&inst->metrics_lock);
    for (size_t i = 0; copy && i < n; i++)
        visit(arg, &copy[i]);
    free(copy);
}
