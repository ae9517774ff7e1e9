/* queue_memory: the volatile queue. The same semantics as queue_sqlite, kept in memory under one
 * mutex; nothing survives the process. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

#include "mq_store.h"
#include "plugin_queue.h"
#include "plugin_util.h"


struct queue_memory {
    const struct skald_host *host;
    pthread_mutex_t lock; /* guards store */
    struct mq_store store;
};

static const char *const config_keys[] = {"plugin", NULL};

/* Checks ctx and takes the lock, re-checking ctx while another call holds it. */
static int enter(struct queue_memory *q, const struct skald_call_ctx *ctx)
{
    return plugin_queue_lock(&q->lock, q->host, ctx);
}

/* Squeezes the store after a call and drops the lock. */
static void leave(struct queue_memory *q)
{
    mq_store_tidy(&q->store);
    pthread_mutex_unlock(&q->lock);
}

static int holds_lease(const struct mq_item *item, const char *owner, int64_t now_ms)
{
    return item && item->state == SKALD_QUEUE_LEASED && item->lease_until_ms > now_ms &&
           strcmp(item->owner, owner) == 0;
}

static int create(const struct skald_host *host, void **instance, char *err, size_t err_cap)
{
    int rc = plugin_config_check_keys(host, config_keys, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    struct queue_memory *q = calloc(1, sizeof *q);
    if (!q)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    q->host = host;
    pthread_mutex_init(&q->lock, NULL);
    mq_store_init(&q->store);
    *instance = q;
    return SKALD_OK;
}

static void destroy(void *instance)
{
    struct queue_memory *q = instance;
    mq_store_free(&q->store);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

static const char *storage_id(void *instance)
{
    (void)instance;
    return NULL;
}

static int durable(void *instance)
{
    (void)instance;
    return 0;
}

static int enqueue(void *instance, const struct skald_call_ctx *ctx,
                   const struct skald_queue_new_item *items, size_t n, int64_t *ids_out)
{
    struct queue_memory *q = instance;
    int rc = plugin_queue_check_new(ctx, q->host, items, n);
    if (rc != SKALD_OK)
        return rc;
    if (n == 0)
        return SKALD_OK;
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    int64_t now_ms = q->host->now_wall_ms();
    int64_t first_id = q->store.next_id;
    for (size_t i = 0; rc == SKALD_OK && i < n; i++) {
        const struct skald_queue_new_item *it = &items[i];
        struct mq_item *item =
            it->dedupe_key ? mq_store_find_pending(&q->store, it->topic, it->dedupe_key) : NULL;
        if (!item)
            rc = mq_store_add(&q->store, it->topic, it->dedupe_key, it->payload, it->payload_len,
                              SKALD_QUEUE_PENDING, 0, it->not_before_ms, now_ms, NULL, &item);
        if (rc == SKALD_OK && ids_out)
            ids_out[i] = item->id;
    }
    if (rc != SKALD_OK) {
        mq_store_remove_from(&q->store, first_id);
        rc = plugin_call_fail(ctx, rc, "enqueue: out of memory");
    }
    leave(q);
    if (rc == SKALD_OK)
        q->host->metric_add(q->host, "enqueued", (double)n);
    return rc;
}

static int lease(void *instance, const struct skald_call_ctx *ctx, const char *topic_name,
                 uint32_t max_items, int64_t lease_ms, const char *owner,
                 skald_queue_visitor visit, void *arg, size_t *n_leased)
{
    struct queue_memory *q = instance;
    if (n_leased)
        *n_leased = 0;
    int rc = plugin_queue_check_lease(ctx, q->host, topic_name, owner, lease_ms);
    if (rc != SKALD_OK)
        return rc;
    if (max_items == 0)
        return SKALD_OK;
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    int64_t now_ms = q->host->now_wall_ms();
    struct mq_topic *topic = mq_store_topic(&q->store, topic_name);
    size_t leased = 0;
    size_t end = topic ? topic->items.n : 0;
    for (size_t i = topic ? topic->items.head : 0; i < end && leased < max_items; i++) {
        struct mq_item *item = topic->items.entries[i].item;
        int due = item &&
                  ((item->state == SKALD_QUEUE_PENDING && item->not_before_ms <= now_ms) ||
                   (item->state == SKALD_QUEUE_LEASED && item->lease_until_ms <= now_ms));
        if (!due)
            continue;
        char *owner_copy = strdup(owner);
        if (!owner_copy) {
            rc = SKALD_ENOMEM;
            break;
        }
        mq_store_lease(&q->store, item, owner_copy, now_ms + lease_ms);
        leased++;
        /* The visitor cannot stop the walk: the host must learn of every lease made. */
        struct skald_queue_item view;
        mq_item_view(item, &view);
        if (visit)
            visit(arg, &view);
    }
    leave(q);
    /* Items already handed out stay leased; only a lease that got nothing reports the failure. */
    if (rc != SKALD_OK && leased == 0)
        return plugin_call_fail(ctx, rc, "lease: out of memory");
    if (n_leased)
        *n_leased = leased;
    q->host->metric_add(q->host, "leased", (double)leased);
    return SKALD_OK;
}

static int ack(void *instance, const struct skald_call_ctx *ctx, const int64_t *ids, size_t n,
               const char *owner, size_t *n_missed)
{
    struct queue_memory *q = instance;
    if (n_missed)
        *n_missed = 0;
    int rc = skald_call_check(ctx, q->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!owner)
        return plugin_call_fail(ctx, SKALD_EINVAL, "ack: owner is NULL");
    if (n == 0)
        return SKALD_OK;
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    int64_t now_ms = q->host->now_wall_ms();
    size_t missed = 0;
    for (size_t i = 0; i < n; i++) {
        struct mq_item *item = mq_store_get(&q->store, ids[i]);
        if (holds_lease(item, owner, now_ms))
            mq_store_remove(&q->store, item);
        else
            missed++;
    }
    leave(q);
    if (n_missed)
        *n_missed = missed;
    q->host->metric_add(q->host, "acked", (double)(n - missed));
    return SKALD_OK;
}

static int nack(void *instance, const struct skald_call_ctx *ctx, int64_t id, const char *owner,
                int64_t retry_delay_ms, const char *error, int dead)
{
    struct queue_memory *q = instance;
    int rc = skald_call_check(ctx, q->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!owner)
        return plugin_call_fail(ctx, SKALD_EINVAL, "nack: owner is NULL");
    char *error_copy = NULL;
    if (error && !(error_copy = strdup(error)))
        return plugin_call_fail(ctx, SKALD_ENOMEM, "nack: out of memory");
    if ((rc = enter(q, ctx)) != SKALD_OK) {
        free(error_copy);
        return rc;
    }
    int64_t now_ms = q->host->now_wall_ms();
    struct mq_item *item = mq_store_get(&q->store, id);
    int merged = 0;
    if (!holds_lease(item, owner, now_ms)) {
        rc = plugin_call_fail(ctx, SKALD_ENOTFOUND, "nack: item %lld is not leased by '%s'",
                              (long long)id, owner);
    } else if (dead) {
        mq_store_bury(item);
    } else {
        int64_t delay = retry_delay_ms > 0 ? retry_delay_ms : 0;
        rc = mq_store_unlease(&q->store, item, now_ms + delay, &merged);
        if (rc != SKALD_OK)
            plugin_call_fail(ctx, rc, "nack: out of memory");
    }
    if (rc == SKALD_OK && !merged) {
        mq_store_take_error(item, error_copy);
        error_copy = NULL;
    }
    leave(q);
    free(error_copy);
    if (rc == SKALD_OK)
        q->host->metric_add(q->host, dead ? "dead" : "nacked", 1);
    return rc;
}

static int extend(void *instance, const struct skald_call_ctx *ctx, int64_t id,
                  const char *owner, int64_t lease_ms)
{
    struct queue_memory *q = instance;
    int rc = skald_call_check(ctx, q->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!owner || lease_ms <= 0)
        return plugin_call_fail(ctx, SKALD_EINVAL,
                                "extend: owner and a positive lease_ms needed");
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    int64_t now_ms = q->host->now_wall_ms();
    struct mq_item *item = mq_store_get(&q->store, id);
    if (holds_lease(item, owner, now_ms))
        item->lease_until_ms = now_ms + lease_ms;
    else
        rc = plugin_call_fail(ctx, SKALD_ENOTFOUND, "extend: item %lld is not leased by '%s'",
                              (long long)id, owner);
    leave(q);
    return rc;
}

static int release(void *instance, const struct skald_call_ctx *ctx, const char *owner_prefix,
                   uint64_t *released)
{
    struct queue_memory *q = instance;
    if (released)
        *released = 0;
    int rc = skald_call_check(ctx, q->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!owner_prefix)
        owner_prefix = "";
    size_t prefix_len = strlen(owner_prefix);
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    int64_t now_ms = q->host->now_wall_ms();
    uint64_t count = 0;
    struct mq_seq *all = &q->store.all;
    for (size_t i = all->head; i < all->n && rc == SKALD_OK; i++) {
        struct mq_item *item = all->entries[i].item;
        if (!item || item->state != SKALD_QUEUE_LEASED ||
            strncmp(item->owner, owner_prefix, prefix_len) != 0)
            continue;
        uint32_t attempts = item->attempts;
        int merged;
        rc = mq_store_unlease(&q->store, item, now_ms, &merged);
        if (rc == SKALD_OK && !merged)
            item->attempts = attempts > 0 ? attempts - 1 : 0;
        if (rc == SKALD_OK)
            count++;
    }
    leave(q);
    if (released)
        *released = count;
    return rc == SKALD_OK ? SKALD_OK : plugin_call_fail(ctx, rc, "release: out of memory");
}

static int64_t oldest_pending_ms(const struct mq_topic *topic)
{
    int64_t oldest = INT64_MAX;
    for (size_t i = topic->items.head; i < topic->items.n; i++) {
        const struct mq_item *item = topic->items.entries[i].item;
        if (item && item->state == SKALD_QUEUE_PENDING && item->enqueued_ms < oldest)
            oldest = item->enqueued_ms;
    }
    return oldest;
}

static int stats(void *instance, const struct skald_call_ctx *ctx, skald_queue_stats_visitor visit,
                 void *arg)
{
    struct queue_memory *q = instance;
    int rc = enter(q, ctx);
    if (rc != SKALD_OK)
        return rc;
    int64_t now_ms = q->host->now_wall_ms();
    for (size_t i = 0; i < q->store.n_topics; i++) {
        const struct mq_topic *topic = q->store.topics[i];
        if (topic->items.live == 0)
            continue;
        struct skald_queue_topic_stats s = {topic->name, topic->pending, topic->leased,
                                            topic->dead, 0};
        if (topic->pending > 0) {
            int64_t oldest = oldest_pending_ms(topic);
            s.oldest_pending_age_ms = now_ms > oldest ? now_ms - oldest : 0;
        }
        if (visit(arg, &s) != 0)
            break;
    }
    leave(q);
    return SKALD_OK;
}

static int export_items(void *instance, const struct skald_call_ctx *ctx, int64_t after_id,
                        uint32_t max_items, skald_queue_visitor visit, void *arg)
{
    struct queue_memory *q = instance;
    int rc = enter(q, ctx);
    if (rc != SKALD_OK)
        return rc;
    const struct mq_seq *all = &q->store.all;
    uint32_t visited = 0;
    for (size_t i = mq_seq_after(all, after_id); i < all->n && visited < max_items; i++) {
        const struct mq_item *item = all->entries[i].item;
        if (!item)
            continue;
        struct skald_queue_item view;
        mq_item_view(item, &view);
        visited++;
        if (visit(arg, &view) != 0)
            break;
    }
    leave(q);
    return SKALD_OK;
}

static int import_items(void *instance, const struct skald_call_ctx *ctx,
                        const struct skald_queue_import_item *items, size_t n)
{
    struct queue_memory *q = instance;
    int rc = plugin_queue_check_import(ctx, q->host, items, n);
    if (rc != SKALD_OK)
        return rc;
    if (n == 0)
        return SKALD_OK;
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    int64_t first_id = q->store.next_id;
    for (size_t i = 0; rc == SKALD_OK && i < n; i++) {
        const struct skald_queue_import_item *it = &items[i];
        int pending = it->state != SKALD_QUEUE_DEAD;
        if (pending && it->dedupe_key &&
            mq_store_find_pending(&q->store, it->topic, it->dedupe_key))
            continue;
        struct mq_item *item;
        rc = mq_store_add(&q->store, it->topic, it->dedupe_key, it->payload, it->payload_len,
                          it->state, it->attempts, it->not_before_ms, it->enqueued_ms,
                          it->last_error, &item);
    }
    if (rc != SKALD_OK) {
        mq_store_remove_from(&q->store, first_id);
        rc = plugin_call_fail(ctx, rc, "import: out of memory");
    }
    leave(q);
    return rc;
}

static int remove_items(void *instance, const struct skald_call_ctx *ctx, const int64_t *ids,
                        size_t n)
{
    struct queue_memory *q = instance;
    int rc = enter(q, ctx);
    if (rc != SKALD_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct mq_item *item = mq_store_get(&q->store, ids[i]);
        if (item)
            mq_store_remove(&q->store, item);
    }
    leave(q);
    return SKALD_OK;
}

static const struct skald_queue_ops queue_memory_ops = {
    .struct_size = sizeof(struct skald_queue_ops),
    .create = create,
    .destroy = destroy,
    .storage_id = storage_id,
    .durable = durable,
    .enqueue = enqueue,
    .lease = lease,
    .ack = ack,
    .nack = nack,
    .extend = extend,
    .release = release,
    .stats = stats,
    .export_items = export_items,
    .import_items = import_items,
    .remove = remove_items,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_QUEUE, "queue_memory", "1.0.0",
                    "volatile in-memory queue, lost on exit", &queue_memory_ops)
