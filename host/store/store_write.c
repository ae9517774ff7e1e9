/* Creating and replacing nodes: store_put (batches), store_mkdir and store_write. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/store_content.h"
#include "store/store_db.h"
#include "store/store_uri.h"

static int check_state(enum store_proc_state s)
{
    return s >= STORE_PROC_NONE && s <= STORE_PROC_FAILED;
}

/* Replaces an existing node of the same kind: content, states and (when tags_json is not NULL)
 * tags; semantic < 0 keeps the semantic state. *revision gets the new revision. */
static int node_replace(struct store_txn *tx, const char *account, const char *uri,
                        const struct store_body *body, const char *tags_json, int semantic,
                        enum store_proc_state vectors, int64_t now_ms, uint64_t *revision,
                        char *err, size_t err_cap)
{
    sqlite3_stmt *s = store_stmt(tx->c, STMT_NODE_REPLACE, err, err_cap);
    if (!s)
        return STORE_EIO;
    store_bind_text(s, 1, account, -1);
    store_bind_text(s, 2, uri, -1);
    sqlite3_bind_int64(s, 3, body ? (sqlite3_int64)body->len : 0);
    sqlite3_bind_int64(s, 4, now_ms);
    store_bind_text(s, 5, tags_json, -1);
    int src = body ? store_body_bind(s, 6, 7, body) : SQLITE_OK;
    store_bind_text(s, 8, body ? body->hash : "", -1);
    if (semantic >= 0)
        sqlite3_bind_int(s, 9, semantic);
    sqlite3_bind_int(s, 10, (int)vectors);
    if (src != SQLITE_OK) {
        store_stmt_done(s);
        return store_sqlite_err(tx->c, src, "binding content", err, err_cap);
    }
    src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        if (revision)
            *revision = (uint64_t)sqlite3_column_int64(s, 0);
        src = sqlite3_step(s);
    }
    store_stmt_done(s);
    if (src != SQLITE_DONE)
        return store_sqlite_err(tx->c, src, "replacing a node", err, err_cap);
    return STORE_OK;
}

/* Inserts a new file node with body. */
static int file_insert(struct store_txn *tx, const char *account, const char *owner_user,
                       const char *uri, const struct store_body *body, const char *tags_json,
                       enum store_proc_state semantic, enum store_proc_state vectors,
                       int64_t now_ms, char *err, size_t err_cap)
{
    struct store_insert ins = {.account = account, .uri = uri, .uri_len = -1,
                               .owner_user = owner_user, .kind = STORE_FILE,
                               .tags_json = tags_json, .content = body->data,
                               .content_len = body->len,
                               .content_file = body->on_disk ? body->hash : NULL,
                               .content_hash = body->hash, .semantic = semantic,
                               .vectors = vectors, .revision = 1, .now_ms = now_ms};
    return store_node_insert(tx, &ins, err, err_cap);
}

/* Drops the old body on disk of a replaced node once nothing names it. */
static int collect_old(struct store_txn *tx, const struct store_head *head, char *err,
                       size_t err_cap)
{
    return head->content_file[0] ? store_txn_collect(tx, head->content_file, err, err_cap)
                                 : STORE_OK;
}

