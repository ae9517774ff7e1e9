#include "session/session_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "pipeline/index_sync.h"
#include "session/session_extract.h"
#include "session/session_memory.h"
#include "session/session_message.h"

/* Runs fn under the session's write lock. */
struct locked_op {
    enum session_status (*fn)(struct session_engine *e, const struct session_ref *r, void *arg,
                              char *err, size_t err_cap);
    void *arg;
};

static enum session_status with_lane(struct session_engine *e, const struct session_ref *r,
                                     const struct locked_op *op, char *err, size_t err_cap)
{
    struct session_lanes *lanes = session_engine_lanes(e);
    struct session_lane *lane = session_lanes_get(lanes, r->account, r->uri);
    if (!lane) {
        snprintf(err, err_cap, "out of memory");
        return SESSION_FAILED;
    }
    session_lane_write_begin(lanes, lane);
    enum session_status st = op->fn(e, r, op->arg, err, err_cap);
    session_lane_write_end(lanes, lane);
    session_lanes_put(lanes, lane);
    return st;
}

static enum session_status store_status(int rc)
{
    return rc == STORE_OK ? SESSION_OK : rc == STORE_ENOTFOUND ? SESSION_NOT_FOUND : SESSION_FAILED;
}

/* ---- Create ---- */

struct create_args {
    json_t *memory_policy, *auto_commit_policy, *extraction_config;
    json_t **meta_out;
};

static enum session_status create_locked(struct session_engine *e, const struct session_ref *r,
                                         void *arg, char *err, size_t err_cap)
{
    struct create_args *a = arg;
    struct store *st = session_engine_store(e);
    struct store_node n = {0};
    int rc = store_get(st, r->account, r->uri, 0, &n, err, err_cap);
    store_node_clear(&n);
    if (rc == STORE_OK)
        return SESSION_EXISTS;
    if (rc != STORE_ENOTFOUND)
        return SESSION_FAILED;
    struct session_live live = {
        session_meta_new(r, clock_wall_ms(), a->memory_policy, a->auto_commit_policy,
                         a->extraction_config),
        json_array(), json_object()};
    struct session_batch b = {0};
    enum session_status status = SESSION_FAILED;
    if (!live.meta || !live.messages || !live.ids) {
        snprintf(err, err_cap, "out of memory");
    } else if ((rc = session_batch_session_dirs(&b, st, r, err, err_cap)) != STORE_OK ||
               session_batch_live(&b, r, &live) != 0) {
        if (rc == STORE_OK)
            snprintf(err, err_cap, "out of memory");
        session_batch_free(&b);
    } else {
        status = store_status(session_batch_put(&b, st, r, err, err_cap));
    }
    if (status == SESSION_OK && a->meta_out)
        *a->meta_out = json_incref(live.meta);
    session_live_clear(&live);
    return status;
}

enum session_status session_create(struct session_engine *e, const struct session_ref *r,
                                   json_t *memory_policy, json_t *auto_commit_policy,
                                   json_t *extraction_config, json_t **meta_out, char *err,
                                   size_t err_cap)
{
    struct create_args a = {memory_policy, auto_commit_policy, extraction_config, meta_out};
    struct locked_op op = {create_locked, &a};
    return with_lane(e, r, &op, err, err_cap);
}

/* ---- Messages ---- */

struct add_args {
    json_t *messages;
    struct add_result *out;
};

