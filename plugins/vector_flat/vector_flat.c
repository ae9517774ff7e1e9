/* vector_flat: exact top-k by inner product over an in-memory copy of a SQLite log. Two
 * instances on one file (old and new during a reload) see each other's writes because every call
 * first applies the log rows it has not seen yet. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <skald/plugin.h>

#include "plugin_util.h"
#include "vf_index.h"
#include "vf_store.h"

#define LOCK_POLL_NS (20 * 1000000L)

struct vector_flat {
    const struct skald_host *host;
    uint32_t dims;
    /* Guards store and last_seq, and is held by whoever changes index: taken before index_lock. */
    pthread_mutex_t db_lock;
    /* Guards index: searches share it, applying log rows takes it alone. */
    pthread_rwlock_t index_lock;
    struct vf_store store;
    struct vf_index index;
    int64_t last_seq; /* the last log row applied to index */
};

static const char *const config_keys[] = {"plugin", "dims", "file", NULL};

enum lock_kind { LOCK_DB, LOCK_INDEX_READ, LOCK_INDEX_WRITE };

/* Takes a lock in short timed waits, giving up as soon as ctx's deadline passes or it is
 * cancelled. */
static int take(struct vector_flat *v, const struct skald_call_ctx *ctx, enum lock_kind kind)
{
    for (;;) {
        int rc = skald_call_check(ctx, v->host->now_monotonic_ns());
        if (rc != SKALD_OK)
            return rc;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += LOCK_POLL_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int lrc = kind == LOCK_DB           ? pthread_mutex_timedlock(&v->db_lock, &until)
                  : kind == LOCK_INDEX_READ ? pthread_rwlock_timedrdlock(&v->index_lock, &until)
                                            : pthread_rwlock_timedwrlock(&v->index_lock, &until);
        if (lrc == 0)
            return SKALD_OK;
        if (lrc != ETIMEDOUT)
            return plugin_call_fail(ctx, SKALD_EINTERNAL, "vector lock: %s", strerror(lrc));
    }
}

static int enter_db(struct vector_flat *v, const struct skald_call_ctx *ctx)
{
    int rc = take(v, ctx, LOCK_DB);
    if (rc == SKALD_OK)
        vf_store_set_call(&v->store, ctx);
    return rc;
}

static void leave_db(struct vector_flat *v)
{
    vf_store_set_call(&v->store, NULL);
    pthread_mutex_unlock(&v->db_lock);
}

struct catch_up {
    struct vector_flat *v;
    const struct skald_call_ctx *ctx;
    int index_locked;
};

static int apply_row(void *arg, const struct vf_row *row)
{
    struct catch_up *c = arg;
    struct vector_flat *v = c->v;
    if (!c->index_locked) {
        int rc = take(v, c->ctx, LOCK_INDEX_WRITE);
        if (rc != SKALD_OK)
            return rc;
        c->index_locked = 1;
    }
    if (row->deleted)
        vf_index_drop(&v->index, row->id);
    else if (vf_index_put(&v->index, row->id, row->account, row->uri, row->metadata,
                          row->vector) != SKALD_OK)
        return plugin_call_fail(c->ctx, SKALD_ENOMEM, "out of memory loading record '%s'",
                                row->id);
    v->last_seq = row->seq;
    return SKALD_OK;
}

/* Applies the log rows written since last_seq, by this instance or another one on the file.
 * Holds db_lock. On failure the index stays a consistent prefix of the log. */
static int catch_up(struct vector_flat *v, const struct skald_call_ctx *ctx)
{
    struct catch_up c = {v, ctx, 0};
    int rc = vf_store_read_since(&v->store, ctx, v->last_seq, v->dims, apply_row, &c);
    if (c.index_locked)
        pthread_rwlock_unlock(&v->index_lock);
    return rc;
}

/* Brings the index up to date, then takes it for reading. */
static int enter_read(struct vector_flat *v, const struct skald_call_ctx *ctx)
{
    int rc = enter_db(v, ctx);
    if (rc != SKALD_OK)
        return rc;
    rc = catch_up(v, ctx);
    leave_db(v);
    return rc == SKALD_OK ? take(v, ctx, LOCK_INDEX_READ) : rc;
}

