/* Node rows: decoding, the implicit roots, reading one node, and the row-level helpers the
 * writers share (head lookups, inserts, auto-created parents). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/store_content.h"
#include "store/store_db.h"
#include "store/store_uri.h"

void store_node_clear(struct store_node *n)
{
    if (!n)
        return;
    free(n->account);
    free(n->uri);
    free(n->parent_uri);
    free(n->name);
    free(n->owner_user);
    free(n->tags_json);
    free(n->l0);
    free(n->l1);
    free(n->summary);
    free(n->content);
    free(n->last_error);
    memset(n, 0, sizeof *n);
}

/* Copies a text column (NULL stays NULL) into *out; -1 when out of memory. */
static int dup_column(sqlite3_stmt *s, int col, char **out)
{
    *out = NULL;
    if (sqlite3_column_type(s, col) == SQLITE_NULL)
        return 0;
    const unsigned char *text = sqlite3_column_text(s, col);
    if (!text)
        return -1; /* a non-NULL value without text: SQLite ran out of memory */
    int len = sqlite3_column_bytes(s, col);
    *out = malloc((size_t)len + 1);
    if (!*out)
        return -1;
    memcpy(*out, text, (size_t)len);
    (*out)[len] = '\0';
    return 0;
}

static enum store_proc_state proc_state(sqlite3_int64 v)
{
    return v >= STORE_PROC_NONE && v <= STORE_PROC_FAILED ? (enum store_proc_state)v
                                                          : STORE_PROC_NONE;
}

static int row_content(struct store *st, sqlite3_stmt *row, struct store_node *out, char *err,
                       size_t err_cap)
{
    if (sqlite3_column_type(row, NCOL_CONTENT_FILE) != SQLITE_NULL) {
        const char *hash = (const char *)sqlite3_column_text(row, NCOL_CONTENT_FILE);
        if (!hash)
            return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
        int rc = store_content_read(st, hash, out->size, &out->content, err, err_cap);
        if (rc == STORE_OK)
            out->content_len = (size_t)out->size;
        return rc;
    }
    const void *blob = sqlite3_column_blob(row, NCOL_CONTENT);
    size_t len = (size_t)sqlite3_column_bytes(row, NCOL_CONTENT);
    if (!blob && len)
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    out->content = malloc(len + 1);
    if (!out->content)
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory for %zu bytes", len);
    if (len)
        memcpy(out->content, blob, len);
    out->content[len] = '\0';
    out->content_len = len;
    return STORE_OK;
}

int store_row_node(struct store *st, sqlite3_stmt *row, int with_content, struct store_node *out,
                   char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    if (dup_column(row, NCOL_ACCOUNT, &out->account) || dup_column(row, NCOL_URI, &out->uri) ||
        dup_column(row, NCOL_PARENT, &out->parent_uri) ||
        dup_column(row, NCOL_NAME, &out->name) || dup_column(row, NCOL_OWNER, &out->owner_user) ||
        dup_column(row, NCOL_TAGS, &out->tags_json) || dup_column(row, NCOL_L0, &out->l0) ||
        dup_column(row, NCOL_L1, &out->l1) || dup_column(row, NCOL_SUMMARY, &out->summary) ||
        dup_column(row, NCOL_LAST_ERROR, &out->last_error) || !out->account || !out->uri ||
        !out->name || !out->owner_user || !out->tags_json) {
        store_node_clear(out);
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    }
    out->kind = sqlite3_column_int(row, NCOL_KIND) == STORE_FILE ? STORE_FILE : STORE_DIR;
    out->size = (uint64_t)sqlite3_column_int64(row, NCOL_SIZE);
    out->created_ms = sqlite3_column_int64(row, NCOL_CREATED);
    out->updated_ms = sqlite3_column_int64(row, NCOL_UPDATED);
    const unsigned char *hash = sqlite3_column_text(row, NCOL_HASH);
    snprintf(out->content_hash, sizeof out->content_hash, "%s", hash ? (const char *)hash : "");
    out->semantic = proc_state(sqlite3_column_int64(row, NCOL_SEMANTIC));
    out->vectors = proc_state(sqlite3_column_int64(row, NCOL_VECTORS));
    out->revision = (uint64_t)sqlite3_column_int64(row, NCOL_REVISION);
    out->child_count = (uint64_t)sqlite3_column_int64(row, NCOL_CHILDREN);
    if (with_content && out->kind == STORE_FILE && sqlite3_column_count(row) > NCOL_CONTENT_FILE) {
        int rc = row_content(st, row, out, err, err_cap);
        if (rc != STORE_OK) {
            store_node_clear(out);
            return rc;
        }
    }
    return STORE_OK;
}

