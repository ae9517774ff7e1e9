#include "http/fs_entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uri/viking_uri.h"

/* Unix modes of the original shape: a directory 0755, a file 0644. */
#define FS_MODE_DIR 040755
#define FS_MODE_FILE 0100644
#define FS_ABSTRACT_NOT_READY "[.abstract.md is not ready]"

int fs_entry_output_arg(struct api_call *c, enum fs_output *out)
{
    const char *v = http_request_query(c->req, "output");
    *out = FS_OUTPUT_AGENT;
    if (!v || strcmp(v, "agent") == 0)
        return 0;
    if (strcmp(v, "original") == 0) {
        *out = FS_OUTPUT_ORIGINAL;
        return 0;
    }
    api_invalid(c, "query.output", "'%s' is not one of 'agent', 'original'", v);
    return -1;
}

int fs_entry_is_hidden(const char *name)
{
    return name[0] == '.';
}

int fs_entry_sidecar_level(const char *uri)
{
    const char *name = viking_uri_name(uri);
    if (strcmp(name, FS_ENTRY_ABSTRACT_NAME) == 0)
        return 0;
    if (strcmp(name, FS_ENTRY_OVERVIEW_NAME) == 0)
        return 1;
    return -1;
}

/* The first `limit` characters (code points) of s, with "..." when cut. */
static json_t *fs_entry_truncated(const char *s, size_t limit)
{
    size_t bytes = 0, chars = 0;
    while (s[bytes] && chars < limit) {
        bytes++;
        while (((unsigned char)s[bytes] & 0xC0) == 0x80)
            bytes++;
        chars++;
    }
    if (!s[bytes])
        return json_string(s);
    char *cut = malloc(bytes + 4);
    if (!cut)
        return NULL;
    memcpy(cut, s, bytes);
    memcpy(cut + bytes, "...", 4);
    json_t *out = json_string(cut);
    free(cut);
    return out;
}

static json_t *fs_entry_shape(const char *uri, const char *name, int is_dir, uint64_t size,
                              int64_t mtime_ms, enum fs_output out, json_t *abstract,
                              const char *rel_path)
{
    char mtime[32];
    api_iso_time(mtime_ms, mtime);
    json_t *e;
    if (out == FS_OUTPUT_AGENT)
        e = json_pack("{s:s, s:I, s:b, s:s, s:o}", "uri", uri, "size",
                      (json_int_t)(is_dir ? 0 : size), "isDir", is_dir, "modTime", mtime,
                      "abstract", abstract ? abstract : json_string(""));
    else
        e = json_pack("{s:s, s:I, s:i, s:s, s:b, s:s}", "name", name, "size", (json_int_t)size,
                      "mode", is_dir ? FS_MODE_DIR : FS_MODE_FILE, "modTime", mtime, "isDir",
                      is_dir, "uri", uri);
    if (out != FS_OUTPUT_AGENT)
        json_decref(abstract);
    if (e && rel_path && json_object_set_new(e, "rel_path", json_string(rel_path)) != 0) {
        json_decref(e);
        return NULL;
    }
    return e;
}

json_t *fs_entry_json(const struct store_node *n, enum fs_output out, size_t abs_limit,
                      const char *rel_path)
{
    int is_dir = n->kind == STORE_DIR;
    json_t *abstract = NULL;
    if (out == FS_OUTPUT_AGENT && is_dir) {
        abstract = n->l0 ? fs_entry_truncated(n->l0, abs_limit) : json_string(FS_ABSTRACT_NOT_READY);
        if (!abstract)
            return NULL;
    }
    return fs_entry_shape(n->uri, n->name, is_dir, n->size, n->updated_ms, out, abstract, rel_path);
}

json_t *fs_entry_sidecar_json(const struct store_node *dir, int level, enum fs_output out,
                              const char *rel_dir)
{
    const char *name = level == 0 ? FS_ENTRY_ABSTRACT_NAME : FS_ENTRY_OVERVIEW_NAME;
    const char *body = level == 0 ? dir->l0 : dir->l1;
    char uri[VIKING_URI_MAX + 1], rel[VIKING_URI_MAX + 1];
    if (!body || viking_uri_join(dir->uri, name, uri, sizeof uri) != 0)
        return NULL;
    if (rel_dir)
        snprintf(rel, sizeof rel, "%s%s%s", rel_dir, rel_dir[0] ? "/" : "", name);
    return fs_entry_shape(uri, name, 0, strlen(body), dir->updated_ms, out, NULL,
                          rel_dir ? rel : NULL);
}

json_t *fs_entry_stat_json(const struct store_node *n)
{
    json_t *e = fs_entry_json(n, FS_OUTPUT_ORIGINAL, 0, NULL);
    if (!e)
        return NULL;
    /* Path locks are not kept yet: nothing is ever locked. */
    int bad = json_object_set_new(e, "isLocked", json_false());
    if (n->kind == STORE_DIR)
        bad |= json_object_set_new(e, "count", json_integer((json_int_t)n->child_count));
    if (bad) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* A file-like node standing for dir's sidecar at level, named uri. */
static int fs_entry_sidecar_node(const struct store_node *dir, int level, const char *uri,
                                 int with_content, struct store_node *out)
{
    const char *body = level == 0 ? dir->l0 : dir->l1;
    memset(out, 0, sizeof *out);
    out->account = strdup(dir->account);
    out->uri = strdup(uri);
    out->parent_uri = strdup(dir->uri);
    out->name = strdup(viking_uri_name(uri));
    out->owner_user = strdup(dir->owner_user ? dir->owner_user : "");
    out->tags_json = strdup(dir->tags_json ? dir->tags_json : "[]");
    out->content = with_content ? strdup(body) : NULL;
    out->kind = STORE_FILE;
    out->size = out->content_len = strlen(body);
    out->created_ms = dir->created_ms;
    out->updated_ms = dir->updated_ms;
    out->revision = dir->revision;
    if (!out->account || !out->uri || !out->parent_uri || !out->name || !out->owner_user ||
        !out->tags_json || (with_content && !out->content)) {
        store_node_clear(out);
        return -1;
    }
    return 0;
}

int fs_entry_get(struct api_call *c, const char *uri, int with_content, struct store_node *out)
{
    char err[256];
    memset(out, 0, sizeof *out);
    int rc = store_get(c->store, c->who.account, uri, with_content, out, err, sizeof err);
    int level = fs_entry_sidecar_level(uri);
    if (rc == STORE_ENOTFOUND && level >= 0) {
        char parent[VIKING_URI_MAX + 1];
        struct store_node dir = {0};
        if (viking_uri_parent(uri, parent, sizeof parent) == 0 &&
            store_get(c->store, c->who.account, parent, 0, &dir, err, sizeof err) == STORE_OK &&
            dir.kind == STORE_DIR && (level == 0 ? dir.l0 : dir.l1)) {
            rc = fs_entry_sidecar_node(&dir, level, uri, with_content, out) == 0 ? STORE_OK
                                                                                 : STORE_ENOMEM;
            if (rc != STORE_OK)
                snprintf(err, sizeof err, "out of memory");
        }
        store_node_clear(&dir);
    }
    if (rc != STORE_OK) {
        api_store_error(c, rc, uri, err);
        return -1;
    }
    return 0;
}