static int create(const struct skald_host *host, void **instance, char *err, size_t err_cap)
{
    int rc = plugin_config_check_keys(host, config_keys, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    uint64_t dims;
    rc = plugin_config_u64(host, "dims", 512, 1, 8192, &dims, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    const char *file = plugin_config_str(host, "file", "vector_flat.db");
    if (!file[0])
        return plugin_fail(err, err_cap, SKALD_EINVAL, "key 'file': empty file name");
    struct vector_flat *v = calloc(1, sizeof *v);
    char *path = plugin_path_in_data_dir(host, file);
    if (!v || !path) {
        free(v);
        free(path);
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    }
    v->host = host;
    v->dims = (uint32_t)dims;
    rc = vf_store_open(&v->store, host, path, v->dims, err, err_cap);
    free(path);
    if (rc != SKALD_OK) {
        free(v);
        return rc;
    }
    pthread_mutex_init(&v->db_lock, NULL);
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* Searches come back to back; without writer preference a catch-up could wait forever. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&v->index_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    vf_index_init(&v->index, v->dims);
    atomic_int never = 0;
    struct skald_call_ctx load = {sizeof load, 0, 0, &never, err, err_cap};
    rc = catch_up(v, &load);
    if (rc != SKALD_OK) {
        vf_index_free(&v->index);
        vf_store_close(&v->store);
        pthread_rwlock_destroy(&v->index_lock);
        pthread_mutex_destroy(&v->db_lock);
        free(v);
        return rc;
    }
    *instance = v;
    return SKALD_OK;
}

static void destroy(void *instance)
{
    struct vector_flat *v = instance;
    vf_index_free(&v->index);
    vf_store_close(&v->store);
    pthread_rwlock_destroy(&v->index_lock);
    pthread_mutex_destroy(&v->db_lock);
    free(v);
}

static uint32_t dimensions(void *instance)
{
    return ((struct vector_flat *)instance)->dims;
}

static int durable(void *instance)
{
    (void)instance;
    return 1;
}

static int check_record(const struct vector_flat *v, const struct skald_call_ctx *ctx,
                        const struct skald_vector_record *r, size_t i)
{
    if (!r->id || !r->id[0])
        return plugin_call_fail(ctx, SKALD_EINVAL, "record %zu: empty id", i);
    if (!r->account || !r->uri || !r->vector)
        return plugin_call_fail(ctx, SKALD_EINVAL, "record %zu ('%s'): account, uri and vector"
                                " are required", i, r->id);
    if (r->dims != v->dims)
        return plugin_call_fail(ctx, SKALD_EINVAL,
                                "record %zu ('%s'): vector has %u dimensions, the store %u", i,
                                r->id, r->dims, v->dims);
    return SKALD_OK;
}

/* Commits the open transaction (or rolls it back when rc failed) and applies what it wrote. */
static int finish_write(struct vector_flat *v, const struct skald_call_ctx *ctx, int rc)
{
    if (rc != SKALD_OK) {
        vf_store_rollback(&v->store);
        return rc;
    }
    rc = vf_store_commit(&v->store, ctx);
    if (rc != SKALD_OK)
        return rc;
    /* The write is durable now; a failed catch-up is retried by the next call. */
    char scratch[256];
    struct skald_call_ctx quiet = *ctx;
    quiet.err = scratch;
    quiet.err_cap = sizeof scratch;
    if (catch_up(v, &quiet) != SKALD_OK)
        v->host->log(v->host, SKALD_LOG_WARN, "vector_flat: index catch-up deferred: %s",
                     scratch);
    return SKALD_OK;
}

static int upsert(void *instance, const struct skald_call_ctx *ctx,
                  const struct skald_vector_record *records, size_t n)
{
    struct vector_flat *v = instance;
    int rc = skald_call_check(ctx, v->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = check_record(v, ctx, &records[i], i)) != SKALD_OK)
            return rc;
    if (n == 0)
        return SKALD_OK;
    if ((rc = enter_db(v, ctx)) != SKALD_OK)
        return rc;
    rc = vf_store_begin(&v->store, ctx);
    for (size_t i = 0; rc == SKALD_OK && i < n; i++) {
        const struct skald_vector_record *r = &records[i];
        rc = vf_store_append(&v->store, ctx, r->id, r->account, r->uri, r->metadata, r->vector,
                             v->dims);
    }
    rc = finish_write(v, ctx, rc);
    leave_db(v);
    return rc;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends a tombstone for each distinct id of ids[0..n) the index holds; sorts ids. */
static int append_tombstones(struct vector_flat *v, const struct skald_call_ctx *ctx,
                             const char **ids, size_t n, uint64_t *count)
{
    qsort(ids, n, sizeof *ids, by_string);
    for (size_t i = 0; i < n; i++) {
        if ((i > 0 && strcmp(ids[i], ids[i - 1]) == 0) || !vf_index_has(&v->index, ids[i]))
            continue;
        int rc = vf_store_append(&v->store, ctx, ids[i], NULL, NULL, NULL, NULL, v->dims);
        if (rc != SKALD_OK)
            return rc;
        (*count)++;
    }
    return SKALD_OK;
}

/* Runs a removal: opens the transaction, applies the log so the index matches the file, lets
 * pick() choose the ids (borrowed from the index or the caller), appends their tombstones. */
static int remove_where(struct vector_flat *v, const struct skald_call_ctx *ctx,
                        int (*pick)(struct vector_flat *v, void *arg, const char ***ids,
                                    size_t *n),
                        void *arg, uint64_t *removed)
{
    int rc = enter_db(v, ctx);
    if (rc != SKALD_OK)
        return rc;
    uint64_t count = 0;
    const char **ids = NULL;
    size_t n = 0;
    rc = vf_store_begin(&v->store, ctx);
    if (rc == SKALD_OK)
        rc = catch_up(v, ctx);
    if (rc == SKALD_OK && pick(v, arg, &ids, &n) != SKALD_OK)
        rc = plugin_call_fail(ctx, SKALD_ENOMEM, "remove: out of memory");
    if (rc == SKALD_OK)
        rc = append_tombstones(v, ctx, ids, n, &count);
    /* The ids may point into the index, which the commit's catch-up changes. */
    free(ids);
    rc = finish_write(v, ctx, rc);
    leave_db(v);
    if (rc == SKALD_OK && removed)
        *removed = count;
    return rc;
}

struct id_array {
    const char *const *ids;
    size_t n;
};

static int pick_listed(struct vector_flat *v, void *arg, const char ***ids, size_t *n)
{
    (void)v;
    const struct id_array *list = arg;
    *ids = malloc((list->n ? list->n : 1) * sizeof **ids);
    if (!*ids)
        return SKALD_ENOMEM;
    memcpy(*ids, list->ids, list->n * sizeof **ids);
    *n = list->n;
    return SKALD_OK;
}

static int remove_ids(void *instance, const struct skald_call_ctx *ctx, const char *const *ids,
                      size_t n, uint64_t *removed)
{
    struct vector_flat *v = instance;
    if (removed)
        *removed = 0;
    int rc = skald_call_check(ctx, v->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (!ids[i])
            return plugin_call_fail(ctx, SKALD_EINVAL, "remove: id %zu is NULL", i);
    if (n == 0)
        return SKALD_OK;
    struct id_array list = {ids, n};
    return remove_where(v, ctx, pick_listed, &list, removed);
}

static int pick_matching(struct vector_flat *v, void *arg, const char ***ids, size_t *n)
{
    struct vf_match match;
    vf_match_resolve(&v->index, arg, &match);
    *ids = malloc((v->index.live ? v->index.live : 1) * sizeof **ids);
    if (!*ids)
        return SKALD_ENOMEM;
    *n = 0;
    for (uint32_t slot = 0; slot < v->index.n_slots; slot++)
        if (vf_match_slot(&v->index, &match, slot))
            (*ids)[(*n)++] = v->index.id_of[slot];
    return SKALD_OK;
}

static int remove_prefix(void *instance, const struct skald_call_ctx *ctx, const char *account,
                         const char *uri_prefix, uint64_t *removed)
{
    struct vector_flat *v = instance;
    if (removed)
        *removed = 0;
    int rc = skald_call_check(ctx, v->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!account)
        return plugin_call_fail(ctx, SKALD_EINVAL, "remove_prefix: account is NULL");
    const char *prefixes[1] = {uri_prefix ? uri_prefix : ""};
    struct skald_vector_filter filter = {account, prefixes, 1};
    return remove_where(v, ctx, pick_matching, &filter, removed);
}

static int search(void *instance, const struct skald_call_ctx *ctx, const float *query,
                  uint32_t dims, uint32_t k, const struct skald_vector_filter *filter,
                  skald_vector_visitor visit, void *arg)
{
    struct vector_flat *v = instance;
    int rc = skald_call_check(ctx, v->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (dims != v->dims)
        return plugin_call_fail(ctx, SKALD_EINVAL,
                                "search: query has %u dimensions, the store %u", dims, v->dims);
    if (!query || !visit)
        return plugin_call_fail(ctx, SKALD_EINVAL, "search: query and visitor are required");
    if ((rc = enter_read(v, ctx)) != SKALD_OK)
        return rc;
    struct vf_match match;
    vf_match_resolve(&v->index, filter, &match);
    rc = vf_index_search(&v->index, query, k, &match, visit, arg);
    pthread_rwlock_unlock(&v->index_lock);
    return rc == SKALD_OK ? SKALD_OK : plugin_call_fail(ctx, rc, "search: out of memory");
}

static int list(void *instance, const struct skald_call_ctx *ctx,
                const struct skald_vector_filter *filter, skald_vector_visitor visit, void *arg)
{
    struct vector_flat *v = instance;
    int rc = skald_call_check(ctx, v->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!visit)
        return plugin_call_fail(ctx, SKALD_EINVAL, "list: visitor is required");
    if ((rc = enter_read(v, ctx)) != SKALD_OK)
        return rc;
    struct vf_match match;
    vf_match_resolve(&v->index, filter, &match);
    vf_index_list(&v->index, &match, visit, arg);
    pthread_rwlock_unlock(&v->index_lock);
    return SKALD_OK;
}

static int count(void *instance, const struct skald_call_ctx *ctx,
                 const struct skald_vector_filter *filter, uint64_t *out)
{
    struct vector_flat *v = instance;
    int rc = skald_call_check(ctx, v->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!out)
        return plugin_call_fail(ctx, SKALD_EINVAL, "count: out is NULL");
    if ((rc = enter_read(v, ctx)) != SKALD_OK)
        return rc;
    struct vf_match match;
    vf_match_resolve(&v->index, filter, &match);
    *out = vf_index_count(&v->index, &match);
    pthread_rwlock_unlock(&v->index_lock);
    return SKALD_OK;
}

static int checkpoint(void *instance, const struct skald_call_ctx *ctx)
{
    struct vector_flat *v = instance;
    int rc = enter_db(v, ctx);
    if (rc != SKALD_OK)
        return rc;
    rc = vf_store_checkpoint(&v->store, ctx);
    leave_db(v);
    return rc;
}

static const struct skald_vector_ops vector_flat_ops = {
    .struct_size = sizeof(struct skald_vector_ops),
    .create = create,
    .destroy = destroy,
    .dimensions = dimensions,
    .upsert = upsert,
    .remove = remove_ids,
    .remove_prefix = remove_prefix,
    .search = search,
    .list = list,
    .count = count,
    .checkpoint = checkpoint,
    .durable = durable,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_VECTOR, "vector_flat", "1.0.0",
                    "exact top-k by inner product, persisted in SQLite", &vector_flat_ops)
