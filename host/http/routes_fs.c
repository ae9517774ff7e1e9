/*
 * The filesystem routes that read the tree (OpenViking section 2.4): ls, tree, stat, attrs. The
 * routes that change it are in routes_fs_change.c; this file holds the area's route table.
 */
#include <stdlib.h>
#include <string.h>

#include "http/fs_entry.h"
#include "http/router.h"
#include "http/routes_fs_change.h"
#include "uri/viking_uri.h"

#define FS_LIMIT_DEFAULT 1000
#define FS_LIMIT_MAX 1000000
#define FS_ABS_LIMIT_DEFAULT 256
#define FS_LS_RECURSIVE_DEPTH 3

/* What a listing collects: one item per entry, with what sorting needs. */
struct fs_item {
    json_t *json;
    int is_dir;
    char *name;
    int64_t mtime_ms;
};

struct fs_listing {
    struct api_call *c;
    const char *root;    /* the listed directory */
    enum fs_output out;
    size_t abs_limit;
    size_t limit;        /* stop collecting at this many (walks); sorted lists cut after sorting */
    int stop_at_limit;
    int show_hidden;
    int simple;          /* URIs only */
    int with_rel;        /* entries carry rel_path */
    struct fs_item *items;
    size_t n, cap;
    int oom;
};

static void fs_listing_free(struct fs_listing *l)
{
    for (size_t i = 0; i < l->n; i++) {
        json_decref(l->items[i].json);
        free(l->items[i].name);
    }
    free(l->items);
}

static int fs_listing_push(struct fs_listing *l, json_t *json, int is_dir, const char *name,
                           int64_t mtime_ms)
{
    if (!json || l->oom)
        goto oom;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct fs_item *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown)
            goto oom;
        l->items = grown;
        l->cap = cap;
    }
    struct fs_item *it = &l->items[l->n];
    it->name = strdup(name);
    if (!it->name)
        goto oom;
    it->json = json;
    it->is_dir = is_dir;
    it->mtime_ms = mtime_ms;
    l->n++;
    return 0;
oom:
    json_decref(json);
    l->oom = 1;
    return -1;
}

/* The path of uri below the listed directory. */
static const char *fs_listing_rel(const struct fs_listing *l, const char *uri)
{
    size_t root_len = strlen(l->root);
    if (strcmp(l->root, "viking://") == 0)
        return uri + root_len;
    return uri[root_len] == '/' ? uri + root_len + 1 : uri + root_len;
}

/* The sidecars of a listed directory, shown as its hidden files. */
static void fs_listing_sidecars(struct fs_listing *l, const struct store_node *dir,
                                const char *rel_dir)
{
    for (int level = 0; level < 2 && !l->oom; level++) {
        if (!(level == 0 ? dir->l0 : dir->l1))
            continue;
        char uri[VIKING_URI_MAX + 1];
        const char *name = level == 0 ? FS_ENTRY_ABSTRACT_NAME : FS_ENTRY_OVERVIEW_NAME;
        if (viking_uri_join(dir->uri, name, uri, sizeof uri) != 0)
            continue;
        json_t *e = l->simple ? json_string(uri)
                              : fs_entry_sidecar_json(dir, level, l->out, l->with_rel ? rel_dir : NULL);
        fs_listing_push(l, e, 0, name, dir->updated_ms);
    }
}

static int fs_listing_full(const struct fs_listing *l)
{
    return l->stop_at_limit && l->n >= l->limit;
}

static int fs_listing_visit(void *arg, const struct store_node *node)
{
    struct fs_listing *l = arg;
    if (fs_listing_full(l))
        return 1;
    /* Other users' spaces (and other peers') are not there for a USER caller. */
    if (viking_uri_access(&l->c->who, node->uri) != 0)
        return 0;
    int is_dir = node->kind == STORE_DIR;
    if (!is_dir && !l->show_hidden && fs_entry_is_hidden(node->name))
        return 0;
    const char *rel = fs_listing_rel(l, node->uri);
    json_t *e = l->simple ? json_string(node->uri)
                          : fs_entry_json(node, l->out, l->abs_limit, l->with_rel ? rel : NULL);
    if (fs_listing_push(l, e, is_dir, node->name, node->updated_ms) != 0)
        return 1;
    if (is_dir && l->show_hidden && l->with_rel)
        fs_listing_sidecars(l, node, rel);
    return l->oom || fs_listing_full(l);
}

