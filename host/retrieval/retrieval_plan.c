#include "retrieval/retrieval_plan.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "retrieval/retrieval_internal.h"

/* Caps on what goes into the prompt. */
#define PLAN_OVERVIEW_MAX 30000
#define PLAN_ANSWER_MAX (64 * 1024)
#define PLAN_MAX_TOKENS 1024

static const char plan_system[] =
    "You plan retrieval for an AI agent's context database. From the session summary, the recent "
    "messages and the current query, write the searches that would find what the agent needs "
    "next. Answer with JSON only: {\"reasoning\": \"one sentence\", \"queries\": [{\"query\": "
    "\"...\", \"context_type\": \"memory|resource|skill\", \"intent\": \"...\", \"priority\": "
    "1-5}]} with at most 5 queries (priority 1 is the most important). Use memory for facts about "
    "the user, resource for documents and knowledge, skill for tools and procedures.";

void retrieval_plan_clear(struct retrieval_plan *p)
{
    free(p->reasoning);
    for (size_t i = 0; i < p->n; i++) {
        free(p->queries[i].query);
        free(p->queries[i].intent);
    }
    memset(p, 0, sizeof *p);
}

static int plan_priority(const json_t *v)
{
    double d = 3;
    if (json_is_integer(v) || json_is_real(v))
        d = json_number_value(v);
    else if (json_is_string(v))
        d = strtod(json_string_value(v), NULL);
    return d >= 1 && d <= 5 && floor(d) == d ? (int)d : 3;
}