static int put_one(struct store_txn *tx, const char *account, const char *owner_user,
                   const struct store_put_node *p, const struct store_body *body,
                   const char *tags_json, int64_t now_ms, char *err, size_t err_cap)
{
    struct store_head head;
    int rc = store_head_get(tx->c, account, p->uri, -1, &head, err, err_cap);
    if (rc == STORE_OK) {
        if (head.kind != p->kind)
            return store_errf(err, err_cap, p->kind == STORE_FILE ? STORE_EISDIR : STORE_ENOTDIR,
                              p->kind == STORE_FILE ? "%s: is a directory" : "%s: is a file",
                              p->uri);
        rc = collect_old(tx, &head, err, err_cap);
        if (rc == STORE_OK)
            rc = node_replace(tx, account, p->uri, p->kind == STORE_FILE ? body : NULL,
                              tags_json, (int)p->semantic, p->vectors, now_ms, NULL, err,
                              err_cap);
        return rc;
    }
    if (rc != STORE_ENOTFOUND)
        return rc;
    rc = store_ensure_parents(tx, account, owner_user, p->uri, now_ms, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    if (p->kind == STORE_FILE)
        return file_insert(tx, account, owner_user, p->uri, body, tags_json ? tags_json : "[]",
                           p->semantic, p->vectors, now_ms, err, err_cap);
    struct store_insert ins = {.account = account, .uri = p->uri, .uri_len = -1,
                               .owner_user = owner_user, .kind = STORE_DIR,
                               .tags_json = tags_json, .semantic = p->semantic,
                               .vectors = p->vectors, .revision = 1, .now_ms = now_ms};
    return store_node_insert(tx, &ins, err, err_cap);
}

static int check_identity(const char *account, const char *owner_user, char *err, size_t err_cap)
{
    if (!account || !*account)
        return store_errf(err, err_cap, STORE_EINVAL, "missing account");
    if (!owner_user)
        return store_errf(err, err_cap, STORE_EINVAL, "missing owner user");
    return STORE_OK;
}

static int check_put_node(const struct store_put_node *p, char *err, size_t err_cap)
{
    int rc = store_uri_check(p->uri, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    if (p->kind != STORE_DIR && p->kind != STORE_FILE)
        return store_errf(err, err_cap, STORE_EINVAL, "%s: unknown node kind %d", p->uri,
                          (int)p->kind);
    if (!check_state(p->semantic) || !check_state(p->vectors))
        return store_errf(err, err_cap, STORE_EINVAL, "%s: unknown processing state", p->uri);
    if (p->kind == STORE_FILE && store_uri_is_implicit(p->uri, strlen(p->uri)))
        return store_errf(err, err_cap, STORE_EISDIR, "%s: is a directory", p->uri);
    if (p->kind == STORE_DIR && (p->content || p->content_len))
        return store_errf(err, err_cap, STORE_EINVAL, "%s: a directory has no content", p->uri);
    return STORE_OK;
}

/* Removes the bodies a failed batch already wrote to disk (none of them is referenced yet). */
static void drop_bodies(struct store *st, const struct store_body *bodies, size_t n)
{
    struct store_txn tx;
    if (store_txn_begin(st, &tx, NULL, 0) != STORE_OK)
        return; /* the next open's sweep removes them */
    for (size_t i = 0; i < n; i++)
        if (bodies[i].on_disk)
            store_txn_collect(&tx, bodies[i].hash, NULL, 0);
    store_txn_end(&tx, STORE_EINVAL, NULL, 0);
}

int store_put(struct store *st, const char *account, const char *owner_user,
              const struct store_put_node *nodes, size_t n, char *err, size_t err_cap)
{
    int rc = check_identity(account, owner_user, err, err_cap);
    if (rc != STORE_OK || n == 0)
        return rc;
    struct store_body *bodies = calloc(n, sizeof *bodies);
    char **tags = calloc(n, sizeof *tags);
    if (!bodies || !tags)
        rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        rc = check_put_node(&nodes[i], err, err_cap);
        if (rc == STORE_OK && nodes[i].tags_json)
            rc = store_tags_normalize(nodes[i].tags_json, &tags[i], err, err_cap);
    }
    /* Hashing and writing large bodies happen before the write lock is taken. */
    size_t prepared = 0;
    for (; rc == STORE_OK && prepared < n; prepared++)
        if (nodes[prepared].kind == STORE_FILE)
            rc = store_body_prepare(st, &bodies[prepared], nodes[prepared].content,
                                    nodes[prepared].content_len, err, err_cap);
    if (rc != STORE_OK && prepared > 0)
        drop_bodies(st, bodies, prepared);
    struct store_txn tx;
    if (rc == STORE_OK && (rc = store_txn_begin(st, &tx, err, err_cap)) == STORE_OK) {
        for (size_t i = 0; rc == STORE_OK && i < n; i++)
            rc = store_body_attach(&tx, &bodies[i], err, err_cap);
        int64_t now = clock_wall_ms();
        for (size_t i = 0; rc == STORE_OK && i < n; i++)
            rc = put_one(&tx, account, owner_user, &nodes[i], &bodies[i], tags[i], now, err,
                         err_cap);
        rc = store_txn_end(&tx, rc, err, err_cap);
    }
    for (size_t i = 0; tags && i < n; i++)
        free(tags[i]);
    free(tags);
    free(bodies);
    return rc;
}

int store_mkdir(struct store *st, const char *account, const char *owner_user, const char *uri,
                const char *description, char *err, size_t err_cap)
{
    int rc = check_identity(account, owner_user, err, err_cap);
    if (rc == STORE_OK)
        rc = store_uri_check(uri, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    if (store_uri_is_implicit(uri, strlen(uri)))
        return store_errf(err, err_cap, STORE_EEXIST, "%s: already exists", uri);
    struct store_txn tx;
    rc = store_txn_begin(st, &tx, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    struct store_head head;
    rc = store_head_get(tx.c, account, uri, -1, &head, err, err_cap);
    if (rc == STORE_OK)
        rc = store_errf(err, err_cap, STORE_EEXIST, "%s: already exists", uri);
    else if (rc == STORE_ENOTFOUND)
        rc = STORE_OK;
    int64_t now = clock_wall_ms();
    if (rc == STORE_OK)
        rc = store_ensure_parents(&tx, account, owner_user, uri, now, err, err_cap);
    if (rc == STORE_OK) {
        /* An empty directory has nothing to summarise; a description is its L0, to embed. */
        struct store_insert ins = {.account = account, .uri = uri, .uri_len = -1,
                                   .owner_user = owner_user, .kind = STORE_DIR,
                                   .l0 = description, .semantic = STORE_PROC_NONE,
                                   .vectors = description ? STORE_PROC_PENDING : STORE_PROC_NONE,
                                   .revision = 1, .now_ms = now};
        rc = store_node_insert(&tx, &ins, err, err_cap);
    }
    return store_txn_end(&tx, rc, err, err_cap);
}

/* The current body of a file followed by add: a malloc'ed buffer owned by the caller. */
static int append_body(struct store_txn *tx, const char *account, const char *uri,
                       const char *add, size_t add_len, char **out, size_t *out_len, char *err,
                       size_t err_cap)
{
    struct store_node old;
    int rc = store_node_read(tx->st, tx->c, account, uri, 1, &old, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    if (old.content_len > SIZE_MAX - add_len - 1) {
        store_node_clear(&old);
        return store_errf(err, err_cap, STORE_EINVAL, "%s: content too large", uri);
    }
    char *buf = realloc(old.content, old.content_len + add_len + 1);
    if (!buf) {
        store_node_clear(&old);
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    }
    if (add_len)
        memcpy(buf + old.content_len, add, add_len);
    buf[old.content_len + add_len] = '\0';
    *out = buf;
    *out_len = old.content_len + add_len;
    old.content = NULL;
    store_node_clear(&old);
    return STORE_OK;
}

/* The write of an existing file (REPLACE, APPEND), inside tx. */
static int write_existing(struct store_txn *tx, const char *account, const char *uri,
                          enum store_write_mode mode, const struct store_body *prepared,
                          const char *content, size_t len, int64_t now, uint64_t *revision,
                          char *err, size_t err_cap)
{
    struct store_head head;
    int rc = store_head_get(tx->c, account, uri, -1, &head, err, err_cap);
    if (rc == STORE_ENOTFOUND)
        return store_errf(err, err_cap, STORE_ENOTFOUND, "%s: no such file", uri);
    if (rc != STORE_OK)
        return rc;
    if (head.kind != STORE_FILE)
        return store_errf(err, err_cap, STORE_EISDIR, "%s: is a directory", uri);
    struct store_body appended;
    char *joined = NULL;
    const struct store_body *body = prepared;
    if (mode == STORE_WRITE_APPEND) {
        size_t joined_len = 0;
        rc = append_body(tx, account, uri, content, len, &joined, &joined_len, err, err_cap);
        if (rc == STORE_OK)
            rc = store_body_prepare(tx->st, &appended, joined, joined_len, err, err_cap);
        body = &appended;
    }
    if (rc == STORE_OK && mode == STORE_WRITE_APPEND)
        rc = store_body_attach(tx, body, err, err_cap);
    if (rc == STORE_OK)
        rc = collect_old(tx, &head, err, err_cap);
    if (rc == STORE_OK)
        rc = node_replace(tx, account, uri, body, NULL, -1, STORE_PROC_PENDING, now, revision,
                          err, err_cap);
    free(joined);
    return rc;
}

/* The write of a new file (CREATE), inside tx. */
static int create_file(struct store_txn *tx, const char *account, const char *owner_user,
                       const char *uri, const struct store_body *body, int64_t now, char *err,
                       size_t err_cap)
{
    struct store_head head;
    int rc = store_head_get(tx->c, account, uri, -1, &head, err, err_cap);
    if (rc == STORE_OK)
        return store_errf(err, err_cap, STORE_EEXIST, "%s: already exists", uri);
    if (rc != STORE_ENOTFOUND)
        return rc;
    rc = store_ensure_parents(tx, account, owner_user, uri, now, err, err_cap);
    if (rc == STORE_OK)
        rc = file_insert(tx, account, owner_user, uri, body, "[]", STORE_PROC_NONE,
                         STORE_PROC_PENDING, now, err, err_cap);
    return rc;
}

int store_write(struct store *st, const char *account, const char *owner_user, const char *uri,
                enum store_write_mode mode, const char *content, size_t len,
                uint64_t *revision_out, char *err, size_t err_cap)
{
    int rc = check_identity(account, owner_user, err, err_cap);
    if (rc == STORE_OK)
        rc = store_uri_check(uri, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    if (mode != STORE_WRITE_REPLACE && mode != STORE_WRITE_APPEND && mode != STORE_WRITE_CREATE)
        return store_errf(err, err_cap, STORE_EINVAL, "unknown write mode %d", (int)mode);
    if (store_uri_is_implicit(uri, strlen(uri)))
        return store_errf(err, err_cap, mode == STORE_WRITE_CREATE ? STORE_EEXIST : STORE_EISDIR,
                          mode == STORE_WRITE_CREATE ? "%s: already exists" : "%s: is a directory",
                          uri);
    struct store_body body = {0};
    if (mode != STORE_WRITE_APPEND) {
        rc = store_body_prepare(st, &body, content, len, err, err_cap);
        if (rc != STORE_OK)
            return rc;
    }
    struct store_txn tx;
    rc = store_txn_begin(st, &tx, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    int64_t now = clock_wall_ms();
    uint64_t revision = 1;
    if (mode != STORE_WRITE_APPEND)
        rc = store_body_attach(&tx, &body, err, err_cap);
    if (rc == STORE_OK && mode != STORE_WRITE_CREATE)
        rc = write_existing(&tx, account, uri, mode, &body, content, len, now, &revision, err,
                            err_cap);
    else if (rc == STORE_OK)
        rc = create_file(&tx, account, owner_user, uri, &body, now, err, err_cap);
    rc = store_txn_end(&tx, rc, err, err_cap);
    if (rc == STORE_OK && revision_out)
        *revision_out = revision;
    return rc;
}
