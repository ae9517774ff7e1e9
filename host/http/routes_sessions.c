/*
 * Sessions (OpenViking section 2.7): create, list, get, config, delete, context, archives, used,
 * extract and the tool-result routes. Messages and commit are in routes_session_messages.c; this
 * file holds the area's route table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/clock.h"
#include "http/router.h"
#include "http/routes_session_messages.h"
#include "http/session_call.h"
#include "session/session_ops.h"
#include "session/session_view.h"

#define CONTEXT_BUDGET_DEFAULT 128000
#define USED_KEEP 100 /* recent used contexts and skills kept in the meta */


/* A generated id: YYYYMMDD-HHMMSS-<16 hex>, as OpenViking makes them. */
static int sessions_new_id(char out[40])
{
    unsigned char b[8];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return -1;
    time_t now = (time_t)(clock_wall_ms() / 1000);
    struct tm tm;
    gmtime_r(&now, &tm);
    char buf[128];
    int n = snprintf(buf, sizeof buf, "%04d%02d%02d-%02d%02d%02d-%02x%02x%02x%02x%02x%02x%02x%02x",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
    if (n < 0 || n >= 40)
        return -1;
    memcpy(out, buf, (size_t)n + 1);
    return 0;
}

/* The settings of a create or config body, checked. NULL members are absent; *policy_set says
 * whether auto_commit_policy was given (null included). -1 after the reply. */
struct session_settings {
    json_t *memory_policy, *auto_commit_policy, *extraction_config;
    int policy_set;
};

static void settings_clear(struct session_settings *s)
{
    json_decref(s->auto_commit_policy);
    json_decref(s->extraction_config);
    memset(s, 0, sizeof *s);
}

static int sessions_settings(struct session_call *s, json_t *body, int with_memory_policy,
                             struct session_settings *out)
{
    memset(out, 0, sizeof *out);
    struct session_policy_error e;
    json_t *acp = json_object_get(body, "auto_commit_policy");
    if (acp) {
        out->policy_set = 1;
        if (!json_is_null(acp) &&
            !(out->auto_commit_policy = session_policy_auto_commit(acp, "body.auto_commit_policy", &e))) {
            session_call_policy_error(s, &e);
            return -1;
        }
    }
    json_t *mec = json_object_get(body, "memory_extraction_config");
    if (mec && !json_is_null(mec) &&
        !(out->extraction_config =
              session_policy_extraction_config(mec, "body.memory_extraction_config", &e))) {
        session_call_policy_error(s, &e);
        settings_clear(out);
        return -1;
    }
    json_t *mp = with_memory_policy ? json_object_get(body, "memory_policy") : NULL;
    if (mp && !json_is_null(mp)) {
        if (session_policy_memory(mp, "body.memory_policy", &e) != 0) {
            session_call_policy_error(s, &e);
            settings_clear(out);
            return -1;
        }
        out->memory_policy = mp;
    }
    return 0;
}

static void sessions_create(struct http_request *req, struct generation *gen,
                            struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 0, &s) != 0)
        return;
    json_t *body = session_call_body(&s, 1, NULL);
    if (!body)
        return;
    const char *id;
    char generated[40];
    struct session_settings set;
    if (api_field_string(&s.c, body, "session_id", 0, &id) != 0 ||
        sessions_settings(&s, body, 1, &set) != 0)
        goto done;
    if (!id) {
        if (sessions_new_id(generated) != 0) {
            http_reply_error(reply, "INTERNAL", NULL, "no random bytes for a session id");
            settings_clear(&set);
            goto done;
        }
        id = generated;
    }
    if (session_ref_init(&s.ref, s.c.who.account, s.c.who.user, id) != 0) {
        api_invalid(&s.c, "body.session_id", "'%s' is not a valid session id (1 to 64 of A-Z a-z "
                    "0-9 _ . @ -)", id);
        settings_clear(&set);
        goto done;
    }
    char err[512];
    json_t *meta = NULL;
    enum session_status st = session_create(s.engine, &s.ref, set.memory_policy,
                                            set.auto_commit_policy, set.extraction_config, &meta,
                                            err, sizeof err);
    settings_clear(&set);
    if (st != SESSION_OK) {
        session_call_error(&s, st, err);
        goto done;
    }
    http_reply_ok(reply, json_pack("{s:s, s:s, s:{s:s, s:s}, s:O, s:O}", "session_id", s.ref.id,
                                   "uri", s.ref.uri, "user", "account_id", s.ref.account,
                                   "user_id", s.ref.user, "auto_commit_policy",
                                   json_object_get(meta, "auto_commit_policy"),
                                   "memory_extraction_config",
                                   json_object_get(meta, "memory_extraction_config")));
    json_decref(meta);
