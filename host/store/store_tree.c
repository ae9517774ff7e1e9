/* Reading the tree: one node, listings, walks and state scans. Rows are read in batches and the
 * connection is given back before the visitor runs, so a visitor may call the store itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_db.h"
#include "store/store_uri.h"

/* A batch of nodes read on one connection use. */
struct node_batch {
    struct store_node *nodes;
    size_t len, cap;
};

static void batch_clear(struct node_batch *b)
{
    for (size_t i = 0; i < b->len; i++)
        store_node_clear(&b->nodes[i]);
    free(b->nodes);
    memset(b, 0, sizeof *b);
}

/* Decodes the current row of s at the end of b. */
static int batch_push_row(struct store *st, struct node_batch *b, sqlite3_stmt *s, char *err,
                          size_t err_cap)
{
    if (b->len == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        struct store_node *grown = realloc(b->nodes, cap * sizeof *grown);
        if (!grown)
            return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
        b->nodes = grown;
        b->cap = cap;
    }
    int rc = store_row_node(st, s, 0, &b->nodes[b->len], err, err_cap);
    if (rc == STORE_OK)
        b->len++;
    return rc;
}

/* Steps s to the end (or max rows, 0 = all), appending every row to b; resets s. */
static int batch_fill(struct store *st, struct store_conn *c, sqlite3_stmt *s, size_t max,
                      struct node_batch *b, char *err, size_t err_cap)
{
    int rc = STORE_OK;
    size_t start = b->len;
    while (rc == STORE_OK && (max == 0 || b->len - start < max)) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW)
            rc = store_sqlite_err(c, src, "reading nodes", err, err_cap);
        else
            rc = batch_push_row(st, b, s, err, err_cap);
    }
    store_stmt_done(s);
    return rc;
}

static int check_args(const char *account, const char *uri, char *err, size_t err_cap)
{
    if (!account || !*account)
        return store_errf(err, err_cap, STORE_EINVAL, "missing account");
    return store_uri_check(uri, err, err_cap);
}

int store_get(struct store *st, const char *account, const char *uri, int with_content,
              struct store_node *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    int rc = check_args(account, uri, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    struct store_conn *c = store_conn_acquire(st);
    rc = store_node_read(st, c, account, uri, with_content, out, err, err_cap);
    store_conn_release(st, c);
    return rc;
}

/* Reads the directory node at uri; ENOTFOUND or ENOTDIR when it is not one. */
static int require_dir(struct store *st, struct store_conn *c, const char *account,
                       const char *uri, char *err, size_t err_cap)
{
    struct store_node dir;
    int rc = store_node_read(st, c, account, uri, 0, &dir, err, err_cap);
    if (rc == STORE_OK && dir.kind != STORE_DIR)
        rc = store_errf(err, err_cap, STORE_ENOTDIR, "%s: not a directory", uri);
    store_node_clear(&dir);
    return rc;
}

/* The scope roots, the root's only listed children, sorted by name. */
static int read_scopes(struct store *st, struct store_conn *c, const char *account,
                       struct node_batch *b, char *err, size_t err_cap)
{
    b->nodes = calloc(STORE_SCOPE_COUNT, sizeof *b->nodes);
    if (!b->nodes)
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    b->cap = STORE_SCOPE_COUNT;
    for (int i = 0; i < STORE_SCOPE_COUNT; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, STORE_ROOT_URI "%s", store_scope_names[i]);
        int rc = store_node_read(st, c, account, uri, 0, &b->nodes[b->len], err, err_cap);
        if (rc != STORE_OK)
            return rc;
        b->len++;
    }
    return STORE_OK;
}

/* Calls visit on every node of b; 1 when the visitor asked to stop. */
static int batch_visit(const struct node_batch *b, store_visit_fn visit, void *arg)
{
    for (size_t i = 0; i < b->len; i++)
        if (visit(arg, &b->nodes[i]))
            return 1;
    return 0;
}

