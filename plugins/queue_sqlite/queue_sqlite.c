/* queue_sqlite: the default queue. Items live in one SQLite table in WAL mode; every call is one
 * transaction on one connection, serialised by a mutex (commits serialise in SQLite anyway). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

#include "plugin_sqlite.h"
#include "plugin_queue.h"
#include "plugin_util.h"
#include "queue_sqlite_db.h"


struct queue_sqlite {
    const struct skald_host *host;
    pthread_mutex_t lock; /* one call at a time on the connection and its statements */
    struct qs_db qdb;
    /* Its call is set while a call holds lock, so waits for a lock honour its deadline. */
    struct plugin_sqlite_busy busy;
};

static const char *const config_keys[] = {"plugin", "file", "synchronous", "busy_timeout_ms",
                                          NULL};

/* Checks ctx and takes the instance lock, re-checking ctx while another call holds it. */
static int enter(struct queue_sqlite *q, const struct skald_call_ctx *ctx)
{
    int rc = plugin_queue_lock(&q->lock, q->host, ctx);
    if (rc != SKALD_OK)
        return rc;
    plugin_sqlite_busy_call(&q->busy, ctx);
    return SKALD_OK;
}

static void leave(struct queue_sqlite *q)
{
    plugin_sqlite_busy_call(&q->busy, NULL);
    pthread_mutex_unlock(&q->lock);
}

/* Writes the message for a failed SQLite call into ctx and returns its skald status. */
static int sql_fail(struct queue_sqlite *q, const struct skald_call_ctx *ctx, int src,
                    const char *what)
{
    return plugin_sqlite_fail(&q->busy, q->qdb.db, ctx, src, what);
}

static sqlite3_stmt *stmt(struct queue_sqlite *q, enum qs_stmt which)
{
    return q->qdb.stmt[which];
}

/* Steps a statement that returns no row (or whose rows are not needed) and resets it. */
static int run(sqlite3_stmt *s)
{
    int src;
    do
        src = sqlite3_step(s);
    while (src == SQLITE_ROW);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return src == SQLITE_DONE ? SQLITE_OK : src;
}