done:
    json_decref(body);
}

static void sessions_list(struct http_request *req, struct generation *gen,
                          struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 0, &s) != 0)
        return;
    json_t *out = NULL;
    char err[512];
    if (session_view_list(s.c.store, s.c.who.account, s.c.who.user, &out, err, sizeof err) !=
        SESSION_OK)
        http_reply_error(reply, "INTERNAL", NULL, "listing sessions: %s", err);
    else
        http_reply_ok(reply, out);
}

static void sessions_get(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct session_call s;
    int auto_create;
    if (session_call_begin(req, gen, reply, 1, &s) != 0 ||
        api_query_bool(&s.c, "auto_create", 0, &auto_create) != 0)
        return;
    json_t *out = NULL;
    char err[512];
    enum session_status st = session_view_get(s.engine, &s.ref, auto_create, &out, err, sizeof err);
    if (st != SESSION_OK)
        session_call_error(&s, st, err);
    else
        http_reply_ok(reply, out);
}

static int config_apply(json_t *meta, void *arg)
{
    struct session_settings *set = arg;
    if (set->extraction_config &&
        json_object_set(meta, "memory_extraction_config", set->extraction_config) != 0)
        return -1;
    if (set->policy_set &&
        json_object_set(meta, "auto_commit_policy",
                        set->auto_commit_policy ? set->auto_commit_policy : json_null()) != 0)
        return -1;
    return 0;
}

static void sessions_config(struct http_request *req, struct generation *gen,
                            struct http_reply *reply)
{
    static const char *const fields[] = {"memory_extraction_config", "auto_commit_policy",
                                         "telemetry", NULL};
    struct session_call s;
    if (session_call_begin(req, gen, reply, 1, &s) != 0)
        return;
    json_t *body = session_call_body(&s, 1, fields);
    struct session_settings set;
    if (!body || sessions_settings(&s, body, 0, &set) != 0) {
        json_decref(body);
        return;
    }
    json_t *meta = NULL;
    char err[512];
    enum session_status st = session_update_meta(s.engine, &s.ref, config_apply, &set, &meta, err,
                                                 sizeof err);
    settings_clear(&set);
    json_decref(body);
    if (st != SESSION_OK) {
        session_call_error(&s, st, err);
        return;
    }
    http_reply_ok(reply, json_pack("{s:s, s:O, s:O}", "session_id", s.ref.id,
                                   "auto_commit_policy", json_object_get(meta, "auto_commit_policy"),
                                   "memory_extraction_config",
                                   json_object_get(meta, "memory_extraction_config")));
    json_decref(meta);
}

static void sessions_delete(struct http_request *req, struct generation *gen,
                            struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 1, &s) != 0)
        return;
    char err[512];
    enum session_status st = session_delete(s.engine, &s.ref, err, sizeof err);
    if (st != SESSION_OK)
        session_call_error(&s, st, err);
    else
        http_reply_ok(reply, json_pack("{s:s}", "session_id", s.ref.id));
}