/* The node of a scope root or the root that has no row yet. */
static int node_implicit(const char *account, const char *uri, uint64_t child_count,
                         struct store_node *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(uri);
    out->account = strdup(account);
    out->uri = strdup(uri);
    out->parent_uri = len > STORE_ROOT_LEN ? strdup(STORE_ROOT_URI) : NULL;
    out->name = strdup(store_uri_name(uri, len));
    out->owner_user = strdup("");
    out->tags_json = strdup("[]");
    if (!out->account || !out->uri || (len > STORE_ROOT_LEN && !out->parent_uri) || !out->name ||
        !out->owner_user || !out->tags_json) {
        store_node_clear(out);
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    }
    out->kind = STORE_DIR;
    out->child_count = child_count;
    return STORE_OK;
}

int store_child_count(struct store_conn *c, const char *account, const char *uri, uint64_t *out,
                      char *err, size_t err_cap)
{
    sqlite3_stmt *s = store_stmt(c, STMT_CHILD_COUNT, err, err_cap);
    if (!s)
        return STORE_EIO;
    store_bind_text(s, 1, account, -1);
    store_bind_text(s, 2, uri, -1);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(s, 0);
    store_stmt_done(s);
    if (src != SQLITE_ROW)
        return store_sqlite_err(c, src, "counting children", err, err_cap);
    return STORE_OK;
}

/* Direct children of an implicit root that has no row. */
static int implicit_child_count(struct store_conn *c, const char *account, const char *uri,
                                uint64_t *out, char *err, size_t err_cap)
{
    if (strlen(uri) == STORE_ROOT_LEN) {
        *out = STORE_SCOPE_COUNT; /* listing the root shows the scopes only */
        return STORE_OK;
    }
    return store_child_count(c, account, uri, out, err, err_cap);
}

int store_node_read(struct store *st, struct store_conn *c, const char *account, const char *uri,
                    int with_content, struct store_node *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    /* A body on disk can be replaced and collected between the row read and the file read
     * (store_row_node answers ENOTFOUND then): read the row again. */
    for (int attempt = 0;; attempt++) {
        sqlite3_stmt *s =
            store_stmt(c, with_content ? STMT_NODE_GET_CONTENT : STMT_NODE_GET, err, err_cap);
        if (!s)
            return STORE_EIO;
        store_bind_text(s, 1, account, -1);
        store_bind_text(s, 2, uri, -1);
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE) {
            store_stmt_done(s);
            break;
        }
        int rc = src == SQLITE_ROW ? store_row_node(st, s, with_content, out, err, err_cap)
                                   : store_sqlite_err(c, src, "reading a node", err, err_cap);
        store_stmt_done(s);
        if (rc == STORE_OK && strlen(uri) == STORE_ROOT_LEN)
            out->child_count = STORE_SCOPE_COUNT; /* the root lists the scopes, stored or not */
        if (rc != STORE_ENOTFOUND)
            return rc;
        if (attempt == 3)
            return store_errf(err, err_cap, STORE_EIO, "%s: its content file is missing", uri);
    }
    if (!store_uri_is_implicit(uri, strlen(uri)))
        return store_errf(err, err_cap, STORE_ENOTFOUND, "%s: no such file or directory", uri);
    uint64_t children = 0;
    int rc = implicit_child_count(c, account, uri, &children, err, err_cap);
    if (rc == STORE_OK)
        rc = node_implicit(account, uri, children, out, err, err_cap);
    return rc;
}

int store_head_get(struct store_conn *c, const char *account, const char *uri, int uri_len,
                   struct store_head *head, char *err, size_t err_cap)
{
    sqlite3_stmt *s = store_stmt(c, STMT_NODE_HEAD, err, err_cap);
    if (!s)
        return STORE_EIO;
    store_bind_text(s, 1, account, -1);
    store_bind_text(s, 2, uri, uri_len);
    int src = sqlite3_step(s);
    int rc = STORE_OK;
    if (src == SQLITE_ROW) {
        memset(head, 0, sizeof *head);
        head->kind = sqlite3_column_int(s, 0) == STORE_FILE ? STORE_FILE : STORE_DIR;
        head->revision = (uint64_t)sqlite3_column_int64(s, 1);
        const unsigned char *file = sqlite3_column_text(s, 2);
        const unsigned char *owner = sqlite3_column_text(s, 3);
        snprintf(head->content_file, sizeof head->content_file, "%s",
                 file ? (const char *)file : "");
        snprintf(head->owner_user, sizeof head->owner_user, "%s",
                 owner ? (const char *)owner : "");
    } else if (src == SQLITE_DONE) {
        rc = STORE_ENOTFOUND;
    } else {
        rc = store_sqlite_err(c, src, "reading a node", err, err_cap);
    }
    store_stmt_done(s);
    return rc;
}