static void finish(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

static int begin(struct queue_sqlite *q, const struct skald_call_ctx *ctx)
{
    int src = run(stmt(q, QS_BEGIN));
    return src == SQLITE_OK ? SKALD_OK : sql_fail(q, ctx, src, "begin");
}

static int commit(struct queue_sqlite *q, const struct skald_call_ctx *ctx)
{
    int src = run(stmt(q, QS_COMMIT));
    if (src == SQLITE_OK)
        return SKALD_OK;
    int rc = sql_fail(q, ctx, src, "commit");
    run(stmt(q, QS_ROLLBACK));
    return rc;
}

/* Undoes the open transaction and passes rc through, keeping the message already in ctx. */
static int rollback(struct queue_sqlite *q, int rc)
{
    if (sqlite3_get_autocommit(q->qdb.db) == 0)
        run(stmt(q, QS_ROLLBACK));
    return rc;
}

static void bind_text_or_null(sqlite3_stmt *s, int col, const char *text)
{
    if (text)
        sqlite3_bind_text(s, col, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, col);
}

static int create(const struct skald_host *host, void **instance, char *err, size_t err_cap)
{
    int rc = plugin_config_check_keys(host, config_keys, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    const char *sync = plugin_config_str(host, "synchronous", "normal");
    int sync_full;
    if (strcmp(sync, "normal") == 0)
        sync_full = 0;
    else if (strcmp(sync, "full") == 0)
        sync_full = 1;
    else
        return plugin_fail(err, err_cap, SKALD_EINVAL,
                           "key 'synchronous': '%s' is not normal or full", sync);
    uint64_t busy_ms;
    rc = plugin_config_u64(host, "busy_timeout_ms", 5000, 0, 3600000, &busy_ms, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    const char *file = plugin_config_str(host, "file", "queue_sqlite.db");
    if (!file[0])
        return plugin_fail(err, err_cap, SKALD_EINVAL, "key 'file': empty file name");

    struct queue_sqlite *q = calloc(1, sizeof *q);
    char *path = plugin_path_in_data_dir(host, file);
    if (!q || !path) {
        free(q);
        free(path);
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    }
    q->host = host;
    rc = qs_db_open(&q->qdb, path, sync_full, (int)busy_ms, err, err_cap);
    free(path);
    if (rc != SKALD_OK) {
        free(q);
        return rc;
    }
    plugin_sqlite_busy_install(q->qdb.db, &q->busy, host, (int64_t)busy_ms);
    pthread_mutex_init(&q->lock, NULL);
    *instance = q;
    return SKALD_OK;
}

static void destroy(void *instance)
{
    struct queue_sqlite *q = instance;
    qs_db_close(&q->qdb);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

static const char *storage_id(void *instance)
{
    return ((struct queue_sqlite *)instance)->qdb.storage_id;
}

static int durable(void *instance)
{
    (void)instance;
    return 1;
}

static int enqueue_one(struct queue_sqlite *q, const struct skald_call_ctx *ctx,
                       const struct skald_queue_new_item *it, int64_t now_ms, int64_t *id)
{
    if (it->dedupe_key) {
        sqlite3_stmt *find = stmt(q, QS_FIND_PENDING);
        sqlite3_bind_text(find, 1, it->topic, -1, SQLITE_STATIC);
        sqlite3_bind_text(find, 2, it->dedupe_key, -1, SQLITE_STATIC);
        int src = sqlite3_step(find);
        if (src == SQLITE_ROW)
            *id = sqlite3_column_int64(find, 0);
        finish(find);
        if (src == SQLITE_ROW)
            return SKALD_OK;
        if (src != SQLITE_DONE)
            return sql_fail(q, ctx, src, "enqueue");
    }
    sqlite3_stmt *ins = stmt(q, QS_INSERT);
    sqlite3_bind_text(ins, 1, it->topic, -1, SQLITE_STATIC);
    bind_text_or_null(ins, 2, it->dedupe_key);
    sqlite3_bind_blob64(ins, 3, it->payload_len ? it->payload : "", it->payload_len,
                        SQLITE_STATIC);
    sqlite3_bind_int(ins, 4, SKALD_QUEUE_PENDING);
    sqlite3_bind_int(ins, 5, 0);
    sqlite3_bind_int64(ins, 6, it->not_before_ms);
    sqlite3_bind_int64(ins, 7, now_ms);
    sqlite3_bind_null(ins, 8);
    int src = run(ins);
    if (src != SQLITE_OK)
        return sql_fail(q, ctx, src, "enqueue");
    *id = sqlite3_last_insert_rowid(q->qdb.db);
    return SKALD_OK;
}

static int enqueue(void *instance, const struct skald_call_ctx *ctx,
                   const struct skald_queue_new_item *items, size_t n, int64_t *ids_out)
{
    struct queue_sqlite *q = instance;
    int rc = plugin_queue_check_new(ctx, q->host, items, n);
    if (rc != SKALD_OK)
        return rc;
    if (n == 0)
        return SKALD_OK;
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    int64_t now_ms = q->host->now_wall_ms();
    rc = begin(q, ctx);
    for (size_t i = 0; rc == SKALD_OK && i < n; i++) {
        int64_t id = 0;
        rc = enqueue_one(q, ctx, &items[i], now_ms, &id);
        if (ids_out)
            ids_out[i] = id;
    }
    rc = rc == SKALD_OK ? commit(q, ctx) : rollback(q, rc);
    leave(q);
    if (rc == SKALD_OK)
        q->host->metric_add(q->host, "enqueued", (double)n);
    return rc;
}

/* A growable list of item ids. */
struct id_list {
    int64_t *ids;
    size_t n, cap;
};

static int id_list_push(struct id_list *l, int64_t id)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        int64_t *ids = realloc(l->ids, cap * sizeof *ids);
        if (!ids)
            return SKALD_ENOMEM;
        l->ids = ids;
        l->cap = cap;
    }
    l->ids[l->n++] = id;
    return SKALD_OK;
}

/* Appends the ids a lease candidate query returns (ascending) to out. */
static int collect_ids(struct queue_sqlite *q, const struct skald_call_ctx *ctx,
                       enum qs_stmt which, const char *topic, int64_t now_ms, uint32_t limit,
                       struct id_list *out)
{
    sqlite3_stmt *s = stmt(q, which);
    sqlite3_bind_text(s, 1, topic, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now_ms);
    sqlite3_bind_int64(s, 3, limit);
    int src, rc = SKALD_OK;
    while ((src = sqlite3_step(s)) == SQLITE_ROW && rc == SKALD_OK)
        rc = id_list_push(out, sqlite3_column_int64(s, 0));
    finish(s);
    if (rc != SKALD_OK)
        return plugin_call_fail(ctx, rc, "lease: out of memory");
    return src == SQLITE_DONE ? SKALD_OK : sql_fail(q, ctx, src, "lease");
}

/* Runs a statement whose ?1 is a JSON array of ids, plus ?2 owner and ?3 time_ms when owner is
 * given; *changes gets the rows it changed. */
static int run_on_ids(struct queue_sqlite *q, const struct skald_call_ctx *ctx, enum qs_stmt which,
                      const int64_t *ids, size_t n, const char *owner, int64_t time_ms,
                      const char *what, uint64_t *changes)
{
    char *json = qs_ids_json(ids, n);
    if (!json)
        return plugin_call_fail(ctx, SKALD_ENOMEM, "%s: out of memory", what);
    sqlite3_stmt *s = stmt(q, which);
    sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
    if (owner) {
        sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, time_ms);
    }
    int src = run(s);
    free(json);
    if (src != SQLITE_OK)
        return sql_fail(q, ctx, src, what);
    *changes = (uint64_t)sqlite3_changes64(q->qdb.db);
    return SKALD_OK;
}

/* Visits the items with these ids in id order. Every one is leased already, so the visitor
 * cannot stop the walk: the host must learn of each lease. */
static int visit_ids(struct queue_sqlite *q, const struct skald_call_ctx *ctx, const int64_t *ids,
                     size_t n, skald_queue_visitor visit, void *arg)
{
    char *json = qs_ids_json(ids, n);
    if (!json)
        return plugin_call_fail(ctx, SKALD_ENOMEM, "lease: out of memory");
    sqlite3_stmt *s = stmt(q, QS_ITEMS_BY_IDS);
    sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        struct skald_queue_item item;
        qs_row_item(s, &item);
        visit(arg, &item);
    }
    int rc = src == SQLITE_DONE ? SKALD_OK : sql_fail(q, ctx, src, "lease");
    finish(s);
    free(json);
    return rc;
}

