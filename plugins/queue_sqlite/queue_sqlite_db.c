#include "queue_sqlite_db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_sqlite.h"
#include "plugin_util.h"

/* state: 0 pending, 1 leased, 2 dead (enum skald_queue_state). The partial unique index is the
 * dedupe rule: at most one pending item per (topic, dedupe_key). (topic, state, id) serves the
 * lease queries, which walk one topic's pending or leased items oldest first. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS items("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " topic TEXT NOT NULL,"
    " dedupe_key TEXT,"
    " payload BLOB NOT NULL,"
    " state INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL,"
    " not_before_ms INTEGER NOT NULL,"
    " enqueued_ms INTEGER NOT NULL,"
    " lease_until_ms INTEGER NOT NULL,"
    " owner TEXT,"
    " last_error TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS items_pending_dedupe ON items(topic, dedupe_key)"
    " WHERE state = 0 AND dedupe_key IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS items_topic_state ON items(topic, state, id);";

#define QS_ITEM_COLUMNS                                                                        \
    "id, topic, dedupe_key, payload, state, attempts, not_before_ms, enqueued_ms,"            \
    " lease_until_ms, owner, last_error"

/* Indexed by enum qs_stmt. */
static const char *const stmt_sql[QS_STMT_COUNT] = {
    [QS_BEGIN] = "BEGIN IMMEDIATE",
    [QS_COMMIT] = "COMMIT",
    [QS_ROLLBACK] = "ROLLBACK",
    [QS_FIND_PENDING] =
        "SELECT id FROM items WHERE topic = ?1 AND dedupe_key = ?2 AND state = 0",
    [QS_INSERT] = "INSERT OR IGNORE INTO items(topic, dedupe_key, payload, state, attempts,"
                  " not_before_ms, enqueued_ms, lease_until_ms, owner, last_error)"
                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, NULL, ?8)",
    [QS_PENDING_IDS] = "SELECT id FROM items WHERE topic = ?1 AND state = 0"
                       " AND not_before_ms <= ?2 ORDER BY id LIMIT ?3",
    [QS_EXPIRED_IDS] = "SELECT id FROM items WHERE topic = ?1 AND state = 1"
                       " AND lease_until_ms <= ?2 ORDER BY id LIMIT ?3",
    [QS_LEASE_IDS] = "UPDATE items SET state = 1, attempts = attempts + 1, owner = ?2,"
                     " lease_until_ms = ?3 WHERE id IN (SELECT value FROM json_each(?1))",
    [QS_ITEMS_BY_IDS] = "SELECT " QS_ITEM_COLUMNS " FROM items"
                        " WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    [QS_ACK_IDS] = "DELETE FROM items WHERE id IN (SELECT value FROM json_each(?1))"
                   " AND state = 1 AND owner = ?2 AND lease_until_ms > ?3",
    /* OR IGNORE: returning to pending while a twin with the same dedupe key is pending changes
     * nothing here; the caller then merges the item into that twin. */
    [QS_NACK] = "UPDATE OR IGNORE items SET state = ?4,"
                " not_before_ms = coalesce(?5, not_before_ms), last_error = ?6,"
                " owner = NULL, lease_until_ms = 0"
                " WHERE id = ?1 AND state = 1 AND owner = ?2 AND lease_until_ms > ?3",
    [QS_HELD] = "SELECT 1 FROM items WHERE id = ?1 AND state = 1 AND owner = ?2"
                " AND lease_until_ms > ?3",
    [QS_DELETE_ID] = "DELETE FROM items WHERE id = ?1",
    [QS_DELETE_IDS] = "DELETE FROM items WHERE id IN (SELECT value FROM json_each(?1))",
    [QS_EXTEND] = "UPDATE items SET lease_until_ms = ?4"
                  " WHERE id = ?1 AND state = 1 AND owner = ?2 AND lease_until_ms > ?3",
    [QS_RELEASE] = "UPDATE OR IGNORE items SET state = 0, owner = NULL, lease_until_ms = 0,"
                   " attempts = max(attempts - 1, 0)"
                   " WHERE state = 1 AND substr(owner, 1, length(?1)) = ?1",
    /* What QS_RELEASE left leased has a pending twin with its dedupe key: merged into it. */
    [QS_RELEASE_MERGE] =
        "DELETE FROM items WHERE state = 1 AND substr(owner, 1, length(?1)) = ?1",
    [QS_STATS] = "SELECT topic, state, count(*), min(enqueued_ms) FROM items"
                 " GROUP BY topic, state ORDER BY topic",
    [QS_EXPORT] = "SELECT " QS_ITEM_COLUMNS " FROM items WHERE id > ?1 ORDER BY id LIMIT ?2",
};