static enum session_status add_locked(struct session_engine *e, const struct session_ref *r,
                                      void *arg, char *err, size_t err_cap)
{
    struct add_args *a = arg;
    struct store *st = session_engine_store(e);
    struct session_live live;
    int create = 0;
    int rc = session_live_load(st, r, 1, &live, err, err_cap);
    if (rc == STORE_ENOTFOUND) {
        create = 1;
        live = (struct session_live){session_meta_new(r, clock_wall_ms(), NULL, NULL, NULL),
                                     json_array(), json_object()};
        rc = live.meta && live.messages && live.ids ? STORE_OK : STORE_ENOMEM;
    }
    if (rc != STORE_OK) {
        session_live_clear(&live);
        return SESSION_FAILED;
    }
    size_t i;
    json_t *m;
    const char *last_at = NULL;
    json_array_foreach(a->messages, i, m) {
        const char *id = json_string_value(json_object_get(m, "id"));
        if (!id || json_object_get(live.ids, id))
            continue; /* a resend of a message the session already has */
        if (json_array_append(live.messages, m) != 0 ||
            json_object_set_new(live.ids, id, json_true()) != 0) {
            session_live_clear(&live);
            snprintf(err, err_cap, "out of memory");
            return SESSION_FAILED;
        }
        last_at = json_string_value(json_object_get(m, "created_at"));
        a->out->added++;
    }
    enum session_status status = SESSION_OK;
    if (a->out->added || create) {
        char now[32];
        session_iso_time(clock_wall_ms(), now);
        json_object_set_new(live.meta, "updated_at", json_string(now));
        if (last_at)
            json_object_set_new(live.meta, "last_message_at", json_string(last_at));
        struct session_batch b = {0};
        if ((create && (rc = session_batch_session_dirs(&b, st, r, err, err_cap)) != STORE_OK) ||
            session_batch_live(&b, r, &live) != 0) {
            if (rc == STORE_OK)
                snprintf(err, err_cap, "out of memory");
            session_batch_free(&b);
            status = SESSION_FAILED;
        } else {
            status = store_status(session_batch_put(&b, st, r, err, err_cap));
        }
    }
    a->out->message_count = json_array_size(live.messages);
    json_array_foreach(live.messages, i, m) {
        a->out->pending_tokens += session_message_tokens(m);
    }
    session_live_clear(&live);
    return status;
}

enum session_status session_add_messages(struct session_engine *e, const struct session_ref *r,
                                         json_t *messages, struct add_result *out, char *err,
                                         size_t err_cap)
{
    memset(out, 0, sizeof *out);
    struct add_args a = {messages, out};
    struct locked_op op = {add_locked, &a};
    return with_lane(e, r, &op, err, err_cap);
}

/* ---- Meta updates ---- */

struct meta_args {
    session_meta_fn fn;
    void *arg;
    json_t **meta_out;
};

static enum session_status meta_locked(struct session_engine *e, const struct session_ref *r,
                                       void *arg, char *err, size_t err_cap)
{
    struct meta_args *a = arg;
    struct store *st = session_engine_store(e);
    struct session_live live;
    int rc = session_live_load(st, r, 0, &live, err, err_cap);
    if (rc != STORE_OK)
        return store_status(rc);
    enum session_status status = SESSION_OK;
    if (a->fn(live.meta, a->arg) != 0) {
        snprintf(err, err_cap, "out of memory");
        status = SESSION_FAILED;
    } else {
        char now[32], uri[VIKING_URI_MAX + 1];
        session_iso_time(clock_wall_ms(), now);
        json_object_set_new(live.meta, "updated_at", json_string(now));
        struct session_batch b = {0};
        if (session_path(r->uri, SESSION_META, uri) != 0 ||
            session_batch_json(&b, uri, live.meta) != 0) {
            session_batch_free(&b);
            snprintf(err, err_cap, "out of memory");
            status = SESSION_FAILED;
        } else {
            status = store_status(session_batch_put(&b, st, r, err, err_cap));
        }
    }
    if (status == SESSION_OK && a->meta_out)
        *a->meta_out = json_incref(live.meta);
    session_live_clear(&live);
    return status;
}

enum session_status session_update_meta(struct session_engine *e, const struct session_ref *r,
                                        session_meta_fn fn, void *arg, json_t **meta_out,
                                        char *err, size_t err_cap)
{
    struct meta_args a = {fn, arg, meta_out};
    struct locked_op op = {meta_locked, &a};
    return with_lane(e, r, &op, err, err_cap);
}

/* ---- Delete ---- */

static enum session_status delete_locked(struct session_engine *e, const struct session_ref *r,
                                         void *arg, char *err, size_t err_cap)
{
    (void)arg;
    return store_status(store_remove(session_engine_store(e), r->account, r->uri, 1, NULL, err,
                                     err_cap));
}