/* Merges two ascending id lists into the first `max` distinct ids, ascending. */
static size_t merge_oldest(const struct id_list *a, const struct id_list *b, uint32_t max,
                           int64_t *out)
{
    size_t i = 0, j = 0, n = 0;
    while (n < max && (i < a->n || j < b->n)) {
        if (j == b->n || (i < a->n && a->ids[i] < b->ids[j]))
            out[n++] = a->ids[i++];
        else
            out[n++] = b->ids[j++];
    }
    return n;
}

static int lease(void *instance, const struct skald_call_ctx *ctx, const char *topic,
                 uint32_t max_items, int64_t lease_ms, const char *owner,
                 skald_queue_visitor visit, void *arg, size_t *n_leased)
{
    struct queue_sqlite *q = instance;
    if (n_leased)
        *n_leased = 0;
    int rc = plugin_queue_check_lease(ctx, q->host, topic, owner, lease_ms);
    if (rc != SKALD_OK)
        return rc;
    if (max_items == 0)
        return SKALD_OK;
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    int64_t now_ms = q->host->now_wall_ms();
    struct id_list pending = {0}, expired = {0};
    int64_t *chosen = NULL;
    size_t n_chosen = 0;
    uint64_t leased = 0;
    rc = begin(q, ctx);
    if (rc == SKALD_OK)
        rc = collect_ids(q, ctx, QS_PENDING_IDS, topic, now_ms, max_items, &pending);
    if (rc == SKALD_OK)
        rc = collect_ids(q, ctx, QS_EXPIRED_IDS, topic, now_ms, max_items, &expired);
    if (rc == SKALD_OK && pending.n + expired.n > 0) {
        chosen = malloc((pending.n + expired.n) * sizeof *chosen);
        if (!chosen)
            rc = plugin_call_fail(ctx, SKALD_ENOMEM, "lease: out of memory");
        else
            n_chosen = merge_oldest(&pending, &expired, max_items, chosen);
    }
    /* One UPDATE for the whole batch: SQLite rebalances the b-trees once, not once per row. */
    if (rc == SKALD_OK && n_chosen > 0)
        rc = run_on_ids(q, ctx, QS_LEASE_IDS, chosen, n_chosen, owner, now_ms + lease_ms,
                        "lease", &leased);
    rc = rc == SKALD_OK ? commit(q, ctx) : rollback(q, rc);
    /* Only leases that are durable are handed out. */
    if (rc == SKALD_OK && n_chosen > 0 && visit)
        rc = visit_ids(q, ctx, chosen, n_chosen, visit, arg);
    leave(q);
    free(pending.ids);
    free(expired.ids);
    free(chosen);
    if (rc != SKALD_OK)
        return rc;
    if (n_leased)
        *n_leased = (size_t)leased;
    q->host->metric_add(q->host, "leased", (double)leased);
    return SKALD_OK;
}

