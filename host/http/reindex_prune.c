#include "http/reindex_prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/job.h"
#include "uri/viking_uri.h"

/* Ids removed per vector store call. */
#define PRUNE_BATCH 256

int reindex_prune_is_session(const char *uri)
{
    static const char user[] = "viking://user/";
    if (strncmp(uri, user, sizeof user - 1) != 0)
        return 0;
    const char *rest = strchr(uri + sizeof user - 1, '/');
    return rest && strncmp(rest, "/sessions", 9) == 0 && (rest[9] == '\0' || rest[9] == '/');
}

struct prune_record {
    char *id;
    char *uri;
};

struct prune_list {
    const char *account;
    const char *root;
    struct prune_record *items;
    size_t n, cap;
    int oom;
};

static int prune_collect(void *arg, const struct skald_vector_hit *hit)
{
    struct prune_list *l = arg;
    if (!hit->uri || !hit->account || strcmp(hit->account, l->account) != 0 ||
        !viking_uri_is_under(hit->uri, l->root) || reindex_prune_is_session(hit->uri))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct prune_record *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown) {
            l->oom = 1;
            return 1;
        }
        l->items = grown;
        l->cap = cap;
    }
    struct prune_record *r = &l->items[l->n];
    r->id = strdup(hit->id);
    r->uri = strdup(hit->uri);
    if (!r->id || !r->uri) {
        free(r->id);
        free(r->uri);
        l->oom = 1;
        return 1;
    }
    l->n++;
    return 0;
}

/* The level of a record id made by job_vector_id for this account and uri; -1 for another id. */
static int prune_level(const char *id, const char *account, const char *uri)
{
    for (int level = 0; level < 3; level++) {
        char want[VIKING_URI_MAX + 2 * AUTH_ID_MAX + 8];
        if (job_vector_id(account, level, uri, want, sizeof want) == 0 && strcmp(want, id) == 0)
            return level;
    }
    return -1;
}

static int prune_cmp_uri(const void *a, const void *b)
{
    return strcmp(((const struct prune_record *)a)->uri, ((const struct prune_record *)b)->uri);
}

/* Whether a record is orphaned: its node is gone, or no longer has what the record's level stands
 * for. 1 yes, 0 no, -1 when its node could not be read. */
static int prune_is_orphan(struct store *st, const char *account, const struct prune_record *r,
                           struct store_node *cached, int *cached_rc)
{
    char err[256];
    if (!cached->uri || strcmp(cached->uri, r->uri) != 0) {
        store_node_clear(cached);
        *cached_rc = store_get(st, account, r->uri, 0, cached, err, sizeof err);
        if (*cached_rc != STORE_OK) {
            store_node_clear(cached);
            cached->uri = strdup(r->uri);
        }
    }
    if (*cached_rc == STORE_ENOTFOUND)
        return 1;
    if (*cached_rc != STORE_OK)
        return -1;
    int level = prune_level(r->id, account, r->uri);
    if (level < 0)
        return 0; /* not a record this host wrote: left alone */
    if (cached->kind == STORE_FILE)
        return level != 2;
    /* A directory's L0/L1 record stands for its sidecar text, which may be gone too. */
    return level == 2 || (level == 0 && !cached->l0) || (level == 1 && !cached->l1);
}

static int prune_remove(const struct skald_vector_ops *ops, void *handle,
                        const struct skald_call_ctx *ctx, const char **ids, size_t n,
                        uint64_t *deleted)
{
    uint64_t removed = 0;
    int rc = n ? ops->remove(handle, ctx, ids, n, &removed) : SKALD_OK;
    *deleted += removed;
    return rc;
}

int reindex_prune(struct generation *gen, struct store *st, const struct skald_call_ctx *ctx,
                  const char *account, const char *uri, int dry_run,
                  struct reindex_prune_result *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    struct plugin_instance *vec = gen->backends[BACKEND_VECTOR]->inst;
    const struct skald_vector_ops *ops = plugin_instance_ops(vec, vector);
    const char *prefixes[1] = {uri};
    struct skald_vector_filter filter = {account, prefixes, 1};
    struct prune_list l = {.account = account, .root = uri};
    int rc = ops->list(vec->handle, ctx, &filter, prune_collect, &l);
    if (rc == SKALD_OK && l.oom) {
        snprintf(err, err_cap, "out of memory");
        rc = SKALD_ENOMEM;
    } else if (rc != SKALD_OK) {
        snprintf(err, err_cap, "listing the vector store: %s", ctx->err[0] ? ctx->err : "failed");
    }
    /* Records of one node side by side, so each node is read once. */
    if (l.n > 1)
        qsort(l.items, l.n, sizeof *l.items, prune_cmp_uri);
    const char *batch[PRUNE_BATCH];
    size_t nb = 0;
    struct store_node cached = {0};
    int cached_rc = STORE_OK;
    for (size_t i = 0; rc == SKALD_OK && i < l.n; i++) {
        out->scanned++;
        int orphan = prune_is_orphan(st, account, &l.items[i], &cached, &cached_rc);
        if (orphan < 0)
            out->failed++;
        if (orphan <= 0)
            continue;
        out->orphans++;
        if (dry_run)
            continue;
        batch[nb++] = l.items[i].id;
        if (nb == PRUNE_BATCH) {
            rc = prune_remove(ops, vec->handle, ctx, batch, nb, &out->deleted);
            nb = 0;
        }
    }
    if (rc == SKALD_OK)
        rc = prune_remove(ops, vec->handle, ctx, batch, nb, &out->deleted);
    if (rc != SKALD_OK && !err[0])
        snprintf(err, err_cap, "removing orphan vectors: %s", ctx->err[0] ? ctx->err : "failed");
    store_node_clear(&cached);
    for (size_t i = 0; i < l.n; i++) {
        free(l.items[i].id);
        free(l.items[i].uri);
    }
    free(l.items);
    return rc;
}
