/*
 * Generations: the set of backend instances built from one config. A request or job pins the
 * generation current when it starts (runtime_acquire) and finishes on it, so a reload never pulls
 * an instance from under a call. Sections unchanged by a reload share their backend with the
 * previous generation; a backend is destroyed, and its library unloaded, only when no generation
 * holds it. All building, publishing and reaping happens on the control thread.
 */
#ifndef SKALD_RUNTIME_GENERATION_H
#define SKALD_RUNTIME_GENERATION_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "plugin/instance.h"

struct backend {
    enum backend_slot slot;
    struct plugin_instance *inst; /* owned; destroyed with the backend */
    char *signature;              /* plugin file identity + keys: equal means unchanged */
    uint64_t created_generation;
    int holders;                  /* generations holding it; guarded by the runtime lock */
};

struct generation {
    uint64_t id;
    struct config *config;                    /* owned */
    struct backend *backends[BACKEND_COUNT];  /* held; NULL for an absent optional section */
    atomic_int refs;                          /* 1 while current, plus one per user */
    int64_t retired_at_ns;                    /* when it stopped being current; 0 while current */
    int drain_warned;
    struct generation *next_retired;
};

struct reload_record {
    uint64_t generation; /* the generation serving after this attempt */
    int ok;
    int64_t at_ms;       /* wall clock */
    char error[1024];
};

struct runtime {
    pthread_mutex_t lock;
    struct generation *current;      /* NULL until the first generation is published */
    struct generation *retired;      /* draining, newest first */
    struct backend **doomed;         /* unheld backends waiting to be migrated/destroyed */
    size_t n_doomed;
    uint64_t last_id;
    char *cache_dir;                 /* where changed plugin files are copied; owned */
    struct reload_record last_reload;
    uint64_t reloads_ok, reloads_failed;
};

int runtime_init(struct runtime *rt, const char *data_dir, char *err, size_t err_cap);
/* Destroys every generation and backend; call after the last user released its generation. */
void runtime_destroy(struct runtime *rt);

/* Builds a generation from cfg (taking ownership of cfg, also on failure), reusing the current
 * generation's backend for every section whose plugin file and keys are unchanged, and creating
 * the others. Nothing is published. On failure every instance it created is destroyed and err
 * reads "FILE:LINE: [section] plugin: why". Control thread only. */
int runtime_build(struct runtime *rt, struct config *cfg, struct generation **out, char *err,
                  size_t err_cap);
/* Makes g current; the previous generation starts draining. Control thread only. */
void runtime_publish(struct runtime *rt, struct generation *g);
/* Frees a generation that was built but never published. */
void runtime_discard(struct runtime *rt, struct generation *g);

/* Pins the current generation (NULL before the first one). Never blocks beyond a mutex. */
struct generation *runtime_acquire(struct runtime *rt);
void runtime_release(struct runtime *rt, struct generation *g);

/* Frees drained generations and destroys unheld backends, moving a retired queue's items into the
 * current queue first. Logs generations that drain slowly. Control thread only. Returns the number
 * of generations still draining. */
size_t runtime_reap(struct runtime *rt);

/* Records a reload outcome for status. */
void runtime_record_reload(struct runtime *rt, int ok, const char *error);

#endif
