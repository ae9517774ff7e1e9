/* The SQLite side of the store: opening context.db, the schema and its version, the connection
 * pool with cached statements, write transactions and error messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "store/store_content.h"
#include "store/store_db.h"
#include "store/store_uri.h"

/* Version 1. A later version adds a migration step from the previous one in migrate(). */
#define STORE_SCHEMA_VERSION 1

/* (account, uri) is the key; (account, parent_uri, kind, name) serves listings, directories
 * first; the partial index on content_file finds whether a body on disk is still used. Small
 * columns come first and the body last, so reading metadata never walks a body's overflow
 * pages. */
static const char schema_v1[] =
    "CREATE TABLE nodes("
    " account TEXT NOT NULL,"
    " uri TEXT NOT NULL,"
    " parent_uri TEXT,"
    " name TEXT NOT NULL,"
    " kind INTEGER NOT NULL,"
    " owner_user TEXT NOT NULL,"
    " size INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " semantic INTEGER NOT NULL DEFAULT 0,"
    " vectors INTEGER NOT NULL DEFAULT 0,"
    " revision INTEGER NOT NULL DEFAULT 1,"
    " content_hash TEXT NOT NULL DEFAULT '',"
    " content_file TEXT,"
    " tags_json TEXT NOT NULL DEFAULT '[]',"
    " last_error TEXT,"
    " l0 TEXT, l1 TEXT, summary TEXT,"
    " content BLOB,"
    " PRIMARY KEY(account, uri));"
    "CREATE INDEX nodes_children ON nodes(account, parent_uri, kind, name);"
    "CREATE INDEX nodes_content_file ON nodes(content_file) WHERE content_file IS NOT NULL;"
    "CREATE TABLE tasks("
    " task_id TEXT PRIMARY KEY NOT NULL,"
    " account TEXT NOT NULL,"
    " user TEXT NOT NULL,"
    " task_type TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " stage TEXT, resource_id TEXT, result_json TEXT, error TEXT,"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " jobs_total INTEGER NOT NULL DEFAULT 0,"
    " jobs_done INTEGER NOT NULL DEFAULT 0,"
    " jobs_failed INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX tasks_owner ON tasks(account, user, created_ms);";

/* In the order of enum store_node_col. */
#define NODE_COLUMNS                                                                          \
    "account, uri, parent_uri, name, kind, owner_user, size, created_ms, updated_ms,"        \
    " tags_json, l0, l1, summary, content_hash, semantic, vectors, last_error, revision,"     \
    " CASE kind WHEN 0 THEN (SELECT count(*) FROM nodes c"                                    \
    " WHERE c.account = nodes.account AND c.parent_uri = nodes.uri) ELSE 0 END"

/* Rows of the subtree of ?2 (bounds ?3, ?4 from store_subtree_bounds). The outer range
 * [X, X0) lets SQLite search the key index; the OR drops prefix siblings such as "X-b". */
#define IN_SUBTREE "uri >= ?2 AND uri < ?4 AND (uri = ?2 OR uri >= ?3)"

#define TASK_COLUMNS                                                                          \
    "task_id, account, user, task_type, status, stage, resource_id, result_json, error,"     \
    " created_ms, updated_ms, jobs_total, jobs_done, jobs_failed"

