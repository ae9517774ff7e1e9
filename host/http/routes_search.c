/*
 * POST /api/v1/search/find and POST /api/v1/search/search (OpenViking sections 2.6 and 7).
 * find: one query through the retriever. search: the same, plus, with a session_id, the query
 * planner's typed sub-queries, each run through the retriever and merged with the plain query's
 * hits; the plan is returned as query_plan. Both run on workers and answer within the request's
 * call deadline whatever the models do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "http/api_call.h"
#include "http/router.h"
#include "retrieval/retrieval.h"
#include "retrieval/retrieval_json.h"
#include "retrieval/retrieval_plan.h"
#include "retrieval/retrieval_session.h"

#define FIND_FIELDS                                                                            \
    "query", "image_url", "target_uri", "context_type", "limit", "node_limit",                 \
        "score_threshold", "filter", "include_provenance", "tags", "since", "until",           \
        "time_field", "level", "telemetry"

static const char *const find_fields[] = {FIND_FIELDS, NULL};
static const char *const search_fields[] = {FIND_FIELDS, "session_id", "mode", NULL};

/* The request's spec, or the error reply and -1. */
static int search_spec(struct api_call *c, json_t *body, struct retrieval_spec *spec)
{
    struct retrieval_error e;
    if (retrieval_spec_parse(body, &c->who, clock_wall_ms(), spec, &e) == 0)
        return 0;
    retrieval_json_refusal(c->reply, &e);
    return -1;
}

/* One query through the retriever, its hits merged into `all` (best score per URI kept) and its
 * provenance appended when asked for. SKALD_OK or the failing plugin's status. */
static int search_run(const struct retrieval_env *env, const struct retrieval_spec *spec,
                      const char *query, unsigned ctypes, struct retrieval_hits *all,
                      json_t *provenance, char *err, size_t err_cap)
{
    struct retrieval_hits hits = {0};
    struct retrieval_trace trace = {0};
    int rc = retrieval_find(env, spec, query, ctypes, &hits, &trace, err, err_cap);
    for (size_t i = 0; rc == SKALD_OK && i < hits.n; i++) {
        const struct retrieval_hit *h = &hits.items[i];
        if (retrieval_hits_add(all, &h->rec, h->vector_score, h->score) < 0) {
            snprintf(err, err_cap, "out of memory");
            rc = SKALD_ENOMEM;
            break;
        }
        struct retrieval_hit *kept = &all->items[retrieval_hits_find(all, h->rec.uri)];
        if (kept->score == h->score)
            kept->reranked = h->reranked;
    }
    if (rc == SKALD_OK && provenance)
        json_array_append_new(provenance, retrieval_json_provenance(query, &hits, &trace));
    retrieval_hits_free(&hits);
    retrieval_trace_clear(&trace);
    return rc;
}

/* The answer from the merged hits: best first, cut to the limit. */
static void search_answer(struct http_reply *reply, const struct retrieval_spec *spec,
                          struct retrieval_hits *all, json_t *query_plan, json_t *provenance)
{
    retrieval_hits_sort(all);
    retrieval_hits_truncate(all, (size_t)spec->limit);
    json_t *result = retrieval_json_result(all);
    if (result && query_plan)
        json_object_set(result, "query_plan", query_plan);
    if (result && provenance)
        json_object_set(result, "provenance", provenance);
    if (result)
        http_reply_ok(reply, result);
    else
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
}

static void search_failed(struct http_reply *reply, int rc, const char *err)
{
    http_reply_error(reply, http_error_code_for_plugin(rc), NULL, "search failed: %s",
                     err[0] ? err : "a backend failed");
}

static void find_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, find_fields);
    if (!body)
        return;
    struct retrieval_spec spec;
    int parsed = search_spec(&c, body, &spec);
    json_decref(body);
    if (parsed != 0)
        return;
    char err[512] = "";
    struct skald_call_ctx ctx;
    http_request_call_ctx(req, gen, &ctx, err, sizeof err);
    struct retrieval_env env = {gen, &c.who, &ctx};
    struct retrieval_hits all = {0};
    json_t *provenance = spec.provenance ? json_array() : NULL;
    int rc = search_run(&env, &spec, spec.query, RETRIEVAL_CT_ALL, &all, provenance, err, sizeof err);
    if (rc == SKALD_OK)
        search_answer(reply, &spec, &all, NULL, provenance);
    else
        search_failed(reply, rc, err);
    json_decref(provenance);
    retrieval_hits_free(&all);
    retrieval_spec_clear(&spec);
}

