#include "vf_store.h"

#include <string.h>

#include "plugin_util.h"

#define VF_BUSY_TIMEOUT_MS 5000
/* Rows between deadline checks while catching up. */
#define VF_ROWS_PER_CHECK 4096

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS records("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " id TEXT NOT NULL,"
    " account TEXT,"
    " uri TEXT,"
    " metadata TEXT,"
    " vector BLOB,"
    " deleted INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS records_id ON records(id);"
    "CREATE TABLE IF NOT EXISTS settings(name TEXT PRIMARY KEY, value INTEGER NOT NULL);";

static int sql_fail(struct vf_store *store, const struct skald_call_ctx *ctx, int src,
                    const char *what)
{
    return plugin_sqlite_fail(&store->busy, store->db, ctx, src, what);
}

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

/* Records dims in a new file; fails when the file was made for another dims. */
static int check_dims(struct vf_store *store, const char *path, uint32_t dims, char *err,
                      size_t err_cap)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(store->db,
                                 "INSERT OR IGNORE INTO settings(name, value) VALUES('dims', ?1)",
                                 -1, &s, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, dims);
        src = run(s);
    }
    sqlite3_finalize(s);
    s = NULL;
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(store->db, "SELECT value FROM settings WHERE name = 'dims'", -1,
                                 &s, NULL);
    sqlite3_int64 stored = dims;
    if (src == SQLITE_OK) {
        src = sqlite3_step(s);
        if (src == SQLITE_ROW) {
            stored = sqlite3_column_int64(s, 0);
            src = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    if (src != SQLITE_OK)
        return plugin_fail(err, err_cap, plugin_sqlite_status(src), "%s: %s", path,
                           sqlite3_errmsg(store->db));
    if (stored != dims)
        return plugin_fail(err, err_cap, SKALD_EINVAL,
                           "key 'dims': %s holds %lld-dimension vectors, configured %u", path,
                           (long long)stored, dims);
    return SKALD_OK;
}

static int prepare_all(struct vf_store *store)
{
    struct {
        sqlite3_stmt **stmt;
        const char *sql;
    } const list[] = {
        {&store->begin, "BEGIN IMMEDIATE"},
        {&store->commit, "COMMIT"},
        {&store->rollback, "ROLLBACK"},
        {&store->append, "INSERT INTO records(id, account, uri, metadata, vector, deleted)"
                         " VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
        {&store->supersede, "DELETE FROM records WHERE id = ?1 AND seq < ?2"},
        {&store->since, "SELECT seq, id, account, uri, metadata, vector, deleted FROM records"
                        " WHERE seq > ?1 ORDER BY seq"},
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        int src = sqlite3_prepare_v3(store->db, list[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                     list[i].stmt, NULL);
        if (src != SQLITE_OK)
            return src;
    }
    return SQLITE_OK;
}

int vf_store_open(struct vf_store *store, const struct skald_host *host, const char *path,
                  uint32_t dims, char *err, size_t err_cap)
{
    memset(store, 0, sizeof *store);
    store->host = host;
    int src = sqlite3_open_v2(path, &store->db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                              NULL);
    if (src == SQLITE_OK) {
        sqlite3_extended_result_codes(store->db, 1);
        plugin_sqlite_busy_install(store->db, &store->busy, host, VF_BUSY_TIMEOUT_MS);
        /* WAL + NORMAL: a committed write survives a process kill; readers never block writers. */
        src = sqlite3_exec(store->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                           NULL, NULL, NULL);
    }
    if (src == SQLITE_OK)
        src = sqlite3_exec(store->db, schema_sql, NULL, NULL, NULL);
    if (src == SQLITE_OK)
        src = prepare_all(store);
    int rc = SKALD_OK;
    if (src != SQLITE_OK)
        rc = plugin_fail(err, err_cap, plugin_sqlite_status(src), "%s: %s", path,
                         store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(src));
    else
        rc = check_dims(store, path, dims, err, err_cap);
    if (rc != SKALD_OK)
        vf_store_close(store);
    return rc;
}

void vf_store_close(struct vf_store *store)
{
    sqlite3_stmt *all[] = {store->begin,  store->commit,    store->rollback,
                           store->append, store->supersede, store->since};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    sqlite3_close(store->db);
    memset(store, 0, sizeof *store);
}

void vf_store_set_call(struct vf_store *store, const struct skald_call_ctx *ctx)
{
    plugin_sqlite_busy_call(&store->busy, ctx);
}

int vf_store_begin(struct vf_store *store, const struct skald_call_ctx *ctx)
{
    int src = run(store->begin);
    return src == SQLITE_OK ? SKALD_OK : sql_fail(store, ctx, src, "begin");
}

int vf_store_commit(struct vf_store *store, const struct skald_call_ctx *ctx)
{
    int src = run(store->commit);
    if (src == SQLITE_OK)
        return SKALD_OK;
    int rc = sql_fail(store, ctx, src, "commit");
    vf_store_rollback(store);
    return rc;
}

void vf_store_rollback(struct vf_store *store)
{
    if (sqlite3_get_autocommit(store->db) == 0)
        run(store->rollback);
}

static void bind_text_or_null(sqlite3_stmt *s, int col, const char *text)
{
    if (text)
        sqlite3_bind_text(s, col, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, col);
}

int vf_store_append(struct vf_store *store, const struct skald_call_ctx *ctx, const char *id,
                    const char *account, const char *uri, const char *metadata,
                    const float *vector, uint32_t dims)
{
    sqlite3_stmt *s = store->append;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    bind_text_or_null(s, 2, vector ? account : NULL);
    bind_text_or_null(s, 3, vector ? uri : NULL);
    bind_text_or_null(s, 4, vector ? metadata : NULL);
    if (vector)
        sqlite3_bind_blob64(s, 5, vector, (sqlite3_uint64)dims * sizeof(float), SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 5);
    sqlite3_bind_int(s, 6, vector ? 0 : 1);
    int src = run(s);
    if (src != SQLITE_OK)
        return sql_fail(store, ctx, src, "append");
    sqlite3_stmt *d = store->supersede;
    sqlite3_bind_text(d, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(d, 2, sqlite3_last_insert_rowid(store->db));
    src = run(d);
    return src == SQLITE_OK ? SKALD_OK : sql_fail(store, ctx, src, "append");
}

static const char *column_text_or_null(sqlite3_stmt *s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL ? NULL
                                                       : (const char *)sqlite3_column_text(s, col);
}

int vf_store_read_since(struct vf_store *store, const struct skald_call_ctx *ctx,
                        int64_t after_seq, uint32_t dims, vf_row_fn fn, void *arg)
{
    sqlite3_stmt *s = store->since;
    sqlite3_bind_int64(s, 1, after_seq);
    int src, rc = SKALD_OK;
    uint64_t rows = 0;
    while (rc == SKALD_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        if (++rows % VF_ROWS_PER_CHECK == 0 &&
            (rc = skald_call_check(ctx, store->host->now_monotonic_ns())) != SKALD_OK)
            break;
        struct vf_row row = {
            .seq = sqlite3_column_int64(s, 0),
            .id = (const char *)sqlite3_column_text(s, 1),
            .account = column_text_or_null(s, 2),
            .uri = column_text_or_null(s, 3),
            .metadata = column_text_or_null(s, 4),
            .vector = sqlite3_column_blob(s, 5),
            .deleted = sqlite3_column_int(s, 6) != 0,
        };
        size_t bytes = (size_t)sqlite3_column_bytes(s, 5);
        if (!row.id || (!row.deleted && (!row.vector || !row.account || !row.uri ||
                                         bytes != (size_t)dims * sizeof(float))))
            rc = plugin_call_fail(ctx, SKALD_EIO, "record seq %lld is malformed (%zu vector bytes,"
                                  " %u dims expected)", (long long)row.seq, bytes, dims);
        else
            rc = fn(arg, &row);
    }
    if (rc == SKALD_OK && src != SQLITE_DONE)
        rc = sql_fail(store, ctx, src, "read");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int vf_store_checkpoint(struct vf_store *store, const struct skald_call_ctx *ctx)
{
    int src = sqlite3_exec(store->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    return src == SQLITE_OK ? SKALD_OK : sql_fail(store, ctx, src, "checkpoint");
}
