/* What is stored on existing nodes besides their content: tags, L0/L1 sidecars, file summaries
 * and processing states. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_db.h"
#include "store/store_uri.h"

static int check_target(const char *account, const char *uri, char *err, size_t err_cap)
{
    if (!account || !*account)
        return store_errf(err, err_cap, STORE_EINVAL, "missing account");
    return store_uri_check(uri, err, err_cap);
}

/* Runs a bound UPDATE to completion and resets it. */
static int step_update(struct store_txn *tx, sqlite3_stmt *s, const char *what, char *err,
                       size_t err_cap)
{
    int src = sqlite3_step(s);
    store_stmt_done(s);
    if (src != SQLITE_DONE)
        return store_sqlite_err(tx->c, src, what, err, err_cap);
    return STORE_OK;
}

/* Binds ?1 account, ?2 uri and, for a subtree statement (lo not NULL), ?3 lo, ?4 hi. */
static void bind_target(sqlite3_stmt *s, const char *account, const char *uri, const char *lo,
                        const char *hi)
{
    store_bind_text(s, 1, account, -1);
    store_bind_text(s, 2, uri, -1);
    if (lo) {
        store_bind_text(s, 3, lo, -1);
        store_bind_text(s, 4, hi, -1);
    }
}

struct tag_row {
    char *uri, *tags;
};

/* Merges add into the tags of the node, or of its subtree when lo is not NULL, row by row. */
static int append_tags(struct store_txn *tx, const char *account, const char *uri,
                       const char *lo, const char *hi, const char *add, char *err,
                       size_t err_cap)
{
    sqlite3_stmt *s = store_stmt(tx->c, lo ? STMT_SUBTREE_TAGS : STMT_NODE_TAGS, err, err_cap);
    if (!s)
        return STORE_EIO;
    bind_target(s, account, uri, lo, hi);
    /* Read every row first: updating while the read is open would mix the two. */
    struct tag_row *rows = NULL;
    size_t n = 0, cap = 0;
    int rc = STORE_OK, src;
    while (rc == STORE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct tag_row *grown = realloc(rows, ncap * sizeof *grown);
            if (!grown) {
                rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
                break;
            }
            rows = grown;
            cap = ncap;
        }
        const char *row_uri = (const char *)sqlite3_column_text(s, 0);
        const char *row_tags = (const char *)sqlite3_column_text(s, 1);
        rows[n].uri = row_uri ? strdup(row_uri) : NULL;
        rows[n].tags = NULL;
        if (!rows[n].uri) {
            rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
            break;
        }
        rc = store_tags_merge(row_tags, add, &rows[n].tags, err, err_cap);
        n++;
    }
    if (rc == STORE_OK && src != SQLITE_DONE)
        rc = store_sqlite_err(tx->c, src, "reading tags", err, err_cap);
    store_stmt_done(s);
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        s = store_stmt(tx->c, STMT_NODE_SET_TAGS, err, err_cap);
        if (!s) {
            rc = STORE_EIO;
            break;
        }
        store_bind_text(s, 1, account, -1);
        store_bind_text(s, 2, rows[i].uri, -1);
        store_bind_text(s, 3, rows[i].tags, -1);
        rc = step_update(tx, s, "setting tags", err, err_cap);
    }
    for (size_t i = 0; i < n; i++) {
        free(rows[i].uri);
        free(rows[i].tags);
    }
    free(rows);
    return rc;
}

/* lo and hi: the subtree bounds when recursive, else NULL. */
static int set_tags_in(struct store_txn *tx, const char *account, const char *uri,
                       const char *tags, int append, const char *lo, const char *hi, char *err,
                       size_t err_cap)
{
    const int recursive = lo != NULL;
    struct store_head head;
    int rc = store_head_require(tx, account, uri, &head, err, err_cap);
    /* The root's subtree includes the scope roots, which get rows to carry the tags. */
    for (int i = 0; rc == STORE_OK && recursive && strlen(uri) == STORE_ROOT_LEN &&
                    i < STORE_SCOPE_COUNT;
         i++) {
        char scope[32];
        snprintf(scope, sizeof scope, STORE_ROOT_URI "%s", store_scope_names[i]);
        rc = store_head_require(tx, account, scope, &head, err, err_cap);
    }
    if (rc != STORE_OK)
        return rc;
    if (append)
        return append_tags(tx, account, uri, lo, hi, tags, err, err_cap);
    sqlite3_stmt *s =
        store_stmt(tx->c, lo ? STMT_SUBTREE_SET_TAGS : STMT_NODE_SET_TAGS, err, err_cap);
    if (!s)
        return STORE_EIO;
    bind_target(s, account, uri, lo, hi);
    store_bind_text(s, lo ? 5 : 3, tags, -1);
    return step_update(tx, s, "setting tags", err, err_cap);
}