static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_SAVEPOINT] = "SAVEPOINT store_txn",
    [STMT_RELEASE] = "RELEASE store_txn",
    [STMT_ROLLBACK_TO] = "ROLLBACK TO store_txn",
    [STMT_NODE_GET] = "SELECT " NODE_COLUMNS " FROM nodes WHERE account = ?1 AND uri = ?2",
    [STMT_NODE_GET_CONTENT] = "SELECT " NODE_COLUMNS ", content, content_file FROM nodes"
                              " WHERE account = ?1 AND uri = ?2",
    [STMT_NODE_HEAD] = "SELECT kind, revision, content_file, owner_user FROM nodes"
                       " WHERE account = ?1 AND uri = ?2",
    [STMT_NODE_INSERT] =
        "INSERT INTO nodes(account, uri, parent_uri, name, kind, owner_user, size, created_ms,"
        " updated_ms, tags_json, l0, content, content_file, content_hash, semantic, vectors,"
        " revision) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
        " ?16)",
    /* NULL tags or semantic keep the old value. */
    [STMT_NODE_REPLACE] =
        "UPDATE nodes SET size = ?3, updated_ms = ?4, tags_json = coalesce(?5, tags_json),"
        " content = ?6, content_file = ?7, content_hash = ?8, semantic = coalesce(?9, semantic),"
        " vectors = ?10, last_error = NULL, revision = revision + 1"
        " WHERE account = ?1 AND uri = ?2 RETURNING revision",
    [STMT_CHILD_COUNT] = "SELECT count(*) FROM nodes WHERE account = ?1 AND parent_uri = ?2",
    [STMT_LIST_PAGE] = "SELECT " NODE_COLUMNS " FROM nodes WHERE account = ?1"
                       " AND parent_uri = ?2 AND (kind, name) > (?3, ?4)"
                       " ORDER BY kind, name LIMIT ?5",
    [STMT_CHILDREN_BY_NAME] = "SELECT " NODE_COLUMNS " FROM nodes WHERE account = ?1"
                              " AND parent_uri = ?2 ORDER BY name",
    [STMT_SUBTREE_FILES] = "SELECT DISTINCT content_file FROM nodes WHERE account = ?1"
                           " AND " IN_SUBTREE " AND content_file IS NOT NULL",
    [STMT_SUBTREE_DELETE] = "DELETE FROM nodes WHERE account = ?1 AND " IN_SUBTREE,
    /* SET expressions see the row's old values. */
    [STMT_SUBTREE_MOVE] =
        "UPDATE nodes SET uri = ?5 || substr(uri, length(?2) + 1),"
        " parent_uri = CASE WHEN uri = ?2 THEN ?6 ELSE ?5 || substr(parent_uri, length(?2) + 1)"
        " END, name = CASE WHEN uri = ?2 THEN ?7 ELSE name END"
        " WHERE account = ?1 AND " IN_SUBTREE,
    [STMT_SUBTREE_TAGS] =
        "SELECT uri, tags_json FROM nodes WHERE account = ?1 AND " IN_SUBTREE,
    [STMT_SUBTREE_SET_TAGS] = "UPDATE nodes SET tags_json = ?5, revision = revision + 1"
                              " WHERE account = ?1 AND " IN_SUBTREE,
    [STMT_NODE_TAGS] = "SELECT uri, tags_json FROM nodes WHERE account = ?1 AND uri = ?2",
    [STMT_NODE_SET_TAGS] = "UPDATE nodes SET tags_json = ?3, revision = revision + 1"
                           " WHERE account = ?1 AND uri = ?2",
    [STMT_CONTENT_FILE_USED] = "SELECT 1 FROM nodes WHERE content_file = ?1 LIMIT 1",
    /* A DONE keeps the error of the other state when that one FAILED. */
    [STMT_NODE_SET_SIDECARS] =
        "UPDATE nodes SET l0 = coalesce(?3, l0), l1 = coalesce(?4, l1), semantic = 2,"
        " last_error = CASE WHEN vectors = 3 THEN last_error END, revision = revision + 1"
        " WHERE account = ?1 AND uri = ?2",
    [STMT_NODE_SET_SUMMARY] = "UPDATE nodes SET summary = ?3, revision = revision + 1"
                              " WHERE account = ?1 AND uri = ?2",
    [STMT_NODE_SET_SEMANTIC] =
        "UPDATE nodes SET semantic = ?3, last_error = CASE WHEN ?4 IS NOT NULL THEN ?4"
        " WHEN ?3 = 2 AND vectors != 3 THEN NULL ELSE last_error END"
        " WHERE account = ?1 AND uri = ?2",
    [STMT_NODE_SET_VECTORS] =
        "UPDATE nodes SET vectors = ?3, last_error = CASE WHEN ?4 IS NOT NULL THEN ?4"
        " WHEN ?3 = 2 AND semantic != 3 THEN NULL ELSE last_error END"
        " WHERE account = ?1 AND uri = ?2",
    [STMT_SCAN_ALL_PAGE] = "SELECT " NODE_COLUMNS " FROM nodes WHERE (account, uri) > (?1, ?2)"
                           " AND (((1 << semantic) | (1 << vectors)) & ?3) != 0"
                           " ORDER BY account, uri LIMIT ?4",
    [STMT_SCAN_SUBTREE_PAGE] =
        "SELECT " NODE_COLUMNS " FROM nodes WHERE account = ?1 AND uri > ?2 AND uri >= ?3"
        " AND uri < ?4 AND (((1 << semantic) | (1 << vectors)) & ?5) != 0"
        " ORDER BY uri LIMIT ?6",
    /* Open work: pending wins over failed, as a task waits for its pending nodes first. */
    [STMT_OPEN_ROOT] = "SELECT (semantic = 1 OR vectors = 1),"
                       " (semantic <> 1 AND vectors <> 1 AND (semantic = 3 OR vectors = 3))"
                       " FROM nodes WHERE account = ?1 AND uri = ?2",
    [STMT_OPEN_SUBTREE] =
        "SELECT coalesce(sum(semantic = 1 OR vectors = 1), 0),"
        " coalesce(sum(semantic <> 1 AND vectors <> 1 AND (semantic = 3 OR vectors = 3)), 0)"
        " FROM nodes WHERE account = ?1 AND uri >= ?2 AND uri < ?3",
    [STMT_OPEN_FIRST_FAILED] =
        "SELECT uri, last_error FROM nodes WHERE account = ?1 AND (uri = ?2 OR (uri >= ?3"
        " AND uri < ?4)) AND semantic <> 1 AND vectors <> 1 AND (semantic = 3 OR vectors = 3)"
        " ORDER BY uri LIMIT 1",
    [STMT_TASK_INSERT] = "INSERT INTO tasks(" TASK_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                         " ?8, ?9, ?10, ?10, ?11, ?12, ?13)",
    [STMT_TASK_GET] = "SELECT " TASK_COLUMNS " FROM tasks WHERE task_id = ?1 AND account = ?2"
                      " AND (?3 IS NULL OR user = ?3)",
    [STMT_TASK_UPDATE] = "UPDATE tasks SET status = coalesce(?2, status),"
                         " stage = coalesce(?3, stage), result_json = coalesce(?4, result_json),"
                         " error = coalesce(?5, error), updated_ms = ?6 WHERE task_id = ?1",
    [STMT_TASK_PROGRESS] = "UPDATE tasks SET jobs_total = max(jobs_total + ?2, 0),"
                           " jobs_done = max(jobs_done + ?3, 0),"
                           " jobs_failed = max(jobs_failed + ?4, 0), updated_ms = ?5"
                           " WHERE task_id = ?1",
    [STMT_TASK_LIST] = "SELECT " TASK_COLUMNS " FROM tasks WHERE account = ?1"
                       " AND (?2 IS NULL OR user = ?2) AND (?3 IS NULL OR task_type = ?3)"
                       " AND (?4 IS NULL OR status = ?4) AND (?5 IS NULL OR resource_id = ?5)"
                       " ORDER BY created_ms DESC, rowid DESC LIMIT ?6",
};