/* mode: "list" (default) or "context" (context assembly, not offered); other fields as find's
 * plus session_id. Returns the body, or NULL after the error reply. */
static json_t *search_body(struct api_call *c)
{
    json_t *body = api_body(c, NULL);
    if (!body)
        return NULL;
    json_t *mode = json_object_get(body, "mode");
    const char *m = json_is_null(mode) || !mode ? "list" : json_string_value(mode);
    if (!m || (strcmp(m, "list") != 0 && strcmp(m, "context") != 0)) {
        api_invalid(c, "body.mode", "must be 'list' or 'context'");
    } else if (strcmp(m, "context") == 0) {
        http_reply_error(c->reply, "UNIMPLEMENTED", json_pack("{s:s}", "mode", "context"),
                         "search mode 'context' (context assembly) is not supported; use 'list'");
    } else if (api_body_fields(c, body, search_fields) == 0) {
        return body;
    }
    json_decref(body);
    return NULL;
}

/* With a session: its context for the planner, or 404 for an unknown session (-1 after the
 * reply). *overview and *recent are NULL when there is no session_id. */
static int search_session(struct api_call *c, json_t *body, char **overview, char **recent)
{
    *overview = *recent = NULL;
    const char *sid;
    if (api_field_string(c, body, "session_id", 0, &sid) != 0)
        return -1;
    if (!sid || !*sid)
        return 0;
    char err[512];
    int rc = retrieval_session_context(c->store, c->who.account, c->who.user, sid,
                                       RETRIEVAL_PLAN_RECENT, overview, recent, err, sizeof err);
    if (rc == STORE_ENOTFOUND) {
        http_reply_error(c->reply, "NOT_FOUND", json_pack("{s:s, s:s}", "type", "session", "resource", sid),
                         "Session not found: %s", sid);
        return -1;
    }
    if (rc != STORE_OK) {
        http_reply_error(c->reply, "INTERNAL", NULL, "reading session %s: %s", sid, err);
        return -1;
    }
    return 0;
}

static void search_handle(struct http_request *req, struct generation *gen,
                          struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = search_body(&c);
    if (!body)
        return;
    struct retrieval_spec spec;
    char *overview = NULL, *recent = NULL;
    int parsed = search_spec(&c, body, &spec);
    if (parsed == 0 && search_session(&c, body, &overview, &recent) != 0) {
        retrieval_spec_clear(&spec);
        parsed = -1;
    }
    json_decref(body);
    if (parsed != 0)
        return;
    char err[512] = "";
    struct skald_call_ctx ctx;
    http_request_call_ctx(req, gen, &ctx, err, sizeof err);
    struct retrieval_env env = {gen, &c.who, &ctx};
    struct retrieval_plan plan = {0};
    json_t *query_plan = NULL;
    /* Nothing to plan from without a session or with an empty one. */
    if (overview && (*overview || *recent)) {
        char why[512];
        if (retrieval_plan_make(&env, spec.query, overview, recent, spec.ctypes, &plan, why,
                                sizeof why) == 0)
            query_plan = retrieval_plan_json(&plan);
    }
    struct retrieval_hits all = {0};
    json_t *provenance = spec.provenance ? json_array() : NULL;
    int rc = search_run(&env, &spec, spec.query, RETRIEVAL_CT_ALL, &all, provenance, err, sizeof err);
    for (size_t i = 0; rc == SKALD_OK && i < plan.n; i++) {
        unsigned ct = retrieval_ctype_bit(plan.queries[i].context_type);
        /* A planned query outside the requested types adds nothing. */
        if (ct & spec.ctypes)
            rc = search_run(&env, &spec, plan.queries[i].query, ct, &all, provenance, err,
                            sizeof err);
    }
    if (rc == SKALD_OK)
        search_answer(reply, &spec, &all, query_plan, provenance);
    else
        search_failed(reply, rc, err);
    json_decref(query_plan);
    json_decref(provenance);
    retrieval_plan_clear(&plan);
    retrieval_hits_free(&all);
    retrieval_spec_clear(&spec);
    free(overview);
    free(recent);
}

const struct route routes_search[] = {
    {"POST", "/api/v1/search/find", 0, NULL, find_handle},
    {"POST", "/api/v1/search/search", 0, NULL, search_handle},
    {NULL, NULL, 0, NULL, NULL},
};