static void sessions_context(struct http_request *req, struct generation *gen,
                             struct http_reply *reply)
{
    struct session_call s;
    long long budget;
    if (session_call_begin(req, gen, reply, 1, &s) != 0 ||
        api_query_int(&s.c, "token_budget", CONTEXT_BUDGET_DEFAULT, 0, 1LL << 40, &budget) != 0)
        return;
    json_t *out = NULL;
    char err[512];
    enum session_status st = session_view_context(s.engine, &s.ref, budget, &out, err, sizeof err);
    if (st != SESSION_OK)
        session_call_error(&s, st, err);
    else
        http_reply_ok(reply, out);
}

/* 404 for a session that does not exist, before a route looks inside it. */
static int sessions_exists(struct session_call *s)
{
    struct store_node n = {0};
    char err[512];
    int rc = store_get(s->c.store, s->ref.account, s->ref.uri, 0, &n, err, sizeof err);
    int dir = n.kind == STORE_DIR;
    store_node_clear(&n);
    if (rc == STORE_OK && dir)
        return 0;
    session_call_error(s, rc == STORE_OK || rc == STORE_ENOTFOUND ? SESSION_NOT_FOUND : SESSION_FAILED,
                       err);
    return -1;
}

static void sessions_archive(struct http_request *req, struct generation *gen,
                             struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 1, &s) != 0 || sessions_exists(&s) != 0)
        return;
    const char *archive_id = http_request_param(req, 1);
    json_t *out = NULL;
    char err[512];
    enum session_status st = session_view_archive(s.c.store, &s.ref, archive_id, &out, err,
                                                  sizeof err);
    if (st == SESSION_NOT_FOUND)
        http_reply_error(reply, "NOT_FOUND",
                         json_pack("{s:s, s:s}", "type", "archive", "resource", archive_id),
                         "Archive %s not found", archive_id);
    else if (st != SESSION_OK)
        session_call_error(&s, st, err);
    else
        http_reply_ok(reply, out);
}

struct used_args {
    json_t *contexts; /* array of canonical URIs */
    json_t *skill;    /* object or NULL */
};

/* Appends to a bounded list in the meta. */
static int used_push(json_t *meta, const char *key, json_t *value)
{
    json_t *list = json_object_get(meta, key);
    if (!json_is_array(list)) {
        list = json_array();
        if (!list || json_object_set_new(meta, key, list) != 0)
            return -1;
    }
    if (json_array_append(list, value) != 0)
        return -1;
    while (json_array_size(list) > USED_KEEP)
        json_array_remove(list, 0);
    return 0;
}

static int used_apply(json_t *meta, void *arg)
{
    struct used_args *u = arg;
    size_t i;
    json_t *v;
    json_array_foreach(u->contexts, i, v) {
        if (used_push(meta, "used_contexts", v) != 0)
            return -1;
    }
    return u->skill ? used_push(meta, "used_skills", u->skill) : 0;
}

static void sessions_used(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 1, &s) != 0)
        return;
    json_t *body = session_call_body(&s, 0, NULL);
    if (!body)
        return;
    struct used_args u = {json_array(), NULL};
    json_t *contexts = json_object_get(body, "contexts");
    json_t *skill = json_object_get(body, "skill");
    size_t i;
    json_t *v;
    if (contexts && !json_is_null(contexts) && !json_is_array(contexts)) {
        api_invalid(&s.c, "body.contexts", "must be a list of URIs");
        goto done;
    }
    json_array_foreach(contexts, i, v) {
        char canon[VIKING_URI_MAX + 1], loc[48];
        snprintf(loc, sizeof loc, "body.contexts.%zu", i);
        if (!json_is_string(v)) {
            api_invalid(&s.c, loc, "must be a string");
            goto done;
        }
        if (api_uri(&s.c, loc, json_string_value(v), canon) != 0)
            goto done;
        json_array_append_new(u.contexts, json_string(canon));
    }
    if (skill && !json_is_null(skill)) {
        if (!json_is_object(skill) || !json_is_string(json_object_get(skill, "uri"))) {
            api_invalid(&s.c, "body.skill", "must be an object with a uri");
            goto done;
        }
        u.skill = skill;
    }
    char err[512];
    enum session_status st = session_update_meta(s.engine, &s.ref, used_apply, &u, NULL, err,
                                                 sizeof err);
    if (st != SESSION_OK)
        session_call_error(&s, st, err);
    else
        http_reply_ok(reply, json_pack("{s:s, s:I, s:I}", "session_id", s.ref.id, "contexts_used",
                                       (json_int_t)json_array_size(u.contexts), "skills_used",
                                       (json_int_t)(u.skill ? 1 : 0)));
