/*
 * Internals of the SQLite context store, shared by its files: the connection pool with cached
 * statements, write transactions, error messages and row decoding. Not for use outside
 * host/store/.
 */
#ifndef SKALD_STORE_DB_H
#define SKALD_STORE_DB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

#define STORE_POOL_SIZE 8          /* connections; each is used by one thread at a time */
#define STORE_BUSY_TIMEOUT_MS 5000 /* only another process (or a checkpoint) can make us wait */
#define STORE_PAGE_ROWS 256        /* rows read per connection use by the paged scans */

/* Every statement the store runs, prepared on a connection's first use and kept. */
enum store_stmt {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_SAVEPOINT,
    STMT_RELEASE,
    STMT_ROLLBACK_TO,
    STMT_NODE_GET,          /* ?1 account, ?2 uri -> node columns */
    STMT_NODE_GET_CONTENT,  /* ?1 account, ?2 uri -> node columns, content, content_file */
    STMT_NODE_HEAD,         /* ?1 account, ?2 uri -> kind, revision, content_file, owner_user */
    STMT_NODE_INSERT,       /* see store_db.c for the parameters */
    STMT_NODE_REPLACE,      /* see store_db.c; RETURNING revision */
    STMT_CHILD_COUNT,       /* ?1 account, ?2 parent_uri -> count */
    STMT_LIST_PAGE,         /* ?1 account, ?2 dir, ?3 after kind, ?4 after name, ?5 limit */
    STMT_CHILDREN_BY_NAME,  /* ?1 account, ?2 dir -> node columns ordered by name */
    STMT_SUBTREE_FILES,     /* ?1 account, ?2 uri, ?3 lo, ?4 hi -> distinct content_file */
    STMT_SUBTREE_DELETE,    /* ?1 account, ?2 uri, ?3 lo, ?4 hi */
    STMT_SUBTREE_MOVE,      /* ?1 account, ?2 from, ?3 lo, ?4 hi, ?5 to, ?6 to parent, ?7 name */
    STMT_SUBTREE_TAGS,      /* ?1 account, ?2 uri, ?3 lo, ?4 hi -> uri, tags_json */
    STMT_SUBTREE_SET_TAGS,  /* ?1 account, ?2 uri, ?3 lo, ?4 hi, ?5 tags */
    STMT_NODE_TAGS,         /* ?1 account, ?2 uri -> uri, tags_json */
    STMT_NODE_SET_TAGS,     /* ?1 account, ?2 uri, ?3 tags */
    STMT_CONTENT_FILE_USED, /* ?1 hash -> 1 */
    STMT_NODE_SET_SIDECARS, /* ?1 account, ?2 uri, ?3 l0, ?4 l1 */
    STMT_NODE_SET_SUMMARY,  /* ?1 account, ?2 uri, ?3 summary */
    STMT_NODE_SET_SEMANTIC, /* ?1 account, ?2 uri, ?3 state, ?4 error */
    STMT_NODE_SET_VECTORS,  /* ?1 account, ?2 uri, ?3 state, ?4 error */
    STMT_SCAN_ALL_PAGE,     /* ?1 after account, ?2 after uri, ?3 mask, ?4 limit */
    STMT_SCAN_SUBTREE_PAGE, /* ?1 account, ?2 after uri, ?3 lo, ?4 hi, ?5 mask, ?6 limit */
    STMT_OPEN_ROOT,         /* ?1 account, ?2 uri -> pending, failed (0/1 each) */
    STMT_OPEN_SUBTREE,      /* ?1 account, ?2 lo, ?3 hi -> pending, failed counts */
    STMT_OPEN_FIRST_FAILED, /* ?1 account, ?2 uri, ?3 lo, ?4 hi -> uri, last_error */
    STMT_TASK_INSERT,
    STMT_TASK_GET,          /* ?1 task_id, ?2 account, ?3 user or NULL */
    STMT_TASK_UPDATE,       /* ?1 task_id, ?2 status, ?3 stage, ?4 result, ?5 error, ?6 now */
    STMT_TASK_PROGRESS,     /* ?1 task_id, ?2 total, ?3 done, ?4 failed, ?5 now */
    STMT_TASK_LIST,         /* ?1 account, ?2 user, ?3 type, ?4 status, ?5 resource, ?6 limit */
    STMT_COUNT
};

/* Column order of the node queries, for store_row_node(). */
enum store_node_col {
    NCOL_ACCOUNT, NCOL_URI, NCOL_PARENT, NCOL_NAME, NCOL_KIND, NCOL_OWNER, NCOL_SIZE,
    NCOL_CREATED, NCOL_UPDATED, NCOL_TAGS, NCOL_L0, NCOL_L1, NCOL_SUMMARY, NCOL_HASH,
    NCOL_SEMANTIC, NCOL_VECTORS, NCOL_LAST_ERROR, NCOL_REVISION, NCOL_CHILDREN,
    NCOL_CONTENT, NCOL_CONTENT_FILE /* only in STMT_NODE_GET_CONTENT */
};

struct store_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[STMT_COUNT]; /* NULL until first used */
};