static int fs_sort_name(const struct fs_item *a, const struct fs_item *b)
{
    return strcmp(a->name, b->name);
}

static int fs_sort_mtime(const struct fs_item *a, const struct fs_item *b)
{
    return a->mtime_ms < b->mtime_ms ? -1 : a->mtime_ms > b->mtime_ms;
}

struct fs_sort {
    int (*key)(const struct fs_item *, const struct fs_item *);
    int desc;
};

/* Directories first, then by the key in the asked order. */
static int fs_sort_cmp(const void *pa, const void *pb, void *arg)
{
    const struct fs_item *a = pa, *b = pb;
    const struct fs_sort *s = arg;
    if (a->is_dir != b->is_dir)
        return b->is_dir - a->is_dir;
    int r = s->key(a, b);
    if (r == 0)
        r = fs_sort_name(a, b);
    return s->desc ? -r : r;
}

static json_t *fs_listing_array(struct fs_listing *l)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < l->n && i < l->limit; i++) {
        if (json_array_append(arr, l->items[i].json) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* The query arguments ls and tree share; -1 after a 400. */
static int fs_listing_args(struct api_call *c, struct fs_listing *l, char uri[VIKING_URI_MAX + 1])
{
    const char *raw = api_query_required(c, "uri");
    long long abs_limit, node_limit, limit;
    if (!raw || api_uri(c, "query.uri", raw, uri) != 0 || fs_entry_output_arg(c, &l->out) != 0 ||
        api_query_int(c, "abs_limit", FS_ABS_LIMIT_DEFAULT, 0, FS_LIMIT_MAX, &abs_limit) != 0 ||
        api_query_bool(c, "show_all_hidden", 0, &l->show_hidden) != 0 ||
        api_query_int(c, "node_limit", FS_LIMIT_DEFAULT, 1, FS_LIMIT_MAX, &node_limit) != 0 ||
        api_query_int(c, "limit", node_limit, 1, FS_LIMIT_MAX, &limit) != 0)
        return -1;
    l->c = c;
    l->root = uri;
    l->abs_limit = (size_t)abs_limit;
    l->limit = (size_t)limit;
    return 0;
}

/* Lists the subtree under root down to depth levels, in pre-order, with rel_path. */
static int fs_listing_walk(struct fs_listing *l, unsigned depth)
{
    char err[256];
    struct store_node root = {0};
    int rc = store_get(l->c->store, l->c->who.account, l->root, 0, &root, err, sizeof err);
    if (rc == STORE_OK && root.kind != STORE_DIR)
        rc = STORE_ENOTDIR;
    if (rc == STORE_OK && l->show_hidden)
        fs_listing_sidecars(l, &root, "");
    store_node_clear(&root);
    if (rc == STORE_OK)
        rc = store_walk(l->c->store, l->c->who.account, l->root, depth, 0, fs_listing_visit, l, err,
                        sizeof err);
    if (rc != STORE_OK) {
        api_store_error(l->c, rc, l->root, err);
        return -1;
    }
    return 0;
}

/* Lists root's children, sorted. */
static int fs_listing_children(struct fs_listing *l, const char *sort_by, const char *order)
{
    char err[256];
    struct store_node root = {0};
    int rc = STORE_OK;
    if (l->show_hidden) {
        rc = store_get(l->c->store, l->c->who.account, l->root, 0, &root, err, sizeof err);
        if (rc == STORE_OK)
            fs_listing_sidecars(l, &root, "");
        store_node_clear(&root);
    }
    if (rc == STORE_OK)
        rc = store_list(l->c->store, l->c->who.account, l->root, fs_listing_visit, l, err,
                        sizeof err);
    if (rc != STORE_OK) {
        api_store_error(l->c, rc, l->root, err);
        return -1;
    }
    struct fs_sort sort = {strcmp(sort_by, "mtime") == 0 ? fs_sort_mtime : fs_sort_name,
                           strcmp(order, "desc") == 0};
    if (l->n > 1)
        qsort_r(l->items, l->n, sizeof *l->items, fs_sort_cmp, &sort);
    return 0;
}

static void fs_listing_reply(struct api_call *c, struct fs_listing *l)
{
    json_t *arr = l->oom ? NULL : fs_listing_array(l);
    if (arr)
        http_reply_ok(c->reply, arr);
    else
        http_reply_error(c->reply, "INTERNAL", NULL, "out of memory");
}

static void ls_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    struct fs_listing l = {0};
    char uri[VIKING_URI_MAX + 1];
    int recursive;
    if (fs_listing_args(&c, &l, uri) != 0 || api_query_bool(&c, "simple", 0, &l.simple) != 0 ||
        api_query_bool(&c, "recursive", 0, &recursive) != 0)
        return;
    const char *sort_by = http_request_query(req, "sort_by");
    const char *order = http_request_query(req, "sort_order");
    sort_by = sort_by ? sort_by : "name";
    order = order ? order : "asc";
    if (strcmp(sort_by, "name") != 0 && strcmp(sort_by, "mtime") != 0) {
        api_invalid(&c, "query.sort_by", "'%s' is not one of 'name', 'mtime'", sort_by);
        return;
    }
    if (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
        api_invalid(&c, "query.sort_order", "'%s' is not one of 'asc', 'desc'", order);
        return;
    }
    int rc;
    if (recursive) {
        l.with_rel = 1;
        l.stop_at_limit = 1;
        rc = fs_listing_walk(&l, FS_LS_RECURSIVE_DEPTH);
    } else {
        rc = fs_listing_children(&l, sort_by, order);
    }
    if (rc == 0)
        fs_listing_reply(&c, &l);
    fs_listing_free(&l);
}

static void tree_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    struct fs_listing l = {0};
    char uri[VIKING_URI_MAX + 1];
    long long level_limit;
    if (fs_listing_args(&c, &l, uri) != 0 ||
        api_query_int(&c, "level_limit", FS_LS_RECURSIVE_DEPTH, 1, VIKING_DEPTH_MAX,
                      &level_limit) != 0)
        return;
    l.with_rel = 1;
    l.stop_at_limit = 1;
    if (fs_listing_walk(&l, (unsigned)level_limit) == 0)
        fs_listing_reply(&c, &l);
    fs_listing_free(&l);
}

