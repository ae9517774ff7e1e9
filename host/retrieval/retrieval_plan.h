/*
 * search's query planner (OpenViking section 7, "intent analysis"): the VLM plugin reads the
 * session's latest archive overview and recent messages and proposes up to five typed queries
 * (query, context_type, intent, priority) that the retriever then runs beside the user's own.
 * The model gets at most half the time the request has left (and never more than
 * RETRIEVAL_PLAN_MAX_MS), so a slow or failing model still leaves time to answer with the plain
 * query; every failure is logged and counted (`planner_fallbacks_total` on the VLM instance).
 */
#ifndef SKALD_RETRIEVAL_PLAN_H
#define SKALD_RETRIEVAL_PLAN_H

#include <stddef.h>

#include <jansson.h>

#include "retrieval/retrieval.h"

#define RETRIEVAL_PLAN_MAX_QUERIES 5
#define RETRIEVAL_PLAN_MAX_MS 10000
#define RETRIEVAL_PLAN_RECENT 5 /* live messages the planner sees */

struct retrieval_planned_query {
    char *query;            /* owned */
    char context_type[16];  /* memory, resource or skill */
    char *intent;           /* owned, may be "" */
    int priority;           /* 1..5 */
};

struct retrieval_plan {
    char *reasoning; /* owned, may be "" */
    struct retrieval_planned_query queries[RETRIEVAL_PLAN_MAX_QUERIES];
    size_t n;
};

/* Asks the VLM for a plan for query given the session context. ctypes limits the types it may
 * propose. Returns 0, or -1 with why (the model failed, timed out or answered no usable plan). */
int retrieval_plan_make(const struct retrieval_env *env, const char *query, const char *overview,
                        const char *recent, unsigned ctypes, struct retrieval_plan *out, char *why,
                        size_t why_cap);

/* Parses a model's answer: a JSON object {"reasoning","queries":[...]}, a bare array of queries
 * or one query object, possibly inside a Markdown code fence or prose. Items without a non-empty
 * "query" are skipped; an unknown context_type becomes "resource", a priority outside 1..5 becomes
 * 3; at most five are kept. Returns 0, or -1 with why when no plan can be read (an answer whose
 * every item is malformed counts as none). */
int retrieval_plan_parse(const char *text, struct retrieval_plan *out, char *why, size_t why_cap);

/* {"reasoning","queries":[{"query","context_type","intent","priority"}]} */
json_t *retrieval_plan_json(const struct retrieval_plan *p);
void retrieval_plan_clear(struct retrieval_plan *p);

#endif
