/*
 * One created plugin instance: the module it runs (holding a reference), the host-services table
 * handed to it, owned copies of its config section, and its counters/gauges.
 */
#ifndef SKALD_PLUGIN_INSTANCE_H
#define SKALD_PLUGIN_INSTANCE_H

#include <pthread.h>
#include <stddef.h>

#include <skald/plugin.h>

#include "plugin/module.h"

struct plugin_metric {
    char name[64];
    double value;
    int is_gauge;
};

struct plugin_instance {
    struct plugin_module *module;       /* one reference held, dropped by destroy */
    struct skald_host host;             /* services for the plugin; host.host_data == this */
    char *section;                      /* owned */
    struct skald_config_entry *config;  /* owned deep copy */
    size_t config_count;
    char *data_dir;                     /* owned */
    void *handle;                       /* the plugin's own instance pointer */
    pthread_mutex_t metrics_lock;
    struct plugin_metric *metrics;      /* owned, guarded by metrics_lock */
    size_t n_metrics;
};

/*
 * Creates an instance of module m for config section `section` with the given keys (deep-copied;
 * the caller keeps its own). Takes a module reference. On failure returns -1 with the plugin's
 * message in err, prefixed by nothing: the caller adds file and section.
 */
int plugin_instance_create(struct plugin_module *m, const char *section,
                           const struct skald_config_entry *config, size_t config_count,
                           const char *data_dir, struct plugin_instance **out, char *err,
                           size_t err_cap);
/* Calls the plugin's destroy, frees everything, drops the module reference. */
void plugin_instance_destroy(struct plugin_instance *inst);

/* Visits a snapshot of the instance's metrics in name order. */
void plugin_instance_metrics_visit(struct plugin_instance *inst,
                                   void (*visit)(void *arg, const struct plugin_metric *m),
                                   void *arg);

/* Typed access to the module's ops (the caller knows the kind). */
#define plugin_instance_ops(inst, kind_member) (&(inst)->module->ops_copy.kind_member)

#endif