int store_errf(char *err, size_t err_cap, int code, const char *fmt, ...)
{
    if (err && err_cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_cap, fmt, ap);
        va_end(ap);
    }
    return code;
}

int store_sqlite_err(struct store_conn *c, int sqlite_rc, const char *what, char *err,
                     size_t err_cap)
{
    int code = (sqlite_rc & 0xff) == SQLITE_NOMEM ? STORE_ENOMEM : STORE_EIO;
    const char *msg = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(sqlite_rc);
    return store_errf(err, err_cap, code, "context.db: %s: %s", what, msg);
}

/* The calling thread's open store_batch: its store calls on st run on this transaction. */
static _Thread_local struct {
    struct store *st;
    struct store_txn tx;
    int broken; /* the transaction was rolled back under the batch (SQLite undid it) */
} store_batch;

struct store_conn *store_conn_acquire(struct store *st)
{
    if (store_batch.st == st)
        return store_batch.tx.c;
    pthread_mutex_lock(&st->pool_lock);
    while (st->free_count == 0)
        pthread_cond_wait(&st->pool_free, &st->pool_lock);
    struct store_conn *c = &st->conn[st->free_idx[--st->free_count]];
    pthread_mutex_unlock(&st->pool_lock);
    return c;
}

void store_conn_release(struct store *st, struct store_conn *c)
{
    if (store_batch.st == st && c == store_batch.tx.c)
        return;
    pthread_mutex_lock(&st->pool_lock);
    st->free_idx[st->free_count++] = (int)(c - st->conn);
    pthread_cond_signal(&st->pool_free);
    pthread_mutex_unlock(&st->pool_lock);
}