int store_list(struct store *st, const char *account, const char *dir_uri, store_visit_fn visit,
               void *arg, char *err, size_t err_cap)
{
    int rc = check_args(account, dir_uri, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    struct node_batch b = {0};
    struct store_conn *c = store_conn_acquire(st);
    rc = require_dir(st, c, account, dir_uri, err, err_cap);
    if (rc == STORE_OK && strlen(dir_uri) == STORE_ROOT_LEN) {
        rc = read_scopes(st, c, account, &b, err, err_cap);
        store_conn_release(st, c);
        if (rc == STORE_OK)
            batch_visit(&b, visit, arg);
        batch_clear(&b);
        return rc;
    }
    /* Keyset pages over (kind, name), the order of the listing index. */
    int after_kind = -1;
    char *after_name = strdup("");
    if (!after_name)
        rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    while (rc == STORE_OK) {
        sqlite3_stmt *s = store_stmt(c, STMT_LIST_PAGE, err, err_cap);
        if (!s) {
            rc = STORE_EIO;
            break;
        }
        store_bind_text(s, 1, account, -1);
        store_bind_text(s, 2, dir_uri, -1);
        sqlite3_bind_int(s, 3, after_kind);
        store_bind_text(s, 4, after_name, -1);
        sqlite3_bind_int(s, 5, STORE_PAGE_ROWS);
        rc = batch_fill(st, c, s, 0, &b, err, err_cap);
        store_conn_release(st, c);
        c = NULL;
        if (rc != STORE_OK || b.len == 0 || batch_visit(&b, visit, arg) || b.len < STORE_PAGE_ROWS)
            break;
        struct store_node *last = &b.nodes[b.len - 1];
        after_kind = (int)last->kind;
        free(after_name);
        after_name = last->name;
        last->name = NULL;
        batch_clear(&b);
        c = store_conn_acquire(st);
    }
    if (c)
        store_conn_release(st, c);
    free(after_name);
    batch_clear(&b);
    return rc;
}

struct walk {
    struct store *st;
    const char *account;
    unsigned max_depth;
    int with_content;
    store_visit_fn visit;
    void *arg;
    int stopped;
    char *err;
    size_t err_cap;
};

/* Visits one walked node, with its body when asked; a node removed meanwhile is skipped. */
static int walk_visit(struct walk *w, const struct store_node *node)
{
    if (!w->with_content || node->kind != STORE_FILE) {
        w->stopped = w->visit(w->arg, node) != 0;
        return STORE_OK;
    }
    struct store_node full;
    struct store_conn *c = store_conn_acquire(w->st);
    int rc = store_node_read(w->st, c, w->account, node->uri, 1, &full, w->err, w->err_cap);
    store_conn_release(w->st, c);
    if (rc == STORE_ENOTFOUND)
        return STORE_OK;
    if (rc != STORE_OK)
        return rc;
    w->stopped = w->visit(w->arg, &full) != 0;
    store_node_clear(&full);
    return STORE_OK;
}

/* Pre-order below dir_uri; depth is the level of dir_uri's children. */
static int walk_dir(struct walk *w, const char *dir_uri, unsigned depth)
{
    struct node_batch b = {0};
    struct store_conn *c = store_conn_acquire(w->st);
    int rc;
    if (strlen(dir_uri) == STORE_ROOT_LEN) {
        rc = read_scopes(w->st, c, w->account, &b, w->err, w->err_cap);
    } else {
        sqlite3_stmt *s = store_stmt(c, STMT_CHILDREN_BY_NAME, w->err, w->err_cap);
        rc = s ? STORE_OK : STORE_EIO;
        if (s) {
            store_bind_text(s, 1, w->account, -1);
            store_bind_text(s, 2, dir_uri, -1);
            rc = batch_fill(w->st, c, s, 0, &b, w->err, w->err_cap);
        }
    }
    store_conn_release(w->st, c);
    for (size_t i = 0; rc == STORE_OK && !w->stopped && i < b.len; i++) {
        rc = walk_visit(w, &b.nodes[i]);
        if (rc == STORE_OK && !w->stopped && b.nodes[i].kind == STORE_DIR &&
            (w->max_depth == 0 || depth < w->max_depth))
            rc = walk_dir(w, b.nodes[i].uri, depth + 1);
    }
    batch_clear(&b);
    return rc;
}

int store_walk(struct store *st, const char *account, const char *root_uri, unsigned max_depth,
               int with_content, store_visit_fn visit, void *arg, char *err, size_t err_cap)
{
    int rc = check_args(account, root_uri, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    struct store_conn *c = store_conn_acquire(st);
    rc = require_dir(st, c, account, root_uri, err, err_cap);
    store_conn_release(st, c);
    if (rc != STORE_OK)
        return rc;
    struct walk w = {.st = st, .account = account, .max_depth = max_depth,
                     .with_content = with_content, .visit = visit, .arg = arg, .err = err,
                     .err_cap = err_cap};
    return walk_dir(&w, root_uri, 1);
}

/* The SQL of STMT_OPEN_* spells the states as numbers. */
_Static_assert(STORE_PROC_PENDING == 1 && STORE_PROC_FAILED == 3, "STMT_OPEN_* state numbers");

/* Steps an STMT_OPEN_ROOT / STMT_OPEN_SUBTREE statement and adds its two columns. */
static int count_open_step(struct store_conn *c, sqlite3_stmt *s, uint64_t *pending,
                           uint64_t *failed, char *err, size_t err_cap)
{
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        *pending += (uint64_t)sqlite3_column_int64(s, 0);
        *failed += (uint64_t)sqlite3_column_int64(s, 1);
    }
    store_stmt_done(s);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return store_sqlite_err(c, src, "counting open work", err, err_cap);
    return STORE_OK;
}

int store_count_open(struct store *st, const char *account, const char *root_uri,
                     uint64_t *pending, uint64_t *failed, char *first_failed, size_t ff_cap,
                     char *err, size_t err_cap)
{
    *pending = *failed = 0;
    if (ff_cap)
        first_failed[0] = '\0';
    int rc = check_args(account, root_uri, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    size_t len = strlen(root_uri);
    char *lo = malloc(len + 2), *hi = malloc(len + 2);
    if (!lo || !hi) {
        free(lo);
        free(hi);
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    }
    store_subtree_bounds(root_uri, lo, hi);
    struct store_conn *c = store_conn_acquire(st);
    sqlite3_stmt *s = store_stmt(c, STMT_OPEN_ROOT, err, err_cap);
    rc = s ? STORE_OK : STORE_EIO;
    if (rc == STORE_OK) {
        store_bind_text(s, 1, account, -1);
        store_bind_text(s, 2, root_uri, -1);
        rc = count_open_step(c, s, pending, failed, err, err_cap);
    }
    if (rc == STORE_OK && !(s = store_stmt(c, STMT_OPEN_SUBTREE, err, err_cap)))
        rc = STORE_EIO;
    if (rc == STORE_OK) {
        store_bind_text(s, 1, account, -1);
        store_bind_text(s, 2, lo, -1);
        store_bind_text(s, 3, hi, -1);
        rc = count_open_step(c, s, pending, failed, err, err_cap);
    }
    if (rc == STORE_OK && *failed && ff_cap) {
        if (!(s = store_stmt(c, STMT_OPEN_FIRST_FAILED, err, err_cap))) {
            rc = STORE_EIO;
        } else {
            store_bind_text(s, 1, account, -1);
            store_bind_text(s, 2, root_uri, -1);
            store_bind_text(s, 3, lo, -1);
            store_bind_text(s, 4, hi, -1);
            if (sqlite3_step(s) == SQLITE_ROW) {
                const char *e = (const char *)sqlite3_column_text(s, 1);
                snprintf(first_failed, ff_cap, "%s: %s", (const char *)sqlite3_column_text(s, 0),
                         e ? e : "processing failed");
            }
            store_stmt_done(s);
        }
    }
    store_conn_release(st, c);
    free(lo);
    free(hi);
    return rc;
}

/* Visits root_uri itself when it is stored with a state in mask; *stopped when the visitor
 * asked to stop. */
static int scan_root(struct store *st, const char *account, const char *root_uri, unsigned mask,
                     store_visit_fn visit, void *arg, int *stopped, char *err, size_t err_cap)
{
    struct store_node node;
    struct store_head head;
    struct store_conn *c = store_conn_acquire(st);
    int rc = store_head_get(c, account, root_uri, -1, &head, err, err_cap);
    int stored = rc == STORE_OK;
    if (rc == STORE_OK || rc == STORE_ENOTFOUND)
        rc = store_node_read(st, c, account, root_uri, 0, &node, err, err_cap);
    store_conn_release(st, c);
    if (rc != STORE_OK)
        return rc;
    /* A scope root without a row has nothing to process. */
    if (stored && (mask & (1u << node.semantic | 1u << node.vectors)))
        *stopped = visit(arg, &node) != 0;
    store_node_clear(&node);
    return STORE_OK;
}

int store_scan_states(struct store *st, const char *account, const char *root_uri,
                      unsigned state_mask, store_visit_fn visit, void *arg, char *err,
                      size_t err_cap)
{
    const int all = account == NULL;
    if (!root_uri || all)
        root_uri = STORE_ROOT_URI;
    int rc = all ? store_uri_check(root_uri, err, err_cap)
                 : check_args(account, root_uri, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    int stopped = 0;
    if (!all && strlen(root_uri) != STORE_ROOT_LEN)
        rc = scan_root(st, account, root_uri, state_mask, visit, arg, &stopped, err, err_cap);
    char *lo = malloc(strlen(root_uri) + 2), *hi = malloc(strlen(root_uri) + 2);
    /* The subtree cursor starts at the root itself, not "": SQLite seeks the key index on
     * `uri > cursor`, and from "" that walks every row of the account before the subtree. */
    char *after_account = strdup(""),
         *after_uri = strdup(all || strlen(root_uri) == STORE_ROOT_LEN ? "" : root_uri);
    if (!lo || !hi || !after_account || !after_uri)
        rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    else
        store_subtree_bounds(root_uri, lo, hi);
    /* Keyset pages over the primary key, so a scan of the whole store stays linear. */
    while (rc == STORE_OK && !stopped) {
        struct node_batch b = {0};
        struct store_conn *c = store_conn_acquire(st);
        sqlite3_stmt *s =
            store_stmt(c, all ? STMT_SCAN_ALL_PAGE : STMT_SCAN_SUBTREE_PAGE, err, err_cap);
        if (!s) {
            rc = STORE_EIO;
        } else if (all) {
            store_bind_text(s, 1, after_account, -1);
            store_bind_text(s, 2, after_uri, -1);
            sqlite3_bind_int64(s, 3, state_mask);
            sqlite3_bind_int(s, 4, STORE_PAGE_ROWS);
        } else {
            store_bind_text(s, 1, account, -1);
            store_bind_text(s, 2, after_uri, -1);
            store_bind_text(s, 3, lo, -1);
            store_bind_text(s, 4, hi, -1);
            sqlite3_bind_int64(s, 5, state_mask);
            sqlite3_bind_int(s, 6, STORE_PAGE_ROWS);
        }
        if (rc == STORE_OK)
            rc = batch_fill(st, c, s, 0, &b, err, err_cap);
        store_conn_release(st, c);
        int more = rc == STORE_OK && b.len == STORE_PAGE_ROWS;
        if (rc == STORE_OK && b.len > 0)
            stopped = batch_visit(&b, visit, arg);
        if (more) {
            struct store_node *last = &b.nodes[b.len - 1];
            free(after_account);
            free(after_uri);
            after_account = last->account;
            after_uri = last->uri;
            last->account = last->uri = NULL;
        }
        batch_clear(&b);
        if (!more)
            break;
    }
    free(lo);
    free(hi);
    free(after_account);
    free(after_uri);
    return rc;
}