/* The canonical URI of the `uri` query argument; -1 after the error reply. */
static int fs_query_uri(struct api_call *c, char uri[VIKING_URI_MAX + 1])
{
    const char *raw = api_query_required(c, "uri");
    return raw && api_uri(c, "query.uri", raw, uri) == 0 ? 0 : -1;
}

static void stat_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    char uri[VIKING_URI_MAX + 1];
    struct store_node n;
    if (fs_query_uri(&c, uri) != 0 || fs_entry_get(&c, uri, 0, &n) != 0)
        return;
    json_t *e = fs_entry_stat_json(&n);
    if (e)
        http_reply_ok(reply, e);
    else
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    store_node_clear(&n);
}

static void attrs_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    char uri[VIKING_URI_MAX + 1];
    struct store_node n;
    if (fs_query_uri(&c, uri) != 0 || fs_entry_get(&c, uri, 0, &n) != 0)
        return;
    json_error_t jerr;
    json_t *tags = json_loads(n.tags_json ? n.tags_json : "[]", 0, &jerr);
    json_t *result = json_pack("{s:s, s:s, s:{s:o}}", "uri", uri, "context_type",
                               viking_uri_context_type(uri), "attrs", "tags",
                               tags ? tags : json_array());
    if (result)
        http_reply_ok(reply, result);
    else
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    store_node_clear(&n);
}

const struct route routes_fs[] = {
    {"GET", "/api/v1/fs/ls", 0, NULL, ls_handle},
    {"GET", "/api/v1/fs/tree", 0, NULL, tree_handle},
    {"GET", "/api/v1/fs/stat", 0, NULL, stat_handle},
    {"GET", "/api/v1/fs/attrs", 0, NULL, attrs_handle},
    {"POST", "/api/v1/fs/attrs/set_tags", 0, NULL, routes_fs_set_tags},
    {"POST", "/api/v1/fs/mkdir", 0, NULL, routes_fs_mkdir},
    {"DELETE", "/api/v1/fs", 0, NULL, routes_fs_rm},
    {"POST", "/api/v1/fs/mv", 0, NULL, routes_fs_mv},
    {NULL, NULL, 0, NULL, NULL},
};
