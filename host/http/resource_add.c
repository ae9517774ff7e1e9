#include "http/resource_add.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/task_view.h"
#include "pipeline/index_sync.h"
#include "pipeline/task_track.h"

/* Most _N suffixes tried for an auto-named root before giving up. */
#define RESOURCE_ADD_MAX_SUFFIX 100000

/* Planning a root and storing under it is one step for this process: two imports never pick
 * the same free name, and a second import into the same `to` sees the first one's task. */
static pthread_mutex_t resource_add_lock = PTHREAD_MUTEX_INITIALIZER;

/* 0 when uri does not exist, 1 when it is a directory, 2 when a file; -1 (reply written) on a
 * store failure. */
static int resource_add_probe(struct api_call *c, const char *uri)
{
    struct store_node n = {0};
    char err[512];
    int rc = store_get(c->store, c->who.account, uri, 0, &n, err, sizeof err);
    int kind = rc == STORE_OK ? (n.kind == STORE_DIR ? 1 : 2) : 0;
    store_node_clear(&n);
    if (rc != STORE_OK && rc != STORE_ENOTFOUND) {
        api_store_error(c, rc, uri, err);
        return -1;
    }
    return kind;
}

static int resource_add_check_parent(struct api_call *c, const struct resource_add_req *r,
                                     const char *parent)
{
    /* A scope root always exists, and with create_parent the store makes what is missing (a
     * file in the way fails the whole put). Reading the parent would count all its children on
     * every import into a big folder. */
    if (r->create_parent || strcmp(parent, "viking://resources") == 0 ||
        strcmp(parent, "viking://user") == 0 || strcmp(parent, "viking://agent") == 0)
        return 0;
    int kind = resource_add_probe(c, parent);
    if (kind < 0)
        return -1;
    if (kind == 2) {
        api_store_error(c, STORE_ENOTDIR, parent, "");
        return -1;
    }
    if (kind == 0 && !r->create_parent) {
        http_reply_error(c->reply, "NOT_FOUND",
                         json_pack("{s:s, s:s}", "type", "directory", "resource", parent),
                         "Directory not found: %s (pass create_parent=true to create it)", parent);
        return -1;
    }
    return 0;
}

/* Another add_resource task of this account still working on root. */
static int resource_add_busy_visit(void *arg, const struct store_task *t)
{
    snprintf(arg, 40, "%s", t->task_id);
    return 1;
}

static int resource_add_busy(struct api_call *c, const char *root)
{
    static const char *const open_states[] = {"pending", "running"};
    char err[512];
    size_t i = 0;
    while (i < 2) {
        char open_id[40] = "";
        int rc = store_task_list(c->store, c->who.account, NULL, "add_resource", open_states[i],
                                 root, 1, resource_add_busy_visit, open_id, err, sizeof err);
        int terminal = 1;
        /* A task whose work is over may not be settled yet (its jobs ran before a restart, or
         * merged with others): settle it, and look again if it ended. */
        if (rc == STORE_OK && open_id[0])
            rc =
                task_track_settle(c->store, c->who.account, open_id, 0, &terminal, err, sizeof err);
        if (rc != STORE_OK) {
            api_store_error(c, rc, root, err);
            return -1;
        }
        if (!terminal) {
            http_reply_error(c->reply, "CONFLICT",
                             json_pack("{s:s, s:s, s:s, s:b}", "resource", root, "uri", root,
                                       "conflict_type", "path_busy", "retryable", 1),
                             "%s is busy: an earlier import into it is still being processed",
                             root);
            return -1;
        }
        if (!open_id[0])
            i++;
    }
    return 0;
}

/* Picks the root URI. An existing `to` directory is imported into (unless an import is still
 * running there); an auto-named root is always new. Called under resource_add_lock. */
static int resource_add_plan(struct api_call *c, const struct resource_add_req *r,
                             const struct import_tree *tree, char *root, size_t cap)
{
    if (r->to) {
        int kind = resource_add_probe(c, r->to);
        if (kind < 0)
            return -1;
        if (kind == 2) {
            api_store_error(c, STORE_ENOTDIR, r->to, "");
            return -1;
        }
        snprintf(root, cap, "%s", r->to);
        return kind == 1 ? resource_add_busy(c, root) : 0;
    }
    const char *name = tree->root_name[0] ? tree->root_name : "unnamed";
    for (unsigned n = 0; n <= RESOURCE_ADD_MAX_SUFFIX; n++) {
        int len = n ? snprintf(root, cap, "%s/%s_%u", r->parent, name, n)
                    : snprintf(root, cap, "%s/%s", r->parent, name);
        if (len < 0 || (size_t)len >= cap) {
            api_invalid(c, "body.parent", "the resource's URI would be too long");
            return -1;
        }
        int kind = resource_add_probe(c, root);
        if (kind < 0)
            return -1;
        if (kind == 0)
            return 0;
    }
    http_reply_error(c->reply, "CONFLICT", json_pack("{s:s}", "resource", r->parent),
                     "no free name for '%s' under %s", name, r->parent);
    return -1;
}

