/* Whole-subtree changes: store_remove and store_move, each one transaction. Subtrees are matched
 * by key range (uri = X or X/ <= uri < X0), so viking://a/b never touches viking://a/bc. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/store_db.h"
#include "store/store_uri.h"

static int check_node_uri(const char *account, const char *uri, const char *what, char *err,
                          size_t err_cap)
{
    if (!account || !*account)
        return store_errf(err, err_cap, STORE_EINVAL, "missing account");
    int rc = store_uri_check(uri, err, err_cap);
    if (rc == STORE_OK && store_uri_is_implicit(uri, strlen(uri)))
        rc = store_errf(err, err_cap, STORE_EINVAL, "%s: a scope root cannot be %s", uri, what);
    return rc;
}

/* Binds ?1 account, ?2 uri, ?3 lo, ?4 hi (bounds must outlive the statement's use). */
static void bind_subtree(sqlite3_stmt *s, const char *account, const char *uri, const char *lo,
                         const char *hi)
{
    store_bind_text(s, 1, account, -1);
    store_bind_text(s, 2, uri, -1);
    store_bind_text(s, 3, lo, -1);
    store_bind_text(s, 4, hi, -1);
}

/* Names every body on disk of the subtree for collection after the transaction. */
static int collect_subtree_files(struct store_txn *tx, const char *account, const char *uri,
                                 const char *lo, const char *hi, char *err, size_t err_cap)
{
    sqlite3_stmt *s = store_stmt(tx->c, STMT_SUBTREE_FILES, err, err_cap);
    if (!s)
        return STORE_EIO;
    bind_subtree(s, account, uri, lo, hi);
    int rc = STORE_OK, src;
    while (rc == STORE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *hash = sqlite3_column_text(s, 0);
        rc = hash ? store_txn_collect(tx, (const char *)hash, err, err_cap)
                  : store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    }
    if (rc == STORE_OK && src != SQLITE_DONE)
        rc = store_sqlite_err(tx->c, src, "listing content files", err, err_cap);
    store_stmt_done(s);
    return rc;
}

static int has_child(struct store_conn *c, const char *account, const char *uri, int *out,
                     char *err, size_t err_cap)
{
    uint64_t n = 0;
    int rc = store_child_count(c, account, uri, &n, err, err_cap);
    *out = n > 0;
    return rc;
}