struct store {
    char *data_dir;
    char *content_dir; /* <data_dir>/content */
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_free;
    struct store_conn conn[STORE_POOL_SIZE];
    int free_idx[STORE_POOL_SIZE]; /* stack of idle connections */
    int free_count;
    /* Every write transaction of this process takes it, so writers queue here instead of
     * sleeping in SQLite's busy handler; content-file collection runs under it too. */
    pthread_mutex_t write_lock;
};

/* Formats err and returns code. */
int store_errf(char *err, size_t err_cap, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An SQLite failure as a store status (STORE_ENOMEM or STORE_EIO), with what and SQLite's
 * message. */
int store_sqlite_err(struct store_conn *c, int sqlite_rc, const char *what, char *err,
                     size_t err_cap);

/* Takes an idle connection, waiting while all are in use. Give it back with store_conn_release. */
struct store_conn *store_conn_acquire(struct store *st);
void store_conn_release(struct store *st, struct store_conn *c);

/* The connection's cached statement, reset and unbound; NULL with err set on a prepare failure.
 * The caller resets it again (store_stmt_done) when finished, so no read stays open. */
sqlite3_stmt *store_stmt(struct store_conn *c, enum store_stmt which, char *err, size_t err_cap);
void store_stmt_done(sqlite3_stmt *stmt);

/* Binds text, or NULL when s is NULL. Lengths are bytes; -1 = up to the NUL. */
int store_bind_text(sqlite3_stmt *stmt, int idx, const char *s, int len);

/* A write transaction: the write lock, an idle connection and BEGIN IMMEDIATE. Content files
 * named with store_txn_collect are removed at the end if no committed row references them. */
struct store_txn {
    struct store *st;
    struct store_conn *c;
    char (*collect)[65];
    size_t collect_len, collect_cap;
    int nested; /* a savepoint inside the thread's store_batch transaction */
};

int store_txn_begin(struct store *st, struct store_txn *tx, char *err, size_t err_cap);
/* Remembers a content file to check after the transaction (STORE_ENOMEM when it cannot). */
int store_txn_collect(struct store_txn *tx, const char *hash, char *err, size_t err_cap);
/* Commits when rc is STORE_OK (a failed commit becomes the result), else rolls back and keeps
 * err as the caller wrote it; then collects content files, unlocks and releases the connection.
 * Returns the final status. */
int store_txn_end(struct store_txn *tx, int rc, char *err, size_t err_cap);

/* Decodes the node columns (and, when the row has them, the content) of the current row into
 * out, which the caller clears. with_content reads a body kept on disk too. */
int store_row_node(struct store *st, sqlite3_stmt *row, int with_content, struct store_node *out,
                   char *err, size_t err_cap);
/* Direct children of uri that have rows (an implicit scope root's included). */
int store_child_count(struct store_conn *c, const char *account, const char *uri, uint64_t *out,
                      char *err, size_t err_cap);
/* Reads a node, answering the implicit roots too; ENOTFOUND when missing. */
int store_node_read(struct store *st, struct store_conn *c, const char *account, const char *uri,
                    int with_content, struct store_node *out, char *err, size_t err_cap);

/* What the writers need to know about an existing node. */
struct store_head {
    enum store_kind kind;
    uint64_t revision;
    char content_file[65]; /* "" when the body is inline */
    char owner_user[128];  /* truncated: only used to own auto-created parents */
};
/* Fills head; STORE_ENOTFOUND (no message) when there is no row. */
int store_head_get(struct store_conn *c, const char *account, const char *uri, int uri_len,
                   struct store_head *head, char *err, size_t err_cap);

/* Inside a transaction: creates the row of an implicit root that has none (revision 0) and
 * fills head; ENOTFOUND (with a message) for a missing ordinary node. */
int store_head_require(struct store_txn *tx, const char *account, const char *uri,
                       struct store_head *head, char *err, size_t err_cap);

/* Inside a transaction: creates the missing ancestors of uri as directories (semantic and vectors
 * PENDING, owned by owner_user); ENOTDIR when one is a file. */
int store_ensure_parents(struct store_txn *tx, const char *account, const char *owner_user,
                         const char *uri, int64_t now_ms, char *err, size_t err_cap);

/* One row for STMT_NODE_INSERT. */
struct store_insert {
    const char *account, *uri, *owner_user;
    int uri_len; /* -1 = strlen */
    enum store_kind kind;
    const char *tags_json; /* NULL = "[]" */
    const char *l0;
    const void *content;       /* inline body or NULL */
    size_t content_len;        /* size of the body, inline or on disk */
    const char *content_file;  /* hash of a body on disk, or NULL */
    const char *content_hash;  /* "" for directories */
    enum store_proc_state semantic, vectors;
    uint64_t revision;
    int64_t now_ms;
};
int store_node_insert(struct store_txn *tx, const struct store_insert *ins, char *err,
                      size_t err_cap);

/* Subtree bounds of a canonical URI: rows with uri = X or lo <= uri < hi. lo and hi need
 * strlen(uri) + 2 bytes. */
void store_subtree_bounds(const char *uri, char *lo, char *hi);

/* Tag lists (JSON arrays of strings). Results are malloc'ed compact JSON owned by the caller. */
int store_tags_normalize(const char *tags_json, char **out, char *err, size_t err_cap);
int store_tags_merge(const char *old_json, const char *add_json, char **out, char *err,
                     size_t err_cap);

#endif
