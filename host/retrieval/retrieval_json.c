#include "retrieval/retrieval_json.h"

#include <stdio.h>
#include <string.h>

#include "retrieval/retrieval_score.h"

json_t *retrieval_json_hit(const struct retrieval_hit *h)
{
    char uri[VIKING_URI_MAX + 32];
    retrieval_record_display_uri(&h->rec, uri, sizeof uri);
    json_t *tags = h->rec.tags ? json_incref(h->rec.tags) : json_array();
    return json_pack("{s:s, s:s, s:i, s:f, s:s, s:o}", "context_type", h->rec.context_type, "uri",
                     uri, "level", h->rec.level, "score", retrieval_score_wire(h->score),
                     "abstract", h->rec.abstract, "tags", tags);
}

json_t *retrieval_json_result(const struct retrieval_hits *hits)
{
    json_t *memories = json_array(), *resources = json_array(), *skills = json_array();
    json_t *result = json_pack("{s:o, s:o, s:o, s:I}", "memories", memories, "resources",
                               resources, "skills", skills, "total", (json_int_t)hits->n);
    if (!result)
        return NULL;
    for (size_t i = 0; i < hits->n; i++) {
        const char *ct = hits->items[i].rec.context_type;
        json_t *group = strcmp(ct, "memory") == 0 ? memories
                        : strcmp(ct, "skill") == 0 ? skills
                                                   : resources;
        if (json_array_append_new(group, retrieval_json_hit(&hits->items[i])) != 0) {
            json_decref(result);
            return NULL;
        }
    }
    return result;
}

static void provenance_trace(const struct retrieval_trace *t, size_t n, char *out, size_t cap)
{
    if (!t->thinking) {
        snprintf(out, cap, "quick: flat vector search, %zu hits", n);
        return;
    }
    size_t dirs = json_array_size(t->searched_dirs);
    if (t->rerank_fallback)
        snprintf(out, cap, "thinking: %zu directories searched; reranker failed (%s), ranked by "
                 "vector scores; %zu hits", dirs, t->rerank_error, n);
    else
        snprintf(out, cap, "thinking: %zu directories searched; %s; %zu hits", dirs,
                 t->reranked ? "reranked" : "nothing to rerank", n);
}

json_t *retrieval_json_provenance(const char *query, const struct retrieval_hits *hits,
                                  const struct retrieval_trace *trace)
{
    json_t *matched = json_array();
    for (size_t i = 0; matched && i < hits->n; i++) {
        const struct retrieval_hit *h = &hits->items[i];
        static const char *const tiers[] = {"L0", "L1", "L2"};
        char uri[VIKING_URI_MAX + 32];
        retrieval_record_display_uri(&h->rec, uri, sizeof uri);
        json_array_append_new(matched, json_pack("{s:s, s:s, s:s, s:f, s:s}", "uri", uri, "tier",
                                                 tiers[h->rec.level], "context_type",
                                                 h->rec.context_type, "score",
                                                 retrieval_score_wire(h->score), "match_reason",
                                                 h->reranked ? "rerank" : "vector"));
    }
    char text[512];
    provenance_trace(trace, hits->n, text, sizeof text);
    json_t *dirs = trace->searched_dirs ? json_incref(trace->searched_dirs) : json_array();
    return json_pack("{s:s, s:o, s:o, s:s}", "query", query, "searched_directories", dirs,
                     "matched_contexts", matched, "thinking_trace", text);
}

void retrieval_json_refusal(struct http_reply *reply, const struct retrieval_error *e)
{
    if (strcmp(e->code, "INVALID_ARGUMENT") == 0) {
        json_t *locs = json_array();
        char copy[sizeof e->loc];
        snprintf(copy, sizeof copy, "%s", e->loc);
        for (char *save = NULL, *part = strtok_r(copy, ".", &save); part;
             part = strtok_r(NULL, ".", &save))
            json_array_append_new(locs, json_string(part));
        http_reply_error(reply, "INVALID_ARGUMENT",
                         json_pack("{s:[{s:o, s:s, s:s}]}", "validation_errors", "loc", locs,
                                   "message", e->message, "type", "value_error"),
                         "Invalid request parameters: %s: %s", e->loc, e->message);
    } else if (strcmp(e->code, "INVALID_URI") == 0 || strcmp(e->code, "PERMISSION_DENIED") == 0) {
        http_reply_error(reply, e->code, json_pack("{s:s, s:s}", "uri", e->uri, "field", e->loc),
                         "%s", e->message);
    } else {
        http_reply_error(reply, e->code, json_pack("{s:s}", "field", e->loc), "%s", e->message);
    }
}