struct put_batch {
    struct store_put_node *nodes;
    char **uris;
    size_t n;
};

static void put_batch_free(struct put_batch *b)
{
    for (size_t i = 0; b->uris && i < b->n; i++)
        free(b->uris[i]);
    free(b->uris);
    free(b->nodes);
}

/* The root directory plus every entry of the tree, in the tree's order (parents first). */
static int put_batch_build(struct api_call *c, const struct resource_add_req *r,
                           const struct import_tree *tree, const char *root, struct put_batch *b)
{
    size_t n = tree->count + 1;
    b->nodes = calloc(n, sizeof *b->nodes);
    b->uris = calloc(n, sizeof *b->uris);
    if (!b->nodes || !b->uris) {
        http_reply_error(c->reply, "INTERNAL", NULL, "out of memory");
        return -1;
    }
    const char *tags = r->tags_append ? NULL : r->tags_json;
    enum store_proc_state dir_semantic = r->vectors_only ? STORE_PROC_NONE : STORE_PROC_PENDING;
    for (size_t i = 0; i < n; i++) {
        const struct import_entry *e = i ? &tree->entries[i - 1] : NULL;
        char uri[VIKING_URI_MAX + 1];
        if (!e)
            snprintf(uri, sizeof uri, "%s", root);
        else if (viking_uri_join(root, e->rel_path, uri, sizeof uri) != 0) {
            api_invalid(c, "body", "'%s' under %s makes a URI over %d bytes", e->rel_path, root,
                        VIKING_URI_MAX);
            return -1;
        }
        b->uris[i] = strdup(uri);
        if (!b->uris[i]) {
            http_reply_error(c->reply, "INTERNAL", NULL, "out of memory");
            return -1;
        }
        b->n = i + 1;
        int is_dir = !e || e->is_dir;
        b->nodes[i] = (struct store_put_node){
            .uri = b->uris[i],
            .kind = is_dir ? STORE_DIR : STORE_FILE,
            .content = is_dir ? NULL : (const char *)e->bytes,
            .content_len = is_dir ? 0 : e->len,
            .tags_json = tags,
            .semantic = is_dir ? dir_semantic : STORE_PROC_NONE,
            /* vectors_only writes no L0/L1, so its directories have nothing to embed. */
            .vectors = is_dir && r->vectors_only ? STORE_PROC_NONE : STORE_PROC_PENDING,
        };
    }
    return 0;
}

int resource_add_store(struct api_call *c, const struct resource_add_req *r,
                       const struct import_tree *tree, struct resource_add_out *out)
{
    memset(out, 0, sizeof *out);
    char parent[VIKING_URI_MAX + 1];
    if (r->to ? viking_uri_parent(r->to, parent, sizeof parent) != 0
              : snprintf(parent, sizeof parent, "%s", r->parent) < 0)
        parent[0] = '\0';
    if (resource_add_check_parent(c, r, parent) != 0)
        return -1;
    struct put_batch b = {0};
    char err[512];
    int rc = -1;
    pthread_mutex_lock(&resource_add_lock);
    if (resource_add_plan(c, r, tree, out->root_uri, sizeof out->root_uri) == 0 &&
        put_batch_build(c, r, tree, out->root_uri, &b) == 0) {
        int src = store_put(c->store, c->who.account, c->who.user, b.nodes, b.n, err, sizeof err);
        if (src != STORE_OK)
            api_store_error(c, src, src == STORE_ENOTDIR ? parent : out->root_uri, err);
        else if (task_view_start(c, "add_resource", out->root_uri, out->task_id,
                                 sizeof out->task_id) == 0)
            rc = 0;
    }
    pthread_mutex_unlock(&resource_add_lock);
    out->context_count = b.n;
    put_batch_free(&b);
    if (rc != 0)
        return -1;
    struct app *app = c->req->app;
    int src = STORE_OK;
    if (r->tags_append && r->tags_json)
        src = store_set_tags(c->store, c->who.account, out->root_uri, r->tags_json, 1, 1, err,
                             sizeof err);
    int prc = src == STORE_OK
                  ? index_enqueue_subtree(app, c->gen, c->store, c->who.account, out->root_uri,
                                          r->vectors_only, out->task_id, err, sizeof err)
                  : SKALD_EIO;
    /* Without L0/L1 jobs nothing climbs to the parent: ask for its refresh here. */
    if (prc == SKALD_OK && r->vectors_only)
        prc = index_refresh_parent(app, c->gen, c->store, c->who.account, out->root_uri, NULL, err,
                                   sizeof err);
    if (prc != SKALD_OK) {
        char terr[256];
        store_task_update(c->store, out->task_id, "failed", "queueing", NULL, err, terr,
                          sizeof terr);
        http_reply_error(c->reply, "INTERNAL", NULL,
                         "%s is stored but its processing could not be queued: %s", out->root_uri,
                         err);
        return -1;
    }
    return 0;
}
