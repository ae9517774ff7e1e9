/*
 * rerank_http: the rerank API shared by Jina, Cohere and vLLM: POST {base_url}/rerank with model,
 * query, documents and top_n; the answer's results[{index, relevance_score}] become the scores
 * (`score` is accepted too, as Hugging Face TEI names it). A document the provider leaves out
 * ranks below every returned one. No keys beyond the common ones.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

#include "plugin_util.h"
#include "remote_client.h"

struct rerank_http {
    struct remote_client *client;
};

/* Where one call's answer goes. */
struct rerank_http_out {
    size_t n;
    float *scores;
};

static int rerank_http_create(const struct skald_host *host, void **instance, char *err,
                              size_t err_cap)
{
    struct rerank_http *r = calloc(1, sizeof *r);
    if (!r)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    int rc = remote_client_create(host, "rerank_http", NULL, &r->client, err, err_cap);
    if (rc != SKALD_OK) {
        free(r);
        return rc;
    }
    *instance = r;
    return SKALD_OK;
}

static void rerank_http_destroy(void *instance)
{
    struct rerank_http *r = instance;
    remote_client_destroy(r->client);
    free(r);
}

static json_t *rerank_http_request(const struct rerank_http *r, const char *query,
                                   const char *const *docs, size_t n)
{
    json_t *documents = json_array();
    json_t *body = json_object();
    int bad = !documents || !body || !query;
    for (size_t i = 0; i < n && !bad; i++)
        bad = !docs[i] || json_array_append_new(documents, json_string(docs[i])) != 0;
    if (!bad)
        bad = json_object_set_new(body, "model",
                                  json_string(remote_client_config(r->client)->model)) ||
              json_object_set_new(body, "query", json_string(query)) ||
              json_object_set(body, "documents", documents) ||
              json_object_set_new(body, "top_n", json_integer((json_int_t)n));
    json_decref(documents);
    if (bad) {
        json_decref(body);
        return NULL;
    }
    return body;
}

static int rerank_http_check(void *arg, json_t *answer, char *why, size_t why_cap)
{
    struct rerank_http_out *o = arg;
    json_t *results = json_object_get(answer, "results");
    if (!json_is_array(results))
        return plugin_fail(why, why_cap, SKALD_EUNAVAILABLE, "the answer has no 'results' array");
    unsigned char *seen = calloc(o->n, 1);
    if (!seen)
        return plugin_fail(why, why_cap, SKALD_ENOMEM, "out of memory");
    int rc = SKALD_OK;
    float lowest = FLT_MAX;
    size_t i;
    json_t *item;
    json_array_foreach(results, i, item)
    {
        json_t *idx = json_object_get(item, "index");
        json_t *score = json_object_get(item, "relevance_score");
        if (!score)
            score = json_object_get(item, "score");
        json_int_t at = json_is_integer(idx) ? json_integer_value(idx) : -1;
        if (at < 0 || (size_t)at >= o->n || seen[at] || !json_is_number(score) ||
            !isfinite(json_number_value(score))) {
            rc = plugin_fail(why, why_cap, SKALD_EUNAVAILABLE,
                             "results[%zu] has no valid index or relevance_score", i);
            break;
        }
        o->scores[at] = (float)json_number_value(score);
        seen[at] = 1;
        if (o->scores[at] < lowest)
            lowest = o->scores[at];
    }
    for (size_t d = 0; d < o->n && rc == SKALD_OK; d++)
        if (!seen[d])
            o->scores[d] = lowest == FLT_MAX ? 0.0f : lowest - 1.0f;
    free(seen);
    return rc;
}

static int rerank_http_score(void *instance, const struct skald_call_ctx *ctx, const char *query,
                             const char *const *docs, size_t n, float *scores)
{
    struct rerank_http *r = instance;
    int rc = remote_client_check(r->client, ctx);
    if (rc != SKALD_OK || n == 0)
        return rc;
    json_t *body = rerank_http_request(r, query, docs, n);
    if (!body)
        return remote_client_refuse(r->client, ctx, SKALD_EINVAL,
                                    "the query or a document is NULL or not valid UTF-8");
    struct rerank_http_out o = {n, scores};
    rc = remote_client_post(r->client, ctx, "/rerank", body, rerank_http_check, &o, NULL);
    json_decref(body);
    return rc;
}

static const struct skald_rerank_ops rerank_http_ops = {
    sizeof(struct skald_rerank_ops),
    rerank_http_create,
    rerank_http_destroy,
    rerank_http_score,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_RERANK, "rerank_http", "1.0.0",
                    "Jina/Cohere/vLLM-style /rerank over HTTP: bounded, retried, with a circuit "
                    "breaker",
                    &rerank_http_ops)