static int ack(void *instance, const struct skald_call_ctx *ctx, const int64_t *ids, size_t n,
               const char *owner, size_t *n_missed)
{
    struct queue_sqlite *q = instance;
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
    uint64_t acked = 0;
    rc = begin(q, ctx);
    if (rc == SKALD_OK)
        rc = run_on_ids(q, ctx, QS_ACK_IDS, ids, n, owner, now_ms, "ack", &acked);
    rc = rc == SKALD_OK ? commit(q, ctx) : rollback(q, rc);
    size_t missed = n - (size_t)acked;
    leave(q);
    if (rc != SKALD_OK)
        return rc;
    if (n_missed)
        *n_missed = missed;
    q->host->metric_add(q->host, "acked", (double)(n - missed));
    return SKALD_OK;
}

/* Whether owner holds an unexpired lease on id (1), not (0), or a negative skald status. */
static int lease_held(struct queue_sqlite *q, const struct skald_call_ctx *ctx, int64_t id,
                      const char *owner, int64_t now_ms)
{
    sqlite3_stmt *s = stmt(q, QS_HELD);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ms);
    int src = sqlite3_step(s);
    finish(s);
    if (src == SQLITE_ROW)
        return 1;
    return src == SQLITE_DONE ? 0 : sql_fail(q, ctx, src, "nack");
}

/* Runs the nack update in the open transaction; SKALD_ENOTFOUND when owner holds no lease. */
static int nack_in_tx(struct queue_sqlite *q, const struct skald_call_ctx *ctx, int64_t id,
                      const char *owner, int64_t retry_delay_ms, const char *error, int dead)
{
    int64_t now_ms = q->host->now_wall_ms();
    sqlite3_stmt *s = stmt(q, QS_NACK);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ms);
    sqlite3_bind_int(s, 4, dead ? SKALD_QUEUE_DEAD : SKALD_QUEUE_PENDING);
    if (dead)
        sqlite3_bind_null(s, 5);
    else
        sqlite3_bind_int64(s, 5, now_ms + (retry_delay_ms > 0 ? retry_delay_ms : 0));
    bind_text_or_null(s, 6, error);
    int src = run(s);
    if (src != SQLITE_OK)
        return sql_fail(q, ctx, src, "nack");
    if (sqlite3_changes(q->qdb.db) > 0)
        return SKALD_OK;
    int held = dead ? 0 : lease_held(q, ctx, id, owner, now_ms);
    if (held < 0)
        return held;
    if (!held)
        return plugin_call_fail(ctx, SKALD_ENOTFOUND, "nack: item %lld is not leased by '%s'",
                                (long long)id, owner);
    /* Still held: a pending twin with the same dedupe key exists, and it does this work. */
    sqlite3_stmt *del = stmt(q, QS_DELETE_ID);
    sqlite3_bind_int64(del, 1, id);
    src = run(del);
    return src == SQLITE_OK ? SKALD_OK : sql_fail(q, ctx, src, "nack");
}

