#include "http/routes_fs_change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/api_call.h"
#include "http/fs_entry.h"
#include "http/index_wait.h"
#include "pipeline/index_sync.h"
#include "pipeline/pipeline.h"

/* The root and the scope roots exist in every account and can be neither removed nor moved. */
static int fs_is_fixed(const char *uri)
{
    return strcmp(uri, "viking://") == 0 || strcmp(uri, "viking://resources") == 0 ||
           strcmp(uri, "viking://user") == 0 || strcmp(uri, "viking://agent") == 0;
}

/* Queues the vectors of uri and, for a directory, of everything under it. 0, or -1 after the
 * error reply. */
static int fs_reembed(struct api_call *c, const char *uri, int subtree)
{
    struct store_node n = {0};
    char err[512];
    int rc = store_get(c->store, c->who.account, uri, 0, &n, err, sizeof err);
    int is_dir = n.kind == STORE_DIR;
    store_node_clear(&n);
    if (rc != STORE_OK) {
        api_store_error(c, rc, uri, err);
        return -1;
    }
    if (!is_dir || !subtree)
        return fs_is_fixed(uri) ? 0 : index_wait_embed(c, uri);
    rc = index_enqueue_subtree(c->req->app, c->gen, c->store, c->who.account, uri, 1, NULL, err,
                               sizeof err);
    if (rc != SKALD_OK) {
        http_reply_error(c->reply, http_error_code_for_plugin(rc), NULL,
                         "queueing the vectors under %s: %s", uri, err);
        return -1;
    }
    return 0;
}

static const char *const set_tags_fields[] = {"uri", "tags", "mode", "recursive", "telemetry", NULL};

void routes_fs_set_tags(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, set_tags_fields);
    if (!body)
        return;
    const char *raw, *mode;
    json_t *tags;
    int recursive;
    char uri[VIKING_URI_MAX + 1], err[512];
    char *tags_text = NULL;
    if (api_field_string(&c, body, "uri", 1, &raw) != 0 || api_uri(&c, "body.uri", raw, uri) != 0 ||
        api_field_tags(&c, body, "tags", &tags) != 0 ||
        api_field_string(&c, body, "mode", 0, &mode) != 0 ||
        api_field_bool(&c, body, "recursive", 0, &recursive) != 0)
        goto done;
    if (!tags) {
        api_invalid(&c, "body.tags", "field required");
        goto done;
    }
    mode = mode ? mode : "replace";
    if (strcmp(mode, "replace") != 0 && strcmp(mode, "append") != 0) {
        api_invalid(&c, "body.mode", "'%s' is not one of 'replace', 'append'", mode);
        goto done;
    }
    tags_text = json_dumps(tags, JSON_COMPACT);
    if (!tags_text) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        goto done;
    }
    int rc = store_set_tags(c.store, c.who.account, uri, tags_text, strcmp(mode, "append") == 0,
                            recursive, err, sizeof err);
    if (rc != STORE_OK) {
        api_store_error(&c, rc, uri, err);
        goto done;
    }
    /* Searches filter on the tags their vector records carry. */
    if (fs_reembed(&c, uri, recursive) != 0)
        goto done;
    struct store_node n;
    if (fs_entry_get(&c, uri, 0, &n) != 0)
        goto done;
    json_error_t jerr;
    json_t *now = json_loads(n.tags_json ? n.tags_json : "[]", 0, &jerr);
    store_node_clear(&n);
    json_t *result = json_pack("{s:s, s:o, s:s, s:b}", "uri", uri, "tags", now ? now : json_array(),
                               "mode", mode, "recursive", recursive);
    if (result)
        http_reply_ok(reply, result);
    else
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
done:
    free(tags_text);
    json_decref(body);
}

void routes_fs_mkdir(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, NULL);
    if (!body)
        return;
    const char *raw, *description;
    char uri[VIKING_URI_MAX + 1], err[512];
    if (api_field_string(&c, body, "uri", 1, &raw) != 0 || api_uri(&c, "body.uri", raw, uri) != 0 ||
        api_field_string(&c, body, "description", 0, &description) != 0)
        goto done;
    if (fs_entry_sidecar_level(uri) >= 0) {
        http_reply_error(reply, "INVALID_ARGUMENT", json_pack("{s:s}", "uri", uri),
                         "%s is the name of a directory's sidecar, not a directory", uri);
        goto done;
    }
    int rc = store_mkdir(c.store, c.who.account, c.who.user, uri, description, err, sizeof err);
    if (rc != STORE_OK) {
        api_store_error(&c, rc, uri, err);
        goto done;
    }
    /* A description is the directory's L0: it gets vectors, and nothing to summarise. */
    if (description && index_wait_embed(&c, uri) != 0)
        goto done;
    http_reply_ok(reply, json_pack("{s:s}", "uri", uri));
done:
    json_decref(body);
}

static void rm_done(json_t *result, const enum store_proc_state *states, size_t n)
{
    json_object_set_new(result, "semantic_status",
                        json_string(n && states[0] == STORE_PROC_FAILED ? "failed" : "complete"));
}