done:
    json_decref(u.contexts);
    json_decref(body);
}

static void sessions_extract(struct http_request *req, struct generation *gen,
                             struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 1, &s) != 0)
        return;
    struct skald_call_ctx ctx;
    char cerr[512], err[512];
    http_request_call_ctx(req, gen, &ctx, cerr, sizeof cerr);
    json_t *out = NULL;
    int call_rc;
    enum session_status st = session_extract_now(s.engine, gen, &s.ref, &ctx, &out, &call_rc, err,
                                                 sizeof err);
    if (st == SESSION_UNAVAILABLE)
        http_reply_error(reply, http_error_code_for_plugin(call_rc), NULL,
                         "memory extraction of session %s: %s", s.ref.id, err);
    else if (st != SESSION_OK)
        session_call_error(&s, st, err);
    else
        http_reply_ok(reply, out);
}

/* Tool outputs are not externalised yet: a session lists none, and none can be read. */
static void sessions_tool_results(struct http_request *req, struct generation *gen,
                                  struct http_reply *reply)
{
    struct session_call s;
    long long limit;
    if (session_call_begin(req, gen, reply, 1, &s) != 0 ||
        api_query_int(&s.c, "limit", 50, 1, 1000000, &limit) != 0 || sessions_exists(&s) != 0)
        return;
    http_reply_ok(reply, json_pack("{s:[]}", "tool_results"));
}

static void sessions_tool_result(struct http_request *req, struct generation *gen,
                                 struct http_reply *reply)
{
    struct session_call s;
    long long offset, limit;
    if (session_call_begin(req, gen, reply, 1, &s) != 0 ||
        api_query_int(&s.c, "offset", 0, 0, 1LL << 40, &offset) != 0 ||
        api_query_int(&s.c, "limit", 20000, -1, 1LL << 40, &limit) != 0 || sessions_exists(&s) != 0)
        return;
    const char *trid = http_request_param(req, 1);
    http_reply_error(reply, "NOT_FOUND", json_pack("{s:s, s:s}", "type", "tool_result", "resource", trid),
                     "Tool result not found: %s", trid);
}

const struct route routes_sessions[] = {
    {"POST", "/api/v1/sessions", 0, NULL, sessions_create},
    {"GET", "/api/v1/sessions", 0, NULL, sessions_list},
    {"GET", "/api/v1/sessions/*", 0, NULL, sessions_get},
    {"DELETE", "/api/v1/sessions/*", 0, NULL, sessions_delete},
    {"PATCH", "/api/v1/sessions/*/config", 0, NULL, sessions_config},
    {"GET", "/api/v1/sessions/*/context", 0, NULL, sessions_context},
    {"GET", "/api/v1/sessions/*/archives/*", 0, NULL, sessions_archive},
    {"POST", "/api/v1/sessions/*/messages", 0, NULL, routes_session_messages},
    {"POST", "/api/v1/sessions/*/messages/batch", 0, NULL, routes_session_batch},
    {"POST", "/api/v1/sessions/*/commit", 0, NULL, routes_session_commit},
    {"POST", "/api/v1/sessions/*/used", 0, NULL, sessions_used},
    {"POST", "/api/v1/sessions/*/extract", 0, NULL, sessions_extract},
    {"GET", "/api/v1/sessions/*/tool-results", 0, NULL, sessions_tool_results},
    {"GET", "/api/v1/sessions/*/tool-results/*", 0, NULL, sessions_tool_result},
    {"GET", "/api/v1/sessions/*/tool-results/*/search", 0, NULL, sessions_tool_result},
    {NULL, NULL, 0, NULL, NULL},
};