static int nack(void *instance, const struct skald_call_ctx *ctx, int64_t id, const char *owner,
                int64_t retry_delay_ms, const char *error, int dead)
{
    struct queue_sqlite *q = instance;
    int rc = skald_call_check(ctx, q->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!owner)
        return plugin_call_fail(ctx, SKALD_EINVAL, "nack: owner is NULL");
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    rc = begin(q, ctx);
    if (rc == SKALD_OK)
        rc = nack_in_tx(q, ctx, id, owner, retry_delay_ms, error, dead);
    rc = rc == SKALD_OK ? commit(q, ctx) : rollback(q, rc);
    leave(q);
    if (rc == SKALD_OK)
        q->host->metric_add(q->host, dead ? "dead" : "nacked", 1);
    return rc;
}

static int extend(void *instance, const struct skald_call_ctx *ctx, int64_t id,
                  const char *owner, int64_t lease_ms)
{
    struct queue_sqlite *q = instance;
    int rc = skald_call_check(ctx, q->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!owner || lease_ms <= 0)
        return plugin_call_fail(ctx, SKALD_EINVAL,
                                "extend: owner and a positive lease_ms needed");
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    int64_t now_ms = q->host->now_wall_ms();
    sqlite3_stmt *s = stmt(q, QS_EXTEND);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ms);
    sqlite3_bind_int64(s, 4, now_ms + lease_ms);
    int src = run(s);
    if (src != SQLITE_OK)
        rc = sql_fail(q, ctx, src, "extend");
    else if (sqlite3_changes(q->qdb.db) == 0)
        rc = plugin_call_fail(ctx, SKALD_ENOTFOUND, "extend: item %lld is not leased by '%s'",
                              (long long)id, owner);
    leave(q);
    return rc;
}

static int release(void *instance, const struct skald_call_ctx *ctx, const char *owner_prefix,
                   uint64_t *released)
{
    struct queue_sqlite *q = instance;
    if (released)
        *released = 0;
    int rc = skald_call_check(ctx, q->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!owner_prefix)
        owner_prefix = "";
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    uint64_t count = 0;
    rc = begin(q, ctx);
    const enum qs_stmt steps[] = {QS_RELEASE, QS_RELEASE_MERGE};
    for (size_t i = 0; rc == SKALD_OK && i < 2; i++) {
        sqlite3_stmt *s = stmt(q, steps[i]);
        sqlite3_bind_text(s, 1, owner_prefix, -1, SQLITE_STATIC);
        int src = run(s);
        if (src != SQLITE_OK)
            rc = sql_fail(q, ctx, src, "release");
        else
            count += (uint64_t)sqlite3_changes64(q->qdb.db);
    }
    rc = rc == SKALD_OK ? commit(q, ctx) : rollback(q, rc);
    leave(q);
    if (rc == SKALD_OK && released)
        *released = count;
    return rc;
}

/* Per-topic counters while the grouped stats rows of one topic are read. */
struct topic_totals {
    char *topic;
    struct skald_queue_topic_stats stats;
    int64_t oldest_pending_ms;
};

static int stats_flush(struct topic_totals *t, int64_t now_ms, skald_queue_stats_visitor visit,
                       void *arg)
{
    if (!t->topic)
        return 0;
    t->stats.topic = t->topic;
    if (t->stats.pending > 0 && now_ms > t->oldest_pending_ms)
        t->stats.oldest_pending_age_ms = now_ms - t->oldest_pending_ms;
    int stop = visit(arg, &t->stats) != 0;
    free(t->topic);
    memset(t, 0, sizeof *t);
    return stop;
}