int store_node_insert(struct store_txn *tx, const struct store_insert *ins, char *err,
                      size_t err_cap)
{
    sqlite3_stmt *s = store_stmt(tx->c, STMT_NODE_INSERT, err, err_cap);
    if (!s)
        return STORE_EIO;
    size_t len = ins->uri_len < 0 ? strlen(ins->uri) : (size_t)ins->uri_len;
    size_t parent_len = store_uri_parent_len(ins->uri, len);
    const char *name = store_uri_name(ins->uri, len);
    store_bind_text(s, 1, ins->account, -1);
    store_bind_text(s, 2, ins->uri, (int)len);
    if (parent_len)
        store_bind_text(s, 3, ins->uri, (int)parent_len);
    store_bind_text(s, 4, name, (int)(ins->uri + len - name));
    sqlite3_bind_int(s, 5, (int)ins->kind);
    store_bind_text(s, 6, ins->owner_user, -1);
    sqlite3_bind_int64(s, 7, (sqlite3_int64)ins->content_len);
    sqlite3_bind_int64(s, 8, ins->now_ms);
    store_bind_text(s, 9, ins->tags_json ? ins->tags_json : "[]", -1);
    store_bind_text(s, 10, ins->l0, -1);
    if (ins->kind == STORE_FILE && !ins->content_file && ins->content_len)
        sqlite3_bind_blob64(s, 11, ins->content, ins->content_len, SQLITE_STATIC);
    else if (ins->kind == STORE_FILE && !ins->content_file)
        sqlite3_bind_zeroblob(s, 11, 0);
    store_bind_text(s, 12, ins->content_file, -1);
    store_bind_text(s, 13, ins->content_hash ? ins->content_hash : "", -1);
    sqlite3_bind_int(s, 14, (int)ins->semantic);
    sqlite3_bind_int(s, 15, (int)ins->vectors);
    sqlite3_bind_int64(s, 16, (sqlite3_int64)ins->revision);
    int src = sqlite3_step(s);
    store_stmt_done(s);
    if (src != SQLITE_DONE)
        return store_sqlite_err(tx->c, src, "inserting a node", err, err_cap);
    return STORE_OK;
}

int store_head_require(struct store_txn *tx, const char *account, const char *uri,
                       struct store_head *head, char *err, size_t err_cap)
{
    int rc = store_head_get(tx->c, account, uri, -1, head, err, err_cap);
    if (rc != STORE_ENOTFOUND)
        return rc;
    if (!store_uri_is_implicit(uri, strlen(uri)))
        return store_errf(err, err_cap, STORE_ENOTFOUND, "%s: no such file or directory", uri);
    /* Something is stored on a scope root (tags, sidecars, state): it gets a row now. */
    struct store_insert ins = {.account = account, .uri = uri, .uri_len = -1, .owner_user = "",
                               .kind = STORE_DIR, .revision = 0, .now_ms = clock_wall_ms()};
    rc = store_node_insert(tx, &ins, err, err_cap);
    if (rc == STORE_OK)
        rc = store_head_get(tx->c, account, uri, -1, head, err, err_cap);
    return rc;
}

int store_ensure_parents(struct store_txn *tx, const char *account, const char *owner_user,
                         const char *uri, int64_t now_ms, char *err, size_t err_cap)
{
    /* Ancestors are prefixes of uri: remember the missing ones by length, create top-down. */
    size_t missing[64];
    size_t n_missing = 0;
    size_t len = store_uri_parent_len(uri, strlen(uri));
    while (len && !store_uri_is_implicit(uri, len)) {
        struct store_head head;
        int rc = store_head_get(tx->c, account, uri, (int)len, &head, err, err_cap);
        if (rc == STORE_OK) {
            if (head.kind == STORE_FILE)
                return store_errf(err, err_cap, STORE_ENOTDIR, "%.*s: not a directory", (int)len,
                                  uri);
            break;
        }
        if (rc != STORE_ENOTFOUND)
            return rc;
        if (n_missing == sizeof missing / sizeof missing[0])
            return store_errf(err, err_cap, STORE_EINVAL, "%s: too deep", uri);
        missing[n_missing++] = len;
        len = store_uri_parent_len(uri, len);
    }
    while (n_missing > 0) {
        struct store_insert ins = {.account = account, .uri = uri,
                                   .uri_len = (int)missing[--n_missing],
                                   .owner_user = owner_user, .kind = STORE_DIR,
                                   .semantic = STORE_PROC_PENDING, .vectors = STORE_PROC_PENDING,
                                   .revision = 1, .now_ms = now_ms};
        int rc = store_node_insert(tx, &ins, err, err_cap);
        if (rc != STORE_OK)
            return rc;
    }
    return STORE_OK;
}