int store_set_tags(struct store *st, const char *account, const char *uri, const char *tags_json,
                   int append, int recursive, char *err, size_t err_cap)
{
    int rc = check_target(account, uri, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    if (!tags_json)
        return store_errf(err, err_cap, STORE_EINVAL, "missing tags");
    char *tags = NULL;
    rc = store_tags_normalize(tags_json, &tags, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    char *lo = NULL, *hi = NULL;
    if (recursive) {
        lo = malloc(strlen(uri) + 2);
        hi = malloc(strlen(uri) + 2);
        if (!lo || !hi)
            rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
        else
            store_subtree_bounds(uri, lo, hi);
    }
    struct store_txn tx;
    if (rc == STORE_OK && (rc = store_txn_begin(st, &tx, err, err_cap)) == STORE_OK) {
        rc = set_tags_in(&tx, account, uri, tags, append, lo, hi, err, err_cap);
        rc = store_txn_end(&tx, rc, err, err_cap);
    }
    free(lo);
    free(hi);
    free(tags);
    return rc;
}

/* The node must exist with this kind and revision. */
static int check_revision(struct store_txn *tx, const char *account, const char *uri,
                          enum store_kind kind, uint64_t expected, char *err, size_t err_cap)
{
    struct store_head head;
    int rc = store_head_require(tx, account, uri, &head, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    if (head.kind != kind)
        return store_errf(err, err_cap, kind == STORE_DIR ? STORE_ENOTDIR : STORE_EISDIR,
                          kind == STORE_DIR ? "%s: not a directory" : "%s: is a directory", uri);
    if (head.revision != expected)
        return store_errf(err, err_cap, STORE_ECONFLICT,
                          "%s: changed meanwhile (revision %llu, expected %llu)", uri,
                          (unsigned long long)head.revision, (unsigned long long)expected);
    return STORE_OK;
}

static int bind_body_text(struct store_txn *tx, sqlite3_stmt *s, int idx, const char *text,
                          char *err, size_t err_cap)
{
    int src = text ? sqlite3_bind_text64(s, idx, text, strlen(text), SQLITE_STATIC, SQLITE_UTF8)
                   : sqlite3_bind_null(s, idx);
    if (src != SQLITE_OK)
        return store_sqlite_err(tx->c, src, "binding text", err, err_cap);
    return STORE_OK;
}

int store_set_sidecars(struct store *st, const char *account, const char *uri, const char *l0,
                       const char *l1, uint64_t expected_revision, char *err, size_t err_cap)
{
    int rc = check_target(account, uri, err, err_cap);
    struct store_txn tx;
    if (rc != STORE_OK || (rc = store_txn_begin(st, &tx, err, err_cap)) != STORE_OK)
        return rc;
    rc = check_revision(&tx, account, uri, STORE_DIR, expected_revision, err, err_cap);
    sqlite3_stmt *s = NULL;
    if (rc == STORE_OK && !(s = store_stmt(tx.c, STMT_NODE_SET_SIDECARS, err, err_cap)))
        rc = STORE_EIO;
    if (rc == STORE_OK) {
        store_bind_text(s, 1, account, -1);
        store_bind_text(s, 2, uri, -1);
        rc = bind_body_text(&tx, s, 3, l0, err, err_cap);
        if (rc == STORE_OK)
            rc = bind_body_text(&tx, s, 4, l1, err, err_cap);
        if (rc == STORE_OK)
            rc = step_update(&tx, s, "storing sidecars", err, err_cap);
        else
            store_stmt_done(s);
    }
    return store_txn_end(&tx, rc, err, err_cap);
}

int store_set_summary(struct store *st, const char *account, const char *uri, const char *summary,
                      uint64_t expected_revision, char *err, size_t err_cap)
{
    int rc = check_target(account, uri, err, err_cap);
    struct store_txn tx;
    if (rc != STORE_OK || (rc = store_txn_begin(st, &tx, err, err_cap)) != STORE_OK)
        return rc;
    rc = check_revision(&tx, account, uri, STORE_FILE, expected_revision, err, err_cap);
    sqlite3_stmt *s = NULL;
    if (rc == STORE_OK && !(s = store_stmt(tx.c, STMT_NODE_SET_SUMMARY, err, err_cap)))
        rc = STORE_EIO;
    if (rc == STORE_OK) {
        store_bind_text(s, 1, account, -1);
        store_bind_text(s, 2, uri, -1);
        rc = bind_body_text(&tx, s, 3, summary, err, err_cap);
        if (rc == STORE_OK)
            rc = step_update(&tx, s, "storing a summary", err, err_cap);
        else
            store_stmt_done(s);
    }
    return store_txn_end(&tx, rc, err, err_cap);
}

static int check_state(int which, enum store_proc_state state, char *err, size_t err_cap)
{
    if (which != 0 && which != 1)
        return store_errf(err, err_cap, STORE_EINVAL, "unknown state %d (0 semantic, 1 vectors)",
                          which);
    if (state < STORE_PROC_NONE || state > STORE_PROC_FAILED)
        return store_errf(err, err_cap, STORE_EINVAL, "unknown processing state %d", (int)state);
    return STORE_OK;
}

/* One state update inside an open transaction. */
static int set_state_in(struct store_txn *tx, const char *account, const char *uri, int which,
                        enum store_proc_state state, const char *error, char *err, size_t err_cap)
{
    struct store_head head;
    int rc = store_head_require(tx, account, uri, &head, err, err_cap);
    sqlite3_stmt *s = NULL;
    if (rc == STORE_OK &&
        !(s = store_stmt(tx->c, which == 0 ? STMT_NODE_SET_SEMANTIC : STMT_NODE_SET_VECTORS, err,
                         err_cap)))
        rc = STORE_EIO;
    if (rc == STORE_OK) {
        store_bind_text(s, 1, account, -1);
        store_bind_text(s, 2, uri, -1);
        sqlite3_bind_int(s, 3, (int)state);
        rc = bind_body_text(tx, s, 4, error, err, err_cap);
        if (rc == STORE_OK)
            rc = step_update(tx, s, "recording a state", err, err_cap);
        else
            store_stmt_done(s);
    }
    return rc;
}

int store_set_state(struct store *st, const char *account, const char *uri, int which,
                    enum store_proc_state state, const char *error, char *err, size_t err_cap)
{
    int rc = check_target(account, uri, err, err_cap);
    if (rc == STORE_OK)
        rc = check_state(which, state, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    struct store_txn tx;
    if ((rc = store_txn_begin(st, &tx, err, err_cap)) != STORE_OK)
        return rc;
    rc = set_state_in(&tx, account, uri, which, state, error, err, err_cap);
    return store_txn_end(&tx, rc, err, err_cap);
}

int store_set_states(struct store *st, const struct store_state_update *updates, size_t n,
                     size_t *missing, char *err, size_t err_cap)
{
    int rc = STORE_OK;
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        rc = check_target(updates[i].account, updates[i].uri, err, err_cap);
        if (rc == STORE_OK)
            rc = check_state(updates[i].which, updates[i].state, err, err_cap);
    }
    if (missing)
        *missing = 0;
    if (rc != STORE_OK || n == 0)
        return rc;
    struct store_txn tx;
    if ((rc = store_txn_begin(st, &tx, err, err_cap)) != STORE_OK)
        return rc;
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        const struct store_state_update *u = &updates[i];
        rc = set_state_in(&tx, u->account, u->uri, u->which, u->state, u->error, err, err_cap);
        if (rc == STORE_ENOTFOUND) {
            if (missing)
                (*missing)++;
            rc = STORE_OK;
        }
    }
    return store_txn_end(&tx, rc, err, err_cap);
}