static int remove_in(struct store_txn *tx, const char *account, const char *uri, int recursive,
                     const char *lo, const char *hi, uint64_t *removed, char *err,
                     size_t err_cap)
{
    struct store_head head;
    int rc = store_head_get(tx->c, account, uri, -1, &head, err, err_cap);
    if (rc == STORE_ENOTFOUND)
        return store_errf(err, err_cap, STORE_ENOTFOUND, "%s: no such file or directory", uri);
    if (rc != STORE_OK)
        return rc;
    if (head.kind == STORE_DIR && !recursive) {
        int nonempty = 0;
        rc = has_child(tx->c, account, uri, &nonempty, err, err_cap);
        if (rc == STORE_OK && nonempty)
            return store_errf(err, err_cap, STORE_ENOTEMPTY, "%s: directory not empty", uri);
    }
    if (rc == STORE_OK)
        rc = collect_subtree_files(tx, account, uri, lo, hi, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    sqlite3_stmt *s = store_stmt(tx->c, STMT_SUBTREE_DELETE, err, err_cap);
    if (!s)
        return STORE_EIO;
    bind_subtree(s, account, uri, lo, hi);
    int src = sqlite3_step(s);
    store_stmt_done(s);
    if (src != SQLITE_DONE)
        return store_sqlite_err(tx->c, src, "removing nodes", err, err_cap);
    *removed = (uint64_t)sqlite3_changes64(tx->c->db);
    return STORE_OK;
}

int store_remove(struct store *st, const char *account, const char *uri, int recursive,
                 uint64_t *removed, char *err, size_t err_cap)
{
    int rc = check_node_uri(account, uri, "removed", err, err_cap);
    if (rc != STORE_OK)
        return rc;
    char *lo = malloc(strlen(uri) + 2), *hi = malloc(strlen(uri) + 2);
    if (!lo || !hi) {
        free(lo);
        free(hi);
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    }
    store_subtree_bounds(uri, lo, hi);
    uint64_t count = 0;
    struct store_txn tx;
    rc = store_txn_begin(st, &tx, err, err_cap);
    if (rc == STORE_OK) {
        rc = remove_in(&tx, account, uri, recursive, lo, hi, &count, err, err_cap);
        rc = store_txn_end(&tx, rc, err, err_cap);
    }
    free(lo);
    free(hi);
    if (removed)
        *removed = rc == STORE_OK ? count : 0;
    return rc;
}

static int move_in(struct store_txn *tx, const char *account, const char *from_uri,
                   const char *to_uri, const char *lo, const char *hi, char *err, size_t err_cap)
{
    struct store_head from, to;
    int rc = store_head_get(tx->c, account, from_uri, -1, &from, err, err_cap);
    if (rc == STORE_ENOTFOUND)
        return store_errf(err, err_cap, STORE_ENOTFOUND, "%s: no such file or directory",
                          from_uri);
    if (rc != STORE_OK)
        return rc;
    rc = store_head_get(tx->c, account, to_uri, -1, &to, err, err_cap);
    if (rc == STORE_OK)
        return store_errf(err, err_cap, STORE_EEXIST, "%s: already exists", to_uri);
    if (rc != STORE_ENOTFOUND)
        return rc;
    rc = store_ensure_parents(tx, account, from.owner_user, to_uri, clock_wall_ms(), err,
                              err_cap);
    if (rc != STORE_OK)
        return rc;
    sqlite3_stmt *s = store_stmt(tx->c, STMT_SUBTREE_MOVE, err, err_cap);
    if (!s)
        return STORE_EIO;
    size_t to_len = strlen(to_uri);
    size_t to_parent_len = store_uri_parent_len(to_uri, to_len);
    const char *to_name = store_uri_name(to_uri, to_len);
    bind_subtree(s, account, from_uri, lo, hi);
    store_bind_text(s, 5, to_uri, -1);
    store_bind_text(s, 6, to_uri, (int)to_parent_len);
    store_bind_text(s, 7, to_name, -1);
    int src = sqlite3_step(s);
    store_stmt_done(s);
    if (src != SQLITE_DONE)
        return store_sqlite_err(tx->c, src, "moving nodes", err, err_cap);
    return STORE_OK;
}

int store_move(struct store *st, const char *account, const char *from_uri, const char *to_uri,
               char *err, size_t err_cap)
{
    int rc = check_node_uri(account, from_uri, "moved", err, err_cap);
    if (rc == STORE_OK)
        rc = store_uri_check(to_uri, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    if (store_uri_is_under(to_uri, from_uri))
        return store_errf(err, err_cap, STORE_EINVAL, "cannot move %s into itself (%s)",
                          from_uri, to_uri);
    if (store_uri_is_implicit(to_uri, strlen(to_uri)))
        return store_errf(err, err_cap, STORE_EEXIST, "%s: already exists", to_uri);
    char *lo = malloc(strlen(from_uri) + 2), *hi = malloc(strlen(from_uri) + 2);
    if (!lo || !hi) {
        free(lo);
        free(hi);
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    }
    store_subtree_bounds(from_uri, lo, hi);
    struct store_txn tx;
    rc = store_txn_begin(st, &tx, err, err_cap);
    if (rc == STORE_OK) {
        rc = move_in(&tx, account, from_uri, to_uri, lo, hi, err, err_cap);
        rc = store_txn_end(&tx, rc, err, err_cap);
    }
    free(lo);
    free(hi);
    return rc;
}