sqlite3_stmt *store_stmt(struct store_conn *c, enum store_stmt which, char *err, size_t err_cap)
{
    sqlite3_stmt *s = c->stmt[which];
    if (!s) {
        int src = sqlite3_prepare_v3(c->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s,
                                     NULL);
        if (src != SQLITE_OK) {
            store_sqlite_err(c, src, "prepare", err, err_cap);
            return NULL;
        }
        c->stmt[which] = s;
    }
    store_stmt_done(s);
    return s;
}

void store_stmt_done(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

int store_bind_text(sqlite3_stmt *stmt, int idx, const char *s, int len)
{
    if (!s)
        return sqlite3_bind_null(stmt, idx);
    return sqlite3_bind_text(stmt, idx, s, len, SQLITE_STATIC);
}

/* Runs a statement that returns no rows. */
static int run_simple(struct store_conn *c, enum store_stmt which, const char *what, char *err,
                      size_t err_cap)
{
    sqlite3_stmt *s = store_stmt(c, which, err, err_cap);
    if (!s)
        return STORE_EIO;
    int src = sqlite3_step(s);
    store_stmt_done(s);
    if (src != SQLITE_DONE)
        return store_sqlite_err(c, src, what, err, err_cap);
    return STORE_OK;
}

int store_txn_begin(struct store *st, struct store_txn *tx, char *err, size_t err_cap)
{
    memset(tx, 0, sizeof *tx);
    tx->st = st;
    if (store_batch.st == st) {
        /* Inside a batch: a savepoint keeps this write all-or-nothing within the batch. */
        if (store_batch.broken)
            return store_errf(err, err_cap, STORE_EIO, "context.db: the batch was rolled back");
        tx->c = store_batch.tx.c;
        tx->nested = 1;
        return run_simple(tx->c, STMT_SAVEPOINT, "savepoint", err, err_cap);
    }
    pthread_mutex_lock(&st->write_lock);
    tx->c = store_conn_acquire(st);
    int rc = run_simple(tx->c, STMT_BEGIN, "begin", err, err_cap);
    if (rc != STORE_OK) {
        store_conn_release(st, tx->c);
        pthread_mutex_unlock(&st->write_lock);
        tx->c = NULL;
    }
    return rc;
}

int store_txn_collect(struct store_txn *tx, const char *hash, char *err, size_t err_cap)
{
    if (tx->nested)
        return store_txn_collect(&store_batch.tx, hash, err, err_cap);
    if (tx->collect_len == tx->collect_cap) {
        size_t cap = tx->collect_cap ? tx->collect_cap * 2 : 8;
        char(*grown)[65] = realloc(tx->collect, cap * sizeof *grown);
        if (!grown)
            return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
        tx->collect = grown;
        tx->collect_cap = cap;
    }
    snprintf(tx->collect[tx->collect_len++], 65, "%s", hash);
    return STORE_OK;
}

/* Ends a savepoint of the batch; the batch's commit makes it durable. */
static int store_txn_end_nested(struct store_txn *tx, int rc, char *err, size_t err_cap)
{
    struct store_conn *c = tx->c;
    char ignored[64];
    if (rc == STORE_OK)
        rc = run_simple(c, STMT_RELEASE, "release", err, err_cap);
    if (rc != STORE_OK && !sqlite3_get_autocommit(c->db) &&
        run_simple(c, STMT_ROLLBACK_TO, "rollback to", ignored, sizeof ignored) == STORE_OK)
        run_simple(c, STMT_RELEASE, "release", ignored, sizeof ignored);
    if (sqlite3_get_autocommit(c->db))
        store_batch.broken = 1;
    memset(tx, 0, sizeof *tx);
    return rc;
}

int store_txn_end(struct store_txn *tx, int rc, char *err, size_t err_cap)
{
    if (tx->nested)
        return store_txn_end_nested(tx, rc, err, err_cap);
    struct store_conn *c = tx->c;
    if (rc == STORE_OK) {
        rc = run_simple(c, STMT_COMMIT, "commit", err, err_cap);
        if (rc != STORE_OK && !sqlite3_get_autocommit(c->db)) {
            char ignored[64];
            run_simple(c, STMT_ROLLBACK, "rollback", ignored, sizeof ignored);
        }
    } else if (!sqlite3_get_autocommit(c->db)) {
        /* Some errors roll back by themselves; otherwise undo here, keeping the caller's err. */
        char ignored[64];
        run_simple(c, STMT_ROLLBACK, "rollback", ignored, sizeof ignored);
    }
    /* Still under the write lock: no writer can start using a file we find unreferenced. */
    for (size_t i = 0; i < tx->collect_len; i++) {
        char cerr[256];
        /* The outcome stands either way: a file left behind is removed by the next open. */
        if (store_content_collect(tx->st, c, tx->collect[i], cerr, sizeof cerr) != STORE_OK)
            log_warn("store: %s", cerr);
    }
    free(tx->collect);
    store_conn_release(tx->st, c);
    pthread_mutex_unlock(&tx->st->write_lock);
    memset(tx, 0, sizeof *tx);
    return rc;
}

int store_batch_begin(struct store *st, char *err, size_t err_cap)
{
    if (store_batch.st)
        return store_errf(err, err_cap, STORE_EINVAL, "a store batch is already open");
    int rc = store_txn_begin(st, &store_batch.tx, err, err_cap);
    if (rc == STORE_OK) {
        store_batch.st = st;
        store_batch.broken = 0;
    }
    return rc;
}

int store_batch_end(struct store *st, int rc, char *err, size_t err_cap)
{
    if (store_batch.st != st)
        return store_errf(err, err_cap, STORE_EINVAL, "no store batch is open");
    if (rc == STORE_OK && store_batch.broken)
        rc = store_errf(err, err_cap, STORE_EIO, "context.db: the batch was rolled back");
    store_batch.st = NULL;
    return store_txn_end(&store_batch.tx, rc, err, err_cap);
}

void store_subtree_bounds(const char *uri, char *lo, char *hi)
{
    size_t n = strlen(uri);
    if (n == STORE_ROOT_LEN) {
        /* Everything of the account: "viking://" <= uri < "viking:/0". */
        memcpy(lo, uri, n + 1);
        memcpy(hi, uri, n + 1);
        hi[n - 1] = '0';
        return;
    }
    memcpy(lo, uri, n);
    memcpy(hi, uri, n);
    lo[n] = '/';
    hi[n] = '0'; /* '0' is '/' + 1 */
    lo[n + 1] = hi[n + 1] = '\0';
}

static int exec(struct store_conn *c, const char *sql, const char *what, char *err,
                size_t err_cap)
{
    int src = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    if (src != SQLITE_OK)
        return store_sqlite_err(c, src, what, err, err_cap);
    return STORE_OK;
}

static int user_version(struct store_conn *c, int *out, char *err, size_t err_cap)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_step(s);
        if (src == SQLITE_ROW) {
            *out = sqlite3_column_int(s, 0);
            src = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    if (src != SQLITE_OK)
        return store_sqlite_err(c, src, "reading the schema version", err, err_cap);
    return STORE_OK;
}

/* Brings the schema to STORE_SCHEMA_VERSION in one transaction. */
static int migrate(struct store_conn *c, char *err, size_t err_cap)
{
    int rc = exec(c, "BEGIN IMMEDIATE", "begin", err, err_cap);
    if (rc != STORE_OK)
        return rc;
    int version = 0;
    rc = user_version(c, &version, err, err_cap);
    if (rc == STORE_OK && version > STORE_SCHEMA_VERSION)
        rc = store_errf(err, err_cap, STORE_EIO,
                        "context.db has schema version %d; this skald knows up to %d", version,
                        STORE_SCHEMA_VERSION);
    if (rc == STORE_OK && version < 1)
        rc = exec(c, schema_v1, "creating the schema", err, err_cap);
    if (rc == STORE_OK && version < STORE_SCHEMA_VERSION) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
        rc = exec(c, sql, "setting the schema version", err, err_cap);
    }
    if (rc == STORE_OK)
        return exec(c, "COMMIT", "commit", err, err_cap);
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int conn_open(struct store_conn *c, const char *path, char *err, size_t err_cap)
{
    /* NOMUTEX: the pool hands a connection to one thread at a time. */
    int src = sqlite3_open_v2(path, &c->db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                              NULL);
    if (src != SQLITE_OK)
        return store_sqlite_err(c, src, path, err, err_cap);
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, STORE_BUSY_TIMEOUT_MS);
    /* WAL with synchronous=NORMAL: a committed transaction survives a process crash or kill -9
     * (it is in the WAL file); only a power loss can take back the last commits. */
    return exec(c, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                   " PRAGMA temp_store = MEMORY;",
                "setting WAL mode", err, err_cap);
}