enum session_status session_delete(struct session_engine *e, const struct session_ref *r,
                                   char *err, size_t err_cap)
{
    struct locked_op op = {delete_locked, NULL};
    return with_lane(e, r, &op, err, err_cap);
}

/* ---- Extract now ---- */

static enum session_status load_locked(struct session_engine *e, const struct session_ref *r,
                                       void *arg, char *err, size_t err_cap)
{
    return store_status(session_live_load(session_engine_store(e), r, 0, arg, err, err_cap));
}

/* The decisions of a diff as the extract answer. */
static json_t *extract_answer(json_t *diff, const struct extract_result *ex)
{
    static const char *const lists[][2] = {{"adds", "created"}, {"updates", "merged"},
                                           {"skipped", "skipped"}};
    json_t *out = json_array();
    for (size_t l = 0; out && l < 3; l++) {
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(diff, lists[l][0]), i, d) {
            const char *title = json_string_value(json_object_get(d, "title"));
            const char *content = NULL;
            for (size_t k = 0; title && k < ex->n; k++)
                if (strcmp(ex->items[k].title, title) == 0)
                    content = ex->items[k].content;
            json_array_append_new(out, json_pack("{s:O, s:O, s:s?, s:s, s:O}", "category",
                                                 json_object_get(d, "category"), "title",
                                                 json_object_get(d, "title"), "content", content,
                                                 "action", lists[l][1], "uri",
                                                 json_object_get(d, "uri")));
        }
    }
    return out;
}

enum session_status session_extract_now(struct session_engine *e, struct generation *gen,
                                        const struct session_ref *r,
                                        const struct skald_call_ctx *ctx, json_t **out,
                                        int *call_rc, char *err, size_t err_cap)
{
    *out = NULL;
    *call_rc = SKALD_OK;
    struct session_live live;
    struct locked_op op = {load_locked, &live};
    enum session_status status = with_lane(e, r, &op, err, err_cap);
    if (status != SESSION_OK)
        return status;
    size_t len = 0;
    char *transcript = session_transcript(live.messages, &len);
    session_live_clear(&live);
    if (!transcript) {
        snprintf(err, err_cap, "out of memory");
        return SESSION_FAILED;
    }
    struct session_lanes *lanes = session_engine_lanes(e);
    if (session_lanes_slot_acquire(lanes, ctx->deadline_ns - clock_monotonic_ns()) != 0) {
        free(transcript);
        *call_rc = SKALD_EUNAVAILABLE;
        snprintf(err, err_cap, "every model slot stayed busy until the call's deadline");
        return SESSION_UNAVAILABLE;
    }
    struct extract_result ex = {0};
    int rc = session_extract_run(gen->backends[BACKEND_VLM]->inst, ctx, transcript, len,
                                 (1u << EXTRACT_N_CATEGORIES) - 1, &ex);
    session_lanes_slot_release(lanes);
    free(transcript);
    if (rc != SKALD_OK) {
        *call_rc = rc;
        snprintf(err, err_cap, "%s", ctx->err);
        session_extract_clear(&ex);
        return SESSION_UNAVAILABLE;
    }
    json_t *diff = json_pack("{s:[], s:[], s:[]}", "adds", "updates", "skipped");
    struct memory_counts mc;
    rc = diff ? session_memory_apply(session_engine_store(e), r->account, r->user, &ex, diff, &mc,
                                     err, err_cap)
              : STORE_ENOMEM;
    if (rc == STORE_OK) {
        char memories[VIKING_URI_MAX + 1], qerr[256];
        snprintf(memories, sizeof memories, "viking://user/%s/memories", r->user);
        /* Unindexed memories are found again by the next rescan; the answer stands. */
        if (ex.n)
            index_enqueue_subtree(session_engine_app(e), gen, session_engine_store(e), r->account,
                                  memories, 0, NULL, qerr, sizeof qerr);
        *out = extract_answer(diff, &ex);
    }
    json_decref(diff);
    session_extract_clear(&ex);
    if (rc != STORE_OK)
        return SESSION_FAILED;
    return *out ? SESSION_OK : SESSION_FAILED;
}
