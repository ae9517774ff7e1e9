/* Finding nodes by name across every account: startup recovery looks for its markers this way. */
#include <stdlib.h>
#include <string.h>

#include "store/store_db.h"

struct found_node {
    char *account, *uri;
};

static void found_free(struct found_node *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].account);
        free(f[i].uri);
    }
    free(f);
}

/* Reads every match first, so the visitor runs with no connection held. */
static int find_collect(struct store *st, const char *name, struct found_node **out, size_t *n_out,
                        char *err, size_t err_cap)
{
    struct store_conn *c = store_conn_acquire(st);
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(c->db,
                                 "SELECT account, uri FROM nodes WHERE name = ?1 ORDER BY account, uri",
                                 -1, &s, NULL);
    int rc = src == SQLITE_OK ? STORE_OK : store_sqlite_err(c, src, "prepare", err, err_cap);
    struct found_node *found = NULL;
    size_t n = 0, cap = 0;
    if (rc == STORE_OK)
        store_bind_text(s, 1, name, -1);
    while (rc == STORE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t grown_cap = cap ? cap * 2 : 16;
            struct found_node *grown = realloc(found, grown_cap * sizeof *grown);
            if (!grown) {
                rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
                break;
            }
            found = grown;
            cap = grown_cap;
        }
        const char *account = (const char *)sqlite3_column_text(s, 0);
        const char *uri = (const char *)sqlite3_column_text(s, 1);
        found[n].account = account ? strdup(account) : NULL;
        found[n].uri = uri ? strdup(uri) : NULL;
        n++;
        if (!found[n - 1].account || !found[n - 1].uri)
            rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    }
    if (rc == STORE_OK && src != SQLITE_DONE)
        rc = store_sqlite_err(c, src, "finding nodes by name", err, err_cap);
    sqlite3_finalize(s);
    store_conn_release(st, c);
    if (rc != STORE_OK) {
        found_free(found, n);
        return rc;
    }
    *out = found;
    *n_out = n;
    return STORE_OK;
}

int store_find_name(struct store *st, const char *name, store_name_visit_fn visit, void *arg,
                    char *err, size_t err_cap)
{
    if (!name || !*name || strchr(name, '/'))
        return store_errf(err, err_cap, STORE_EINVAL, "a node name is one non-empty segment");
    struct found_node *found = NULL;
    size_t n = 0;
    int rc = find_collect(st, name, &found, &n, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (visit(arg, found[i].account, found[i].uri) != 0)
            break;
    found_free(found, n);
    return STORE_OK;
}
