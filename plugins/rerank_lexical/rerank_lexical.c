/*
 * rerank_lexical: the embedded default reranker. Okapi BM25 of the query's words over the documents
 * of one call (document frequencies come from those documents, so scores compare within a call
 * only, as the ABI says). No model, no network.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

#include "plugin_util.h"
#include "text_tokens.h"

/* Distinct query words considered; a longer query keeps its first ones. */
#define RERANK_MAX_QUERY_TERMS 64

struct rerank_lexical {
    const struct skald_host *host; /* borrowed; valid until destroy */
    double k1;
    double b;
    uint32_t max_doc_tokens; /* words of a document read; the rest is ignored */
};

struct rerank_query {
    uint64_t terms[RERANK_MAX_QUERY_TERMS];
    size_t n;
};

/* Per document: how often each query term occurs, and the document's length in words. */
struct rerank_doc_counter {
    const struct rerank_query *q;
    uint32_t *tf;    /* q->n counters */
    uint32_t length; /* words seen */
    uint32_t max_tokens;
};

static int rerank_query_term(void *arg, const char *tok, size_t len)
{
    struct rerank_query *q = arg;
    uint64_t h = text_hash(tok, len);
    for (size_t i = 0; i < q->n; i++)
        if (q->terms[i] == h)
            return 0;
    q->terms[q->n++] = h;
    return q->n == RERANK_MAX_QUERY_TERMS;
}

static int rerank_doc_token(void *arg, const char *tok, size_t len)
{
    struct rerank_doc_counter *c = arg;
    uint64_t h = text_hash(tok, len);
    for (size_t i = 0; i < c->q->n; i++)
        if (c->q->terms[i] == h)
            c->tf[i]++;
    c->length++;
    return c->length >= c->max_tokens;
}

static int rerank_lexical_create(const struct skald_host *host, void **instance, char *err,
                                 size_t err_cap)
{
    static const char *const keys[] = {"k1", "b", "max_doc_tokens", NULL};
    double k1, b;
    uint64_t max_doc_tokens;
    int rc = plugin_config_check_keys(host, keys, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_double(host, "k1", 1.2, 0.0, 10.0, &k1, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_double(host, "b", 0.75, 0.0, 1.0, &b, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "max_doc_tokens", 4096, 1, 1u << 24, &max_doc_tokens, err,
                               err_cap);
    if (rc != SKALD_OK)
        return rc;
    struct rerank_lexical *r = calloc(1, sizeof *r);
    if (!r)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    r->host = host;
    r->k1 = k1;
    r->b = b;
    r->max_doc_tokens = (uint32_t)max_doc_tokens;
    *instance = r;
    return SKALD_OK;
}

static void rerank_lexical_destroy(void *instance)
{
    free(instance);
}

static int rerank_lexical_score(void *instance, const struct skald_call_ctx *ctx, const char *query,
                                const char *const *docs, size_t n, float *scores)
{
    struct rerank_lexical *r = instance;
    if (!query)
        return plugin_call_fail(ctx, SKALD_EINVAL, "query is NULL");
    struct rerank_query q = {.n = 0};
    text_tokens_each(query, rerank_query_term, &q);
    if (n == 0)
        return SKALD_OK;
    /* tf[d * q.n + t]: term t in document d; lengths[d]; df[t]: documents containing t. */
    size_t per_doc = q.n ? q.n : 1;
    uint32_t *tf = calloc(n * per_doc, sizeof *tf);
    uint32_t *lengths = calloc(n, sizeof *lengths);
    uint32_t df[RERANK_MAX_QUERY_TERMS] = {0};
    if (!tf || !lengths) {
        free(tf);
        free(lengths);
        return plugin_call_fail(ctx, SKALD_ENOMEM, "out of memory for %zu documents", n);
    }
    double total_length = 0;
    for (size_t d = 0; d < n; d++) {
        int rc = skald_call_check(ctx, r->host->now_monotonic_ns());
        if (rc == SKALD_OK && !docs[d])
            rc = plugin_call_fail(ctx, SKALD_EINVAL, "document %zu is NULL", d);
        if (rc != SKALD_OK) {
            free(tf);
            free(lengths);
            return rc;
        }
        struct rerank_doc_counter c = {&q, tf + d * per_doc, 0, r->max_doc_tokens};
        text_tokens_each(docs[d], rerank_doc_token, &c);
        lengths[d] = c.length;
        total_length += c.length;
        for (size_t t = 0; t < q.n; t++)
            if (c.tf[t])
                df[t]++;
    }
    double avg_length = total_length / (double)n;
    if (avg_length <= 0)
        avg_length = 1;
    for (size_t d = 0; d < n; d++) {
        double s = 0;
        for (size_t t = 0; t < q.n; t++) {
            double f = tf[d * per_doc + t];
            if (f == 0)
                continue;
            /* The "plus one" IDF keeps weights positive when a word is in most documents. */
            double idf = log(1.0 + ((double)n - df[t] + 0.5) / (df[t] + 0.5));
            double norm = r->k1 * (1.0 - r->b + r->b * lengths[d] / avg_length);
            s += idf * f * (r->k1 + 1.0) / (f + norm);
        }
        scores[d] = (float)s;
    }
    free(tf);
    free(lengths);
    r->host->metric_add(r->host, "documents_scored", (double)n);
    return SKALD_OK;
}

static const struct skald_rerank_ops rerank_lexical_ops = {
    sizeof(struct skald_rerank_ops),
    rerank_lexical_create,
    rerank_lexical_destroy,
    rerank_lexical_score,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_RERANK, "rerank_lexical", "1.0.0",
                    "BM25 lexical reranker, no model or network", &rerank_lexical_ops)
