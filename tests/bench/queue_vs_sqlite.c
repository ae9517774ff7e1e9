/*
 * queue_vs_sqlite: the cost of skald's durable queue against raw SQLite, on the same workload and
 * disk. Both sides move ITEMS items of 200 bytes through a WAL database with synchronous=NORMAL,
 * batched the way the pipeline uses its queue while ingesting: items are written two per
 * transaction (a document's directory and file jobs), taken 64 at a time, and removed one per
 * transaction (each job is acked on its own once its result is stored).
 *  - raw: INSERT 2 rows per transaction; one SELECT of 64 ids; DELETE 1 row per transaction.
 *  - queue: the queue_sqlite plugin through the ABI: enqueue 2 items (with dedupe keys) per call,
 *    lease 64, ack 1 per call.
 * Prints one JSON line with both rates in items/s (each item written once and removed once) and
 * raw/queue. usage: queue_vs_sqlite PLUGIN_SO WORK_DIR [ITEMS]
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include <skald/plugin.h>

#define PAYLOAD 200
#define ENQUEUE_BATCH 2
#define LEASE_BATCH 64

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t now_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "queue_vs_sqlite: %s: %s\n", what, why);
    exit(1);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        die(sql, err ? err : "failed");
}

static double raw_rate(const char *dir, long items)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/raw.db", dir);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die(path, sqlite3_errmsg(db));
    exec_sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                 "CREATE TABLE items(id INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
    sqlite3_stmt *ins, *sel, *del;
    if (sqlite3_prepare_v2(db, "INSERT INTO items(payload) VALUES (?1)", -1, &ins, NULL) ||
        sqlite3_prepare_v2(db, "SELECT id FROM items ORDER BY id LIMIT 64", -1, &sel, NULL) ||
        sqlite3_prepare_v2(db, "DELETE FROM items WHERE id = ?1", -1, &del, NULL))
        die("prepare", sqlite3_errmsg(db));
    char payload[PAYLOAD];
    memset(payload, 'p', sizeof payload);
    int64_t t0 = now_ns();
    for (long done = 0; done < items; done += ENQUEUE_BATCH) {
        exec_sql(db, "BEGIN");
        for (int i = 0; i < ENQUEUE_BATCH; i++) {
            sqlite3_bind_blob(ins, 1, payload, sizeof payload, SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE)
                die("insert", sqlite3_errmsg(db));
            sqlite3_reset(ins);
        }
        exec_sql(db, "COMMIT");
    }
    for (;;) {
        int64_t ids[LEASE_BATCH];
        int n = 0;
        while (sqlite3_step(sel) == SQLITE_ROW)
            ids[n++] = sqlite3_column_int64(sel, 0);
        sqlite3_reset(sel);
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            exec_sql(db, "BEGIN");
            sqlite3_bind_int64(del, 1, ids[i]);
            if (sqlite3_step(del) != SQLITE_DONE)
                die("delete", sqlite3_errmsg(db));
            sqlite3_reset(del);
            exec_sql(db, "COMMIT");
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    sqlite3_finalize(del);
    sqlite3_close(db);
    return (double)items / secs;
}

static void host_log(const struct skald_host *h, enum skald_log_level level, const char *fmt, ...)
{
    (void)h;
    if (level > SKALD_LOG_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void host_metric(const struct skald_host *h, const char *name, double v)
{
    (void)h;
    (void)name;
    (void)v;
}

struct lease_ids {
    int64_t ids[LEASE_BATCH];
    size_t n;
};

static int collect(void *arg, const struct skald_queue_item *item)
{
    struct lease_ids *l = arg;
    l->ids[l->n++] = item->id;
    return 0;
}

static double queue_rate(const char *so, const char *dir, long items)
{
    void *lib = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        die(so, dlerror());
    skald_plugin_entry_fn entry = (skald_plugin_entry_fn)dlsym(lib, SKALD_PLUGIN_ENTRY_SYMBOL);
    const struct skald_plugin_desc *d = entry ? entry() : NULL;
    if (!d || d->kind != SKALD_KIND_QUEUE)
        die(so, "not a queue plugin");
    const struct skald_queue_ops *q = d->ops;
    struct skald_config_entry cfg[] = {{"file", "queue.db"}, {"synchronous", "normal"}};
    struct skald_host host = {
        sizeof host, SKALD_ABI_MAJOR, SKALD_ABI_MINOR, host_log, now_ns, now_wall_ms,
        host_metric, host_metric,     "queue",         cfg,      2,      dir,
        NULL};
    void *inst;
    char err[512];
    if (q->create(&host, &inst, err, sizeof err) != SKALD_OK)
        die("create", err);
    atomic_int never = 0;
    struct skald_call_ctx ctx = {sizeof ctx, 0, 0, &never, err, sizeof err};
    char payload[PAYLOAD];
    memset(payload, 'p', sizeof payload);
    int64_t t0 = now_ns();
    for (long done = 0; done < items; done += ENQUEUE_BATCH) {
        struct skald_queue_new_item batch[ENQUEUE_BATCH];
        char keys[ENQUEUE_BATCH][64];
        for (int i = 0; i < ENQUEUE_BATCH; i++) {
            snprintf(keys[i], sizeof keys[i], "e|bench|%ld", done + i);
            batch[i] =
                (struct skald_queue_new_item){"embedding", keys[i], payload, sizeof payload, 0};
        }
        if (q->enqueue(inst, &ctx, batch, ENQUEUE_BATCH, NULL) != SKALD_OK)
            die("enqueue", err);
    }
    for (;;) {
        struct lease_ids l = {.n = 0};
        size_t n = 0;
        if (q->lease(inst, &ctx, "embedding", LEASE_BATCH, 600000, "bench", collect, &l, &n) !=
            SKALD_OK)
            die("lease", err);
        if (l.n == 0)
            break;
        for (size_t i = 0; i < l.n; i++)
            if (q->ack(inst, &ctx, &l.ids[i], 1, "bench", NULL) != SKALD_OK)
                die("ack", err);
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    q->destroy(inst);
    dlclose(lib);
    return (double)items / secs;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: queue_vs_sqlite PLUGIN_SO WORK_DIR [ITEMS]\n");
        return 2;
    }
    long items = argc == 4 ? atol(argv[3]) : 20000;
    if (items < ENQUEUE_BATCH)
        return 2;
    items -= items % ENQUEUE_BATCH;
    double raw = raw_rate(argv[2], items);
    double queue = queue_rate(argv[1], argv[2], items);
    printf("{\"items\":%ld,\"raw_items_per_s\":%.0f,\"queue_items_per_s\":%.0f,\"ratio\":%.2f}\n",
           items, raw, queue, raw / queue);
    return 0;
}
