/*
 * Adding messages to a session and committing it (OpenViking sections 2.7 and 6). Messages
 * auto-create the session and are idempotent on a resent message id; a commit returns once its
 * phase 1 is stored, with the session_commit task that phase 2 ends.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "http/routes_session_messages.h"
#include "http/session_call.h"
#include "http/task_view.h"
#include "session/session_ops.h"

#define BATCH_MAX 100
#define KEEP_RECENT_MAX 10000

static void messages_add(struct session_call *s, json_t *messages, int batch)
{
    struct add_result out;
    char err[512];
    enum session_status st = session_add_messages(s->engine, &s->ref, messages, &out, err,
                                                  sizeof err);
    if (st != SESSION_OK) {
        session_call_error(s, st, err);
        return;
    }
    json_t *result = json_pack("{s:s, s:I, s:I}", "session_id", s->ref.id, "message_count",
                               (json_int_t)out.message_count, "pending_tokens",
                               (json_int_t)out.pending_tokens);
    if (result && batch)
        json_object_set_new(result, "added", json_integer((json_int_t)out.added));
    http_reply_ok(s->c.reply, result);
}

void routes_session_messages(struct http_request *req, struct generation *gen,
                             struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 1, &s) != 0)
        return;
    json_t *body = session_call_body(&s, 0, NULL);
    if (!body)
        return;
    struct session_msg_error e;
    json_t *msg = session_message_build(body, &s.c.who, "body", clock_wall_ms(), &e);
    json_t *list = msg ? json_pack("[o]", msg) : NULL;
    if (!msg)
        session_call_message_error(&s, &e);
    else if (!list)
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    else
        messages_add(&s, list, 0);
    json_decref(list);
    json_decref(body);
}

void routes_session_batch(struct http_request *req, struct generation *gen,
                          struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 1, &s) != 0)
        return;
    json_t *body = session_call_body(&s, 0, NULL);
    if (!body)
        return;
    json_t *in = json_object_get(body, "messages"), *list = json_array();
    int64_t now = clock_wall_ms();
    if (!list) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    } else if (!json_is_array(in)) {
        api_invalid(&s.c, "body.messages", in ? "must be a list" : "field required");
    } else if (json_array_size(in) > BATCH_MAX) {
        api_invalid(&s.c, "body.messages", "at most %d messages per batch", BATCH_MAX);
    } else {
        size_t i;
        json_t *m;
        int ok = 1;
        json_array_foreach(in, i, m) {
            char loc[48];
            struct session_msg_error e;
            snprintf(loc, sizeof loc, "body.messages.%zu", i);
            json_t *built = session_message_build(m, &s.c.who, loc, now, &e);
            if (!built) {
                session_call_message_error(&s, &e);
                ok = 0;
                break;
            }
            json_array_append_new(list, built);
        }
        if (ok)
            messages_add(&s, list, 1);
    }
    json_decref(list);
    json_decref(body);
}

/* The commit options of the body; -1 after the reply. */
static int commit_parse(struct session_call *s, json_t *body, struct commit_opts *o)
{
    const char *mode;
    if (api_field_int(&s->c, body, "keep_recent_count", 0, 0, KEEP_RECENT_MAX,
                      &o->keep_recent_count) != 0 ||
        api_field_string(&s->c, body, "retention_mode", 0, &mode) != 0 ||
        api_field_int(&s->c, body, "keep_recent_turn_count", -1, 0, KEEP_RECENT_MAX,
                      &o->keep_turns) != 0 ||
        api_field_int(&s->c, body, "retained_message_token_budget", -1, 0, 1LL << 40,
                      &o->token_budget) != 0 ||
        api_field_int(&s->c, body, "min_raw_tail_steps", -1, 0, KEEP_RECENT_MAX, &o->min_tail) != 0)
        return -1;
    if (mode && strcmp(mode, "turn_budget") != 0) {
        api_invalid(&s->c, "body.retention_mode", "'%s' is not 'turn_budget'", mode);
        return -1;
    }
    o->turn_budget = mode != NULL;
    static const char *const needs_mode[] = {"keep_recent_turn_count",
                                             "retained_message_token_budget",
                                             "min_raw_tail_steps"};
    for (size_t i = 0; !mode && i < 3; i++) {
        json_t *v = json_object_get(body, needs_mode[i]);
        if (v && !json_is_null(v)) {
            char loc[64];
            snprintf(loc, sizeof loc, "body.%s", needs_mode[i]);
            api_invalid(&s->c, loc, "needs retention_mode");
            return -1;
        }
    }
    if (o->turn_budget && o->keep_turns < 0)
        o->keep_turns = 1;
    json_t *meta = json_object_get(body, "extraction_metadata");
    if (meta && !json_is_null(meta)) {
        struct session_policy_error e;
        if (session_policy_extraction_metadata(meta, "body.extraction_metadata", &e) != 0) {
            session_call_policy_error(s, &e);
            return -1;
        }
        o->extraction_metadata = meta;
    }
    return 0;
}

static void trace_id(char out[33])
{
    char uuid[40];
    size_t k = 0;
    if (task_view_new_id(uuid, sizeof uuid) == 0)
        for (const char *p = uuid; *p && k < 32; p++)
            if (*p != '-')
                out[k++] = *p;
    out[k] = '\0';
}

void routes_session_commit(struct http_request *req, struct generation *gen,
                           struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 1, &s) != 0)
        return;
    json_t *body = session_call_body(&s, 1, NULL);
    struct commit_opts o = {0};
    if (!body || commit_parse(&s, body, &o) != 0) {
        json_decref(body);
        return;
    }
    struct commit_result out;
    char err[512], trace[33];
    enum session_status st = session_commit(s.engine, gen, &s.ref, &o, &out, err, sizeof err);
    json_decref(body);
    trace_id(trace);
    if (st != SESSION_OK) {
        session_call_error(&s, st, err);
        return;
    }
    if (out.skipped) {
        http_reply_ok(reply, json_pack("{s:s, s:s, s:n, s:n, s:b, s:s, s:s}", "session_id",
                                       s.ref.id, "status", "skipped", "task_id", "archive_uri",
                                       "archived", 0, "reason", out.reason, "trace_id", trace));
        return;
    }
    http_reply_ok(reply, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:I, s:b}", "session_id",
                                   s.ref.id, "status", "accepted", "task_id", out.task_id,
                                   "archive_uri", out.archive_uri, "archived", 1, "trace_id", trace,
                                   "estimated_active_tokens", (json_int_t)out.active_tokens,
                                   "budget_exceeded", 0));
}