static int make_dir(const char *path, char *err, size_t err_cap)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return store_errf(err, err_cap, STORE_EIO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return store_errf(err, err_cap, STORE_EIO, "%s: not a directory", path);
    return STORE_OK;
}

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

int store_open(const char *data_dir, struct store **out, char *err, size_t err_cap)
{
    *out = NULL;
    if (!data_dir || !*data_dir)
        return store_errf(err, err_cap, STORE_EINVAL, "missing data dir");
    struct store *st = calloc(1, sizeof *st);
    if (!st)
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    pthread_mutex_init(&st->pool_lock, NULL);
    pthread_cond_init(&st->pool_free, NULL);
    pthread_mutex_init(&st->write_lock, NULL);
    char *db_path = NULL;
    int rc = STORE_OK;
    st->data_dir = strdup(data_dir);
    st->content_dir = path_join(data_dir, "content");
    db_path = path_join(data_dir, "context.db");
    if (!st->data_dir || !st->content_dir || !db_path)
        rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    if (rc == STORE_OK)
        rc = make_dir(data_dir, err, err_cap);
    if (rc == STORE_OK)
        rc = make_dir(st->content_dir, err, err_cap);
    for (int i = 0; rc == STORE_OK && i < STORE_POOL_SIZE; i++) {
        rc = conn_open(&st->conn[i], db_path, err, err_cap);
        if (rc == STORE_OK && i == 0)
            rc = migrate(&st->conn[0], err, err_cap);
        st->free_idx[st->free_count++] = i;
    }
    if (rc == STORE_OK)
        rc = store_content_sweep(st, &st->conn[0], err, err_cap);
    free(db_path);
    if (rc != STORE_OK) {
        store_close(st);
        return rc;
    }
    *out = st;
    return STORE_OK;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    for (int i = 0; i < STORE_POOL_SIZE; i++) {
        for (int k = 0; k < STMT_COUNT; k++)
            sqlite3_finalize(st->conn[i].stmt[k]);
        sqlite3_close(st->conn[i].db);
    }
    pthread_mutex_destroy(&st->pool_lock);
    pthread_cond_destroy(&st->pool_free);
    pthread_mutex_destroy(&st->write_lock);
    free(st->data_dir);
    free(st->content_dir);
    free(st);
}
