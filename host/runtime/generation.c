#include "runtime/generation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/log.h"
#include "plugin/module.h"
#include "runtime/queue_migrate.h"

/* A generation still draining this long after retirement is logged, so a stuck call is visible. */
#define GENERATION_DRAIN_WARN_NS (30LL * 1000000000LL)

int runtime_init(struct runtime *rt, const char *data_dir, char *err, size_t err_cap)
{
    memset(rt, 0, sizeof *rt);
    size_t len = strlen(data_dir) + sizeof "/plugin-cache";
    rt->cache_dir = malloc(len);
    if (!rt->cache_dir) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    snprintf(rt->cache_dir, len, "%s/plugin-cache", data_dir);
    pthread_mutex_init(&rt->lock, NULL);
    return 0;
}

/* The identity of a section: the plugin file as it is on disk now, and its keys in order. */
static char *backend_signature(const struct backend_config *b)
{
    struct stat st;
    if (stat(b->plugin_path, &st) != 0)
        memset(&st, 0, sizeof st);
    size_t len = strlen(b->plugin_path) + 128;
    for (size_t i = 0; i < b->n_entries; i++)
        len += strlen(b->entries[i].key) + strlen(b->entries[i].value) + 2;
    char *sig = malloc(len);
    if (!sig)
        return NULL;
    int n = snprintf(sig, len, "%s|%llu:%llu:%lld:%lld.%09ld", b->plugin_path,
                     (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                     (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    for (size_t i = 0; i < b->n_entries; i++)
        n += snprintf(sig + n, len - (size_t)n, "\n%s=%s", b->entries[i].key, b->entries[i].value);
    return sig;
}

static void backend_destroy(struct backend *b)
{
    log_info("backend [%s] %s from generation %llu destroyed", config_backend_section_name(b->slot),
             b->inst->module->name, (unsigned long long)b->created_generation);
    plugin_instance_destroy(b->inst);
    free(b->signature);
    free(b);
}

static int backend_create(const struct config *cfg, enum backend_slot slot, char *signature,
                          const char *cache_dir, uint64_t gen_id, struct backend **out, char *err,
                          size_t err_cap)
{
    const struct backend_config *bc = &cfg->backends[slot];
    const char *section = config_backend_section_name(slot);
    char why[768];
    struct plugin_module *m = plugin_module_open(bc->plugin_path, cache_dir, why, sizeof why);
    if (!m) {
        snprintf(err, err_cap, "%s:%d: [%s] plugin: %s", cfg->path, bc->line, section, why);
        return -1;
    }
    if (m->kind != config_backend_kind(slot)) {
        snprintf(err, err_cap, "%s:%d: [%s] plugin: %s is a %s plugin, this section needs a %s plugin",
                 cfg->path, bc->line, section, bc->plugin, plugin_kind_name(m->kind),
                 plugin_kind_name(config_backend_kind(slot)));
        plugin_module_unref(m);
        return -1;
    }
    struct plugin_instance *inst = NULL;
    int rc = plugin_instance_create(m, section, bc->entries, bc->n_entries, cfg->server.data_dir,
                                    &inst, why, sizeof why);
    plugin_module_unref(m);
    if (rc != 0) {
        snprintf(err, err_cap, "%s:%d: [%s] %s: %s", cfg->path, bc->line, section, bc->plugin, why);
        return -1;
    }
    struct backend *b = calloc(1, sizeof *b);
    if (!b) {
        plugin_instance_destroy(inst);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    b->slot = slot;
    b->inst = inst;
    b->signature = signature;
    b->created_generation = gen_id;
    *out = b;
    return 0;
}

static void generation_free(struct generation *g)
{
    config_free(g->config);
    free(g);
}

int runtime_build(struct runtime *rt, struct config *cfg, struct generation **out, char *err,
                  size_t err_cap)
{
    struct generation *g = calloc(1, sizeof *g);
    if (!g) {
        config_free(cfg);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    g->config = cfg;
    pthread_mutex_lock(&rt->lock);
    g->id = rt->last_id + 1;
    struct generation *cur = rt->current;
    pthread_mutex_unlock(&rt->lock);

    struct backend *created[BACKEND_COUNT] = {0};
    for (int slot = 0; slot < BACKEND_COUNT; slot++) {
        if (!cfg->backends[slot].present)
            continue;
        char *sig = backend_signature(&cfg->backends[slot]);
        if (!sig) {
            snprintf(err, err_cap, "out of memory");
            goto fail;
        }
        struct backend *old = cur ? cur->backends[slot] : NULL;
        if (old && strcmp(old->signature, sig) == 0) {
            free(sig);
            g->backends[slot] = old;
            continue;
        }
        if (backend_create(cfg, (enum backend_slot)slot, sig, rt->cache_dir, g->id, &created[slot],
                           err, err_cap) != 0) {
            free(sig);
            goto fail;
        }
        g->backends[slot] = created[slot];
    }
    /* Holders are counted only once the build cannot fail, so a failed build touches nothing
     * the serving generation uses. */
    pthread_mutex_lock(&rt->lock);
    for (int slot = 0; slot < BACKEND_COUNT; slot++)
        if (g->backends[slot])
            g->backends[slot]->holders++;
    rt->last_id = g->id;
    pthread_mutex_unlock(&rt->lock);
    atomic_init(&g->refs, 1);
    *out = g;
    return 0;
fail:
    for (int slot = BACKEND_COUNT - 1; slot >= 0; slot--)
        if (created[slot])
            backend_destroy(created[slot]);
    generation_free(g);
    return -1;
}

void runtime_discard(struct runtime *rt, struct generation *g)
{
    pthread_mutex_lock(&rt->lock);
    for (int slot = 0; slot < BACKEND_COUNT; slot++) {
        struct backend *b = g->backends[slot];
        if (b && --b->holders == 0)
            backend_destroy(b);
    }
    pthread_mutex_unlock(&rt->lock);
    generation_free(g);
}

void runtime_publish(struct runtime *rt, struct generation *g)
{
    pthread_mutex_lock(&rt->lock);
    struct generation *old = rt->current;
    rt->current = g;
    if (old) {
        old->retired_at_ns = clock_monotonic_ns();
        old->next_retired = rt->retired;
        rt->retired = old;
    }
    pthread_mutex_unlock(&rt->lock);
    /* The "current" reference of the old generation; users still holding it keep it alive. */
    if (old)
        atomic_fetch_sub(&old->refs, 1);
    log_info("generation %llu active", (unsigned long long)g->id);
}

struct generation *runtime_acquire(struct runtime *rt)
{
    pthread_mutex_lock(&rt->lock);
    struct generation *g = rt->current;
    if (g)
        atomic_fetch_add(&g->refs, 1);
    pthread_mutex_unlock(&rt->lock);
    return g;
}

void runtime_release(struct runtime *rt, struct generation *g)
{
    (void)rt;
    /* Freeing is the reaper's job on the control thread, so release never runs destroy code on
     * a worker or the HTTP thread. */
    atomic_fetch_sub(&g->refs, 1);
}

static int doomed_push(struct runtime *rt, struct backend *b)
{
    struct backend **d = realloc(rt->doomed, (rt->n_doomed + 1) * sizeof *d);
    if (!d)
        return -1;
    rt->doomed = d;
    rt->doomed[rt->n_doomed++] = b;
    return 0;
}

/* Destroys unheld backends; a queue backend first hands its items to the current queue. A queue
 * whose items cannot be moved yet stays doomed and is retried on the next reap. */
static void runtime_destroy_doomed(struct runtime *rt, struct backend *current_queue)
{
    size_t kept = 0;
    for (size_t i = 0; i < rt->n_doomed; i++) {
        struct backend *b = rt->doomed[i];
        if (b->slot == BACKEND_QUEUE && current_queue && b != current_queue) {
            char err[512];
            if (queue_migrate(b->inst, current_queue->inst, err, sizeof err) != 0) {
                log_error("queue: moving items out of %s failed, kept for retry: %s",
                          b->inst->module->name, err);
                rt->doomed[kept++] = b;
                continue;
            }
        }
        backend_destroy(b);
    }
    rt->n_doomed = kept;
}

size_t runtime_reap(struct runtime *rt)
{
    size_t draining = 0;
    int64_t now = clock_monotonic_ns();
    pthread_mutex_lock(&rt->lock);
    struct generation **link = &rt->retired;
    while (*link) {
        struct generation *g = *link;
        if (atomic_load(&g->refs) > 0) {
            draining++;
            if (!g->drain_warned && now - g->retired_at_ns > GENERATION_DRAIN_WARN_NS) {
                g->drain_warned = 1;
                log_warn("generation %llu still has %d calls in flight 30 s after a reload",
                         (unsigned long long)g->id, atomic_load(&g->refs));
            }
            link = &g->next_retired;
            continue;
        }
        *link = g->next_retired;
        for (int slot = 0; slot < BACKEND_COUNT; slot++) {
            struct backend *b = g->backends[slot];
            if (b && --b->holders == 0 && doomed_push(rt, b) != 0)
                log_error("out of memory: backend %s leaked", b->inst->module->name);
        }
        log_info("generation %llu drained", (unsigned long long)g->id);
        generation_free(g);
    }
    struct backend *current_queue = rt->current ? rt->current->backends[BACKEND_QUEUE] : NULL;
    pthread_mutex_unlock(&rt->lock);
    /* Doomed backends are reachable from no generation, so they are handled outside the lock:
     * a queue migration may take a while and acquire() must not wait for it. */
    runtime_destroy_doomed(rt, current_queue);
    return draining;
}

void runtime_record_reload(struct runtime *rt, int ok, const char *error)
{
    pthread_mutex_lock(&rt->lock);
    rt->last_reload.ok = ok;
    rt->last_reload.generation = rt->current ? rt->current->id : 0;
    rt->last_reload.at_ms = clock_wall_ms();
    snprintf(rt->last_reload.error, sizeof rt->last_reload.error, "%s", error ? error : "");
    if (ok)
        rt->reloads_ok++;
    else
        rt->reloads_failed++;
    pthread_mutex_unlock(&rt->lock);
}

void runtime_destroy(struct runtime *rt)
{
    /* Reap while cur is still current, so retired queues move their items into its queue. */
    runtime_reap(rt);
    pthread_mutex_lock(&rt->lock);
    struct generation *cur = rt->current;
    rt->current = NULL;
    pthread_mutex_unlock(&rt->lock);
    if (cur && atomic_load(&cur->refs) > 1) {
        /* A call that ignored its deadline is still inside a plugin: unloading its code would
         * crash it, and the process is about to exit anyway. */
        log_warn("generation %llu still has %d calls in flight at exit; its backends are left loaded",
                 (unsigned long long)cur->id, atomic_load(&cur->refs) - 1);
        cur = NULL;
    }
    if (cur) {
        for (int slot = BACKEND_COUNT - 1; slot >= 0; slot--) {
            struct backend *b = cur->backends[slot];
            if (b && --b->holders == 0)
                backend_destroy(b);
        }
        generation_free(cur);
    }
    for (size_t i = 0; i < rt->n_doomed; i++)
        backend_destroy(rt->doomed[i]);
    free(rt->doomed);
    free(rt->cache_dir);
    if (!rt->retired)
        pthread_mutex_destroy(&rt->lock);
}