void routes_fs_rm(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    const char *raw = api_query_required(&c, "uri");
    char uri[VIKING_URI_MAX + 1], err[512];
    int recursive, wait;
    const char *timeout_raw = http_request_query(req, "timeout");
    double timeout_s = -1;
    if (!raw || api_uri(&c, "query.uri", raw, uri) != 0 ||
        api_query_bool(&c, "recursive", 0, &recursive) != 0 ||
        api_query_bool(&c, "wait", 0, &wait) != 0)
        return;
    if (timeout_raw) {
        char *end = NULL;
        timeout_s = strtod(timeout_raw, &end);
        if (!*timeout_raw || *end || !(timeout_s >= 0)) {
            api_invalid(&c, "query.timeout", "'%s' is not a number of seconds", timeout_raw);
            return;
        }
    }
    if (fs_is_fixed(uri)) {
        http_reply_error(reply, "INVALID_ARGUMENT", json_pack("{s:s}", "uri", uri),
                         "%s cannot be removed", uri);
        return;
    }
    struct store_node n = {0};
    int rc = store_get(c.store, c.who.account, uri, 0, &n, err, sizeof err);
    int is_dir = n.kind == STORE_DIR;
    int non_empty = rc == STORE_OK && is_dir && n.child_count > 0;
    store_node_clear(&n);
    if (rc == STORE_OK && non_empty && !recursive)
        rc = STORE_ENOTEMPTY;
    if (rc != STORE_OK) {
        api_store_error(&c, rc, uri, err);
        return;
    }
    /* The index first: a search must never return what is being removed. */
    rc = index_forget(gen, c.who.account, uri, err, sizeof err);
    if (rc != SKALD_OK) {
        http_reply_error(reply, http_error_code_for_plugin(rc), NULL,
                         "removing the vectors of %s: %s", uri, err);
        return;
    }
    uint64_t removed = 0;
    rc = store_remove(c.store, c.who.account, uri, recursive, &removed, err, sizeof err);
    if (rc != STORE_OK) {
        /* The nodes stay: give them their vectors back. */
        char qerr[256] = "URI too long";
        struct job j;
        int qrc = is_dir ? index_enqueue_subtree(req->app, gen, c.store, c.who.account, uri, 1,
                                                 NULL, qerr, sizeof qerr)
                  : job_make(&j, JOB_EMBED, c.who.account, uri, NULL) == 0
                      ? pipeline_submit(req->app, gen, c.store, &j, 1, NULL, qerr, sizeof qerr)
                      : SKALD_EINVAL;
        if (qrc != SKALD_OK)
            log_warn("rm %s failed and its vectors could not be queued again: %s", uri, qerr);
        api_store_error(&c, rc, uri, err);
        return;
    }
    char parent[VIKING_URI_MAX + 1];
    int refreshing = index_wait_refresh_parent(&c, uri, parent, sizeof parent);
    if (refreshing < 0)
        return;
    json_t *result = json_pack("{s:s, s:I}", "uri", uri, "estimated_deleted_count",
                               (json_int_t)removed);
    if (result && refreshing) {
        json_object_set_new(result, "semantic_root_uri", json_string(parent));
        json_object_set_new(result, "semantic_status", json_string("queued"));
    }
    if (!result) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        return;
    }
    if (!wait || !refreshing) {
        http_reply_ok(reply, result);
        return;
    }
    struct index_wait_target t = {.which = INDEX_WAIT_SEMANTIC};
    snprintf(t.uri, sizeof t.uri, "%s", parent);
    index_wait_park(&c, &t, 1, result, rm_done, "rm", timeout_s);
}

void routes_fs_mv(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, NULL);
    if (!body)
        return;
    const char *raw_from, *raw_to;
    char from[VIKING_URI_MAX + 1], to[VIKING_URI_MAX + 1], err[512];
    if (api_field_string(&c, body, "from_uri", 1, &raw_from) != 0 ||
        api_field_string(&c, body, "to_uri", 1, &raw_to) != 0 ||
        api_uri(&c, "body.from_uri", raw_from, from) != 0 ||
        api_uri(&c, "body.to_uri", raw_to, to) != 0)
        goto done;
    if (fs_is_fixed(from) || fs_entry_sidecar_level(to) >= 0) {
        http_reply_error(reply, "INVALID_ARGUMENT", json_pack("{s:s, s:s}", "from", from, "to", to),
                         "%s cannot be moved to %s", from, to);
        goto done;
    }
    int rc = store_move(c.store, c.who.account, from, to, err, sizeof err);
    if (rc != STORE_OK) {
        api_store_error(&c, rc, rc == STORE_EEXIST ? to : from, err);
        goto done;
    }
    /* The move is done; what follows rewrites the index under the new URIs. Records left under
     * the old ones by a failure here are found by reindex prune_orphans. */
    rc = index_forget(gen, c.who.account, from, err, sizeof err);
    if (rc != SKALD_OK)
        log_warn("mv %s -> %s: removing the old vectors: %s", from, to, err);
    if (fs_reembed(&c, to, 1) != 0 || index_wait_refresh_parent(&c, from, NULL, 0) < 0 ||
        index_wait_refresh_parent(&c, to, NULL, 0) < 0)
        goto done;
    http_reply_ok(reply, json_pack("{s:s, s:s}", "from", from, "to", to));
done:
    json_decref(body);
}
