/* A find: the query embedded, then QUICK or THINKING by whether a reranker is configured. */
#include "retrieval/retrieval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrieval/retrieval_internal.h"

void retrieval_trace_clear(struct retrieval_trace *t)
{
    json_decref(t->searched_dirs);
    memset(t, 0, sizeof *t);
}

/* The query's vector, malloc'd, with as many floats as the vector plugin holds. */
static int retrieval_embed(const struct retrieval_env *env, const char *query, float **out,
                           uint32_t *dims, char *err, size_t err_cap)
{
    struct plugin_instance *emb = env->gen->backends[BACKEND_EMBEDDING]->inst;
    struct plugin_instance *vec = env->gen->backends[BACKEND_VECTOR]->inst;
    const struct skald_embedding_ops *ops = plugin_instance_ops(emb, embedding);
    uint32_t n = ops->dimensions(emb->handle);
    uint32_t want = plugin_instance_ops(vec, vector)->dimensions(vec->handle);
    *out = NULL;
    if (n != want) {
        snprintf(err, err_cap, "[embedding] gives %u dimensions but [vector] holds %u", n, want);
        return SKALD_EINVAL;
    }
    float *v = malloc((size_t)n * sizeof *v);
    if (!v) {
        snprintf(err, err_cap, "out of memory");
        return SKALD_ENOMEM;
    }
    struct skald_call_ctx ctx = *env->ctx;
    ctx.err = err;
    ctx.err_cap = err_cap;
    err[0] = '\0';
    const char *texts[1] = {query};
    int rc = ops->embed(emb->handle, &ctx, texts, 1, v);
    if (rc != SKALD_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", err[0] ? err : "failed");
        snprintf(err, err_cap, "embedding the query with %s: %s", emb->module->name, why);
        free(v);
        return rc;
    }
    *out = v;
    *dims = n;
    return SKALD_OK;
}

int retrieval_find(const struct retrieval_env *env, const struct retrieval_spec *spec,
                   const char *query, unsigned ctypes, struct retrieval_hits *out,
                   struct retrieval_trace *trace, char *err, size_t err_cap)
{
    float *qvec = NULL;
    uint32_t dims = 0;
    if (!trace->searched_dirs && !(trace->searched_dirs = json_array())) {
        snprintf(err, err_cap, "out of memory");
        return SKALD_ENOMEM;
    }
    int rc = retrieval_embed(env, query, &qvec, &dims, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    if (env->gen->backends[BACKEND_RERANK])
        rc = retrieval_think(env, spec, ctypes, query, qvec, dims, out, trace, err, err_cap);
    else
        rc = retrieval_quick(env, spec, ctypes, qvec, dims, out, err, err_cap);
    free(qvec);
    /* The answer shows every field. */
    for (size_t i = 0; rc == SKALD_OK && i < out->n; i++)
        if (retrieval_record_complete(&out->items[i].rec) != 0) {
            snprintf(err, err_cap, "out of memory");
            rc = SKALD_ENOMEM;
        }
    return rc;
}