static int stats(void *instance, const struct skald_call_ctx *ctx, skald_queue_stats_visitor visit,
                 void *arg)
{
    struct queue_sqlite *q = instance;
    int rc = skald_call_check(ctx, q->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    int64_t now_ms = q->host->now_wall_ms();
    struct topic_totals cur = {0};
    sqlite3_stmt *s = stmt(q, QS_STATS);
    int src = SQLITE_DONE, stop = 0;
    while (!stop && rc == SKALD_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        const char *topic = (const char *)sqlite3_column_text(s, 0);
        if (!topic)
            topic = "";
        if (cur.topic && strcmp(cur.topic, topic) != 0)
            stop = stats_flush(&cur, now_ms, visit, arg);
        if (stop)
            break;
        if (!cur.topic && !(cur.topic = strdup(topic))) {
            rc = plugin_call_fail(ctx, SKALD_ENOMEM, "stats: out of memory");
            break;
        }
        uint64_t count = (uint64_t)sqlite3_column_int64(s, 2);
        switch (sqlite3_column_int(s, 1)) {
        case SKALD_QUEUE_PENDING:
            cur.stats.pending += count;
            cur.oldest_pending_ms = sqlite3_column_int64(s, 3);
            break;
        case SKALD_QUEUE_LEASED:
            cur.stats.leased += count;
            break;
        default:
            cur.stats.dead += count;
            break;
        }
    }
    if (rc == SKALD_OK && !stop && src != SQLITE_DONE)
        rc = sql_fail(q, ctx, src, "stats");
    finish(s);
    leave(q);
    if (rc == SKALD_OK && !stop)
        stats_flush(&cur, now_ms, visit, arg);
    free(cur.topic);
    return rc;
}

static int export_items(void *instance, const struct skald_call_ctx *ctx, int64_t after_id,
                        uint32_t max_items, skald_queue_visitor visit, void *arg)
{
    struct queue_sqlite *q = instance;
    int rc = skald_call_check(ctx, q->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (max_items == 0)
        return SKALD_OK;
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    sqlite3_stmt *s = stmt(q, QS_EXPORT);
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int64(s, 2, max_items);
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        struct skald_queue_item item;
        qs_row_item(s, &item);
        if (visit(arg, &item) != 0) {
            src = SQLITE_DONE;
            break;
        }
    }
    if (src != SQLITE_DONE)
        rc = sql_fail(q, ctx, src, "export");
    finish(s);
    leave(q);
    return rc;
}

static int import_one(struct queue_sqlite *q, const struct skald_call_ctx *ctx,
                      const struct skald_queue_import_item *it)
{
    sqlite3_stmt *ins = stmt(q, QS_INSERT);
    sqlite3_bind_text(ins, 1, it->topic, -1, SQLITE_STATIC);
    bind_text_or_null(ins, 2, it->dedupe_key);
    sqlite3_bind_blob64(ins, 3, it->payload_len ? it->payload : "", it->payload_len,
                        SQLITE_STATIC);
    sqlite3_bind_int(ins, 4, it->state == SKALD_QUEUE_DEAD ? SKALD_QUEUE_DEAD
                                                           : SKALD_QUEUE_PENDING);
    sqlite3_bind_int64(ins, 5, it->attempts);
    sqlite3_bind_int64(ins, 6, it->not_before_ms);
    sqlite3_bind_int64(ins, 7, it->enqueued_ms);
    bind_text_or_null(ins, 8, it->last_error);
    int src = run(ins);
    return src == SQLITE_OK ? SKALD_OK : sql_fail(q, ctx, src, "import");
}

static int import_items(void *instance, const struct skald_call_ctx *ctx,
                        const struct skald_queue_import_item *items, size_t n)
{
    struct queue_sqlite *q = instance;
    int rc = plugin_queue_check_import(ctx, q->host, items, n);
    if (rc != SKALD_OK)
        return rc;
    if (n == 0)
        return SKALD_OK;
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    rc = begin(q, ctx);
    for (size_t i = 0; rc == SKALD_OK && i < n; i++)
        rc = import_one(q, ctx, &items[i]);
    rc = rc == SKALD_OK ? commit(q, ctx) : rollback(q, rc);
    leave(q);
    return rc;
}

static int remove_items(void *instance, const struct skald_call_ctx *ctx, const int64_t *ids,
                        size_t n)
{
    struct queue_sqlite *q = instance;
    int rc = skald_call_check(ctx, q->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (n == 0)
        return SKALD_OK;
    if ((rc = enter(q, ctx)) != SKALD_OK)
        return rc;
    uint64_t removed = 0;
    rc = begin(q, ctx);
    if (rc == SKALD_OK)
        rc = run_on_ids(q, ctx, QS_DELETE_IDS, ids, n, NULL, 0, "remove", &removed);
    rc = rc == SKALD_OK ? commit(q, ctx) : rollback(q, rc);
    leave(q);
    return rc;
}

static const struct skald_queue_ops queue_sqlite_ops = {
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

SKALD_PLUGIN_DEFINE(SKALD_KIND_QUEUE, "queue_sqlite", "1.0.0",
                    "durable queue in SQLite (WAL), survives kill -9", &queue_sqlite_ops)
