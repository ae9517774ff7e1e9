/* The queue_sqlite database: schema, prepared statements, row decoding and error mapping. The
 * caller serialises every use of one qs_db (the statements are shared). */
#ifndef QUEUE_SQLITE_DB_H
#define QUEUE_SQLITE_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include <skald/plugin.h>

/* Every statement the plugin runs, prepared once at open. */
enum qs_stmt {
    QS_BEGIN,
    QS_COMMIT,
    QS_ROLLBACK,
    QS_FIND_PENDING,   /* ?1 topic, ?2 dedupe_key -> id */
    QS_INSERT,         /* ?1..?8: topic, key, payload, state, attempts, not_before, enqueued,
                          error */
    QS_PENDING_IDS,    /* ?1 topic, ?2 now, ?3 limit -> id */
    QS_EXPIRED_IDS,    /* ?1 topic, ?2 now, ?3 limit -> id */
    QS_LEASE_IDS,      /* ?1 JSON array of ids, ?2 owner, ?3 lease_until */
    QS_ITEMS_BY_IDS,   /* ?1 JSON array of ids -> item columns, by id */
    QS_ACK_IDS,        /* ?1 JSON array of ids, ?2 owner, ?3 now */
    QS_NACK,           /* ?1 id, ?2 owner, ?3 now, ?4 state, ?5 not_before (NULL keeps it),
                          ?6 error */
    QS_HELD,           /* ?1 id, ?2 owner, ?3 now -> 1 */
    QS_DELETE_ID,      /* ?1 id */
    QS_DELETE_IDS,     /* ?1 JSON array of ids */
    QS_EXTEND,         /* ?1 id, ?2 owner, ?3 now, ?4 lease_until */
    QS_RELEASE,        /* ?1 owner prefix */
    QS_RELEASE_MERGE,  /* ?1 owner prefix */
    QS_STATS,          /* -> topic, state, count, min(enqueued_ms) ordered by topic */
    QS_EXPORT,         /* ?1 after_id, ?2 limit -> item columns */
    QS_STMT_COUNT
};

struct qs_db {
    sqlite3 *db;
    sqlite3_stmt *stmt[QS_STMT_COUNT];
    char *storage_id; /* realpath of the database file */
};

/* Opens (creating if needed) the WAL database at path and prepares every statement, waiting up to
 * busy_timeout_ms for another connection's lock. On failure everything opened is closed again and
 * err says why. */
int qs_db_open(struct qs_db *qdb, const char *path, int synchronous_full, int busy_timeout_ms,
               char *err, size_t err_cap);
void qs_db_close(struct qs_db *qdb);

/* Fills item from the current row of QS_ITEMS_BY_IDS or QS_EXPORT; valid until the next step. */
void qs_row_item(sqlite3_stmt *stmt, struct skald_queue_item *item);

/* Writes ids as a JSON array into a malloc'ed string (NULL when out of memory): batches of ids go
 * to SQLite as one parameter, so that one statement updates or deletes them all. */
char *qs_ids_json(const int64_t *ids, size_t n);

#endif