static int qs_fail(struct qs_db *qdb, int sqlite_rc, const char *what, char *err, size_t err_cap)
{
    int rc = plugin_fail(err, err_cap, plugin_sqlite_status(sqlite_rc), "%s: %s", what,
                         qdb->db ? sqlite3_errmsg(qdb->db) : sqlite3_errstr(sqlite_rc));
    qs_db_close(qdb);
    return rc;
}

int qs_db_open(struct qs_db *qdb, const char *path, int synchronous_full, int busy_timeout_ms,
               char *err, size_t err_cap)
{
    memset(qdb, 0, sizeof *qdb);
    int src = sqlite3_open_v2(path, &qdb->db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                              NULL);
    if (src != SQLITE_OK)
        return qs_fail(qdb, src, path, err, err_cap);
    sqlite3_extended_result_codes(qdb->db, 1);
    sqlite3_busy_timeout(qdb->db, busy_timeout_ms);
    /* WAL with synchronous=NORMAL loses nothing on a process kill, only (maybe) on power loss. */
    const char *pragmas = synchronous_full
                              ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                              : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";
    src = sqlite3_exec(qdb->db, pragmas, NULL, NULL, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_exec(qdb->db, schema_sql, NULL, NULL, NULL);
    if (src != SQLITE_OK)
        return qs_fail(qdb, src, path, err, err_cap);
    for (int i = 0; i < QS_STMT_COUNT; i++) {
        src = sqlite3_prepare_v3(qdb->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                 &qdb->stmt[i], NULL);
        if (src != SQLITE_OK)
            return qs_fail(qdb, src, "prepare", err, err_cap);
    }
    qdb->storage_id = realpath(path, NULL);
    if (!qdb->storage_id) {
        qs_db_close(qdb);
        return plugin_fail(err, err_cap, SKALD_EIO, "%s: cannot resolve its real path", path);
    }
    return SKALD_OK;
}

void qs_db_close(struct qs_db *qdb)
{
    for (int i = 0; i < QS_STMT_COUNT; i++)
        sqlite3_finalize(qdb->stmt[i]);
    sqlite3_close(qdb->db);
    free(qdb->storage_id);
    memset(qdb, 0, sizeof *qdb);
}

static const char *column_text_or_null(sqlite3_stmt *stmt, int col)
{
    return sqlite3_column_type(stmt, col) == SQLITE_NULL
               ? NULL
               : (const char *)sqlite3_column_text(stmt, col);
}

void qs_row_item(sqlite3_stmt *stmt, struct skald_queue_item *item)
{
    memset(item, 0, sizeof *item);
    item->id = sqlite3_column_int64(stmt, 0);
    item->topic = (const char *)sqlite3_column_text(stmt, 1);
    item->dedupe_key = column_text_or_null(stmt, 2);
    item->payload = sqlite3_column_blob(stmt, 3);
    item->payload_len = (size_t)sqlite3_column_bytes(stmt, 3);
    if (!item->payload)
        item->payload = ""; /* an empty blob reads as NULL; hand out a valid pointer anyway */
    item->state = (enum skald_queue_state)sqlite3_column_int(stmt, 4);
    sqlite3_int64 attempts = sqlite3_column_int64(stmt, 5);
    item->attempts = attempts < 0 ? 0 : attempts > UINT32_MAX ? UINT32_MAX : (uint32_t)attempts;
    item->not_before_ms = sqlite3_column_int64(stmt, 6);
    item->enqueued_ms = sqlite3_column_int64(stmt, 7);
    item->lease_until_ms = sqlite3_column_int64(stmt, 8);
    item->owner = column_text_or_null(stmt, 9);
    item->last_error = column_text_or_null(stmt, 10);
}

char *qs_ids_json(const int64_t *ids, size_t n)
{
    /* "[" + n * (up to 20 digits and a sign + ",") + "]" + NUL */
    size_t cap = 3 + n * 22;
    char *json = malloc(cap);
    if (!json)
        return NULL;
    size_t len = 0;
    json[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(json + len, cap - len, i ? ",%" PRId64 : "%" PRId64, ids[i]);
    json[len++] = ']';
    json[len] = '\0';
    return json;
}
