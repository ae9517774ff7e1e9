#include "runtime/queue_migrate.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

#define QUEUE_MIGRATE_BATCH 1000
#define QUEUE_MIGRATE_CALL_NS (30LL * 1000000000LL)

/* Owned copies of one exported batch: the source's strings live only during its visitor. */
struct migrate_batch {
    struct skald_queue_import_item items[QUEUE_MIGRATE_BATCH];
    int64_t ids[QUEUE_MIGRATE_BATCH];
    size_t n;
    int oom;
};

static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

static int migrate_collect(void *arg, const struct skald_queue_item *it)
{
    struct migrate_batch *b = arg;
    if (b->n == QUEUE_MIGRATE_BATCH)
        return 1;
    struct skald_queue_import_item *d = &b->items[b->n];
    memset(d, 0, sizeof *d);
    d->topic = dup_or_null(it->topic, &b->oom);
    d->dedupe_key = dup_or_null(it->dedupe_key, &b->oom);
    d->last_error = dup_or_null(it->last_error, &b->oom);
    void *payload = malloc(it->payload_len ? it->payload_len : 1);
    if (!payload)
        b->oom = 1;
    else if (it->payload_len)
        memcpy(payload, it->payload, it->payload_len);
    d->payload = payload;
    d->payload_len = it->payload_len;
    d->state = it->state == SKALD_QUEUE_DEAD ? SKALD_QUEUE_DEAD : SKALD_QUEUE_PENDING;
    d->attempts = it->attempts;
    d->not_before_ms = it->not_before_ms;
    d->enqueued_ms = it->enqueued_ms;
    b->ids[b->n] = it->id;
    b->n++;
    return b->oom ? 1 : 0;
}

static void migrate_batch_clear(struct migrate_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free((char *)b->items[i].topic);
        free((char *)b->items[i].dedupe_key);
        free((char *)b->items[i].last_error);
        free((void *)b->items[i].payload);
    }
    b->n = 0;
    b->oom = 0;
}

int queue_migrate(struct plugin_instance *from, struct plugin_instance *to, char *err,
                  size_t err_cap)
{
    const struct skald_queue_ops *src = plugin_instance_ops(from, queue);
    const struct skald_queue_ops *dst = plugin_instance_ops(to, queue);
    const char *src_id = src->storage_id(from->handle);
    const char *dst_id = dst->storage_id(to->handle);
    if (src_id && dst_id && strcmp(src_id, dst_id) == 0)
        return 0;

    struct migrate_batch *batch = calloc(1, sizeof *batch);
    if (!batch) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    atomic_int never = 0;
    char call_err[512] = "";
    uint64_t moved = 0;
    int rc = 0;
    for (;;) {
        struct skald_call_ctx ctx = {sizeof ctx, 0, clock_monotonic_ns() + QUEUE_MIGRATE_CALL_NS,
                                     &never, call_err, sizeof call_err};
        /* Always from the start: what was moved is removed, so the front is what remains. */
        rc = src->export_items(from->handle, &ctx, 0, QUEUE_MIGRATE_BATCH, migrate_collect, batch);
        if (rc == SKALD_OK && batch->oom)
            rc = SKALD_ENOMEM, snprintf(call_err, sizeof call_err, "out of memory");
        if (rc != SKALD_OK) {
            snprintf(err, err_cap, "export from %s: %s", from->module->name, call_err);
            break;
        }
        if (batch->n == 0)
            break;
        rc = dst->import_items(to->handle, &ctx, batch->items, batch->n);
        if (rc != SKALD_OK) {
            snprintf(err, err_cap, "import into %s: %s", to->module->name, call_err);
            break;
        }
        rc = src->remove(from->handle, &ctx, batch->ids, batch->n);
        if (rc != SKALD_OK) {
            snprintf(err, err_cap, "remove from %s: %s", from->module->name, call_err);
            break;
        }
        moved += batch->n;
        migrate_batch_clear(batch);
    }
    migrate_batch_clear(batch);
    free(batch);
    if (rc == SKALD_OK && moved > 0)
        log_info("queue: moved %llu items from %s into %s", (unsigned long long)moved,
                 from->module->name, to->module->name);
    return rc == SKALD_OK ? 0 : -1;
}