static char *plan_trimmed(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

/* Adds one query item; 0 added, 1 skipped (malformed), -1 out of memory. */
static int plan_add(struct retrieval_plan *p, const json_t *item)
{
    const char *q = json_string_value(json_object_get(item, "query"));
    if (!json_is_object(item) || !q)
        return 1;
    char *query = plan_trimmed(q);
    if (!query)
        return -1;
    if (!*query) {
        free(query);
        return 1;
    }
    struct retrieval_planned_query *pq = &p->queries[p->n];
    const char *ct = json_string_value(json_object_get(item, "context_type"));
    char lower[16] = "";
    for (size_t i = 0; ct && ct[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)ct[i]);
    snprintf(pq->context_type, sizeof pq->context_type, "%s",
             retrieval_ctype_bit(lower) ? lower : "resource");
    const char *intent = json_string_value(json_object_get(item, "intent"));
    pq->intent = strdup(intent ? intent : "");
    pq->query = query;
    pq->priority = plan_priority(json_object_get(item, "priority"));
    if (!pq->intent) {
        free(query);
        return -1;
    }
    p->n++;
    return 0;
}

/* The first JSON object or array in text (models wrap JSON in fences and prose). */
static json_t *plan_find_json(const char *text)
{
    for (const char *p = text; (p = strpbrk(p, "{[")); p++) {
        json_t *j = json_loads(p, JSON_DISABLE_EOF_CHECK, NULL);
        if (j)
            return j;
    }
    return NULL;
}

int retrieval_plan_parse(const char *text, struct retrieval_plan *out, char *why, size_t why_cap)
{
    memset(out, 0, sizeof *out);
    json_t *doc = plan_find_json(text);
    if (!doc) {
        snprintf(why, why_cap, "the model's answer holds no JSON");
        return -1;
    }
    json_t *queries = NULL;
    const char *reasoning = "";
    if (json_is_array(doc)) {
        queries = doc;
    } else if (json_object_get(doc, "queries")) {
        queries = json_object_get(doc, "queries");
        reasoning = json_string_value(json_object_get(doc, "reasoning"));
    } else if (json_object_get(doc, "query")) {
        queries = doc;
    } else if (json_object_get(doc, "reasoning")) {
        reasoning = json_string_value(json_object_get(doc, "reasoning"));
    } else {
        json_decref(doc);
        snprintf(why, why_cap, "the model's JSON has neither 'queries' nor 'query'");
        return -1;
    }
    out->reasoning = strdup(reasoning ? reasoning : "");
    int rc = out->reasoning ? 0 : -1;
    size_t items = json_is_array(queries) ? json_array_size(queries) : (queries ? 1 : 0);
    size_t skipped = 0;
    for (size_t i = 0; rc == 0 && i < items && out->n < RETRIEVAL_PLAN_MAX_QUERIES; i++) {
        int added = plan_add(out, json_is_array(queries) ? json_array_get(queries, i) : queries);
        if (added < 0)
            rc = -1;
        skipped += added > 0;
    }
    json_decref(doc);
    if (rc != 0) {
        snprintf(why, why_cap, "out of memory");
    } else if (items > 0 && out->n == 0) {
        snprintf(why, why_cap, "none of the model's %zu queries is valid", items);
        rc = -1;
    } else if (skipped) {
        log_warn("retrieval: the query planner's answer had %zu malformed queries, skipped", skipped);
    }
    if (rc != 0)
        retrieval_plan_clear(out);
    return rc;
}

json_t *retrieval_plan_json(const struct retrieval_plan *p)
{
    json_t *queries = json_array();
    for (size_t i = 0; queries && i < p->n; i++)
        json_array_append_new(queries, json_pack("{s:s, s:s, s:s, s:i}", "query", p->queries[i].query,
                                                 "context_type", p->queries[i].context_type,
                                                 "intent", p->queries[i].intent, "priority",
                                                 p->queries[i].priority));
    return json_pack("{s:s, s:o}", "reasoning", p->reasoning ? p->reasoning : "", "queries", queries);
}

struct plan_sink {
    char *buf;
    size_t len;
    int overflow;
};

static int plan_collect(void *arg, const char *text, size_t len)
{
    struct plan_sink *s = arg;
    if (s->len + len > PLAN_ANSWER_MAX) {
        s->overflow = 1;
        return 1;
    }
    char *grown = realloc(s->buf, s->len + len + 1);
    if (!grown) {
        s->overflow = 1;
        return 1;
    }
    memcpy(grown + s->len, text, len);
    s->len += len;
    grown[s->len] = '\0';
    s->buf = grown;
    return 0;
}

static char *plan_prompt(const char *query, const char *overview, const char *recent,
                         unsigned ctypes)
{
    char types[40] = "";
    static const char *const names[] = {"memory", "resource", "skill"};
    for (int i = 0; i < 3; i++)
        if (ctypes & (1u << i))
            snprintf(types + strlen(types), sizeof types - strlen(types), "%s%s",
                     types[0] ? ", " : "", names[i]);
    char *prompt = NULL;
    if (asprintf(&prompt,
                 "## Session summary\n%.*s\n\n## Recent messages\n%s\n\n## Current query\n%s\n\n"
                 "## Allowed context types\n%s\n",
                 PLAN_OVERVIEW_MAX, *overview ? overview : "None", *recent ? recent : "None",
                 query, types) < 0)
        return NULL;
    return prompt;
}

static void plan_fallback(struct plugin_instance *vlm, const char *why)
{
    vlm->host.metric_add(&vlm->host, "planner_fallbacks_total", 1);
    struct log_field fields[] = {LOG_STR("plugin", vlm->module->name), LOG_STR("error", why)};
    log_fields(LOG_LEVEL_WARN, "retrieval: query planner failed, searching with the plain query",
               fields, 2);
}

int retrieval_plan_make(const struct retrieval_env *env, const char *query, const char *overview,
                        const char *recent, unsigned ctypes, struct retrieval_plan *out, char *why,
                        size_t why_cap)
{
    memset(out, 0, sizeof *out);
    struct plugin_instance *vlm = env->gen->backends[BACKEND_VLM]->inst;
    char *prompt = plan_prompt(query, overview, recent, ctypes);
    if (!prompt) {
        snprintf(why, why_cap, "out of memory");
        plan_fallback(vlm, why);
        return -1;
    }
    char err[512];
    struct skald_call_ctx ctx;
    retrieval_sub_ctx(env->ctx, 0.5, &ctx, err, sizeof err);
    int64_t cap = clock_monotonic_ns() + (int64_t)RETRIEVAL_PLAN_MAX_MS * 1000000;
    if (ctx.deadline_ns == 0 || ctx.deadline_ns > cap)
        ctx.deadline_ns = cap;
    struct skald_vlm_message msg = {"user", prompt, NULL, 0};
    struct skald_vlm_request req = {sizeof req, PLAN_MAX_TOKENS, 0.0, plan_system, &msg, 1};
    struct plan_sink sink = {0};
    int rc = plugin_instance_ops(vlm, vlm)->complete(vlm->handle, &ctx, &req, plan_collect, &sink);
    free(prompt);
    if (rc != SKALD_OK || sink.overflow) {
        snprintf(why, why_cap, "%s: %s", vlm->module->name,
                 sink.overflow ? "answer too long" : err[0] ? err : "failed");
        rc = -1;
    } else {
        rc = retrieval_plan_parse(sink.buf ? sink.buf : "", out, why, why_cap);
    }
    free(sink.buf);
    if (rc != 0)
        plan_fallback(vlm, why);
    return rc;
}
