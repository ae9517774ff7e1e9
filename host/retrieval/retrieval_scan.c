/* The filtered, over-fetching vector scan every retrieval mode is built on. The vector ABI filters
 * by account and URI prefix only; everything else is checked here, on the records the plugin
 * visits, asking it for more when too many were filtered out. */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "retrieval/retrieval_internal.h"

/* First and largest number of candidates asked for. */
#define SCAN_K_FIRST_MIN 32u
#define SCAN_K_MAX (1u << 22)

struct scan_visit {
    const struct retrieval_scan_req *req;
    struct retrieval_hits *out;
    size_t visited;
    int stopped;
    int oom;
};

static int scan_visit(void *arg, const struct skald_vector_hit *hit)
{
    struct scan_visit *v = arg;
    v->visited++;
    struct retrieval_record rec;
    if (retrieval_record_light(hit->uri, hit->id, hit->metadata, &rec) != 0) {
        v->oom = 1;
        return 1;
    }
    int keep = v->req->accept ? v->req->accept(v->req->arg, &rec, hit->score) : 1;
    if (keep > 0 && retrieval_hits_add(v->out, &rec, hit->score, hit->score) < 0)
        v->oom = 1;
    retrieval_record_clear(&rec);
    if (keep < 0)
        v->stopped = 1;
    return v->oom || v->stopped || v->out->n >= v->req->want;
}

int retrieval_scan(const struct retrieval_env *env, const struct retrieval_scan_req *req,
                   struct retrieval_hits *out, int *more, char *err, size_t err_cap)
{
    struct plugin_instance *vec = env->gen->backends[BACKEND_VECTOR]->inst;
    const struct skald_vector_ops *ops = plugin_instance_ops(vec, vector);
    struct skald_vector_filter filter = {env->who->account, req->prefixes, req->n_prefixes};
    size_t k = req->want * 3 + SCAN_K_FIRST_MIN;
    if (more)
        *more = 0;
    for (;;) {
        retrieval_hits_reset(out);
        struct scan_visit v = {req, out, 0, 0, 0};
        struct skald_call_ctx ctx = *env->ctx;
        ctx.err = err;
        ctx.err_cap = err_cap;
        err[0] = '\0';
        int rc = ops->search(vec->handle, &ctx, req->query, req->dims,
                             (uint32_t)(k < SCAN_K_MAX ? k : SCAN_K_MAX), &filter, scan_visit, &v);
        if (rc != SKALD_OK)
            return rc;
        if (v.oom) {
            snprintf(err, err_cap, "out of memory");
            return SKALD_ENOMEM;
        }
        /* The plugin gave fewer than asked: there is nothing more to find. */
        int exhausted = v.visited < k && out->n < req->want && !v.stopped;
        if (out->n >= req->want || v.stopped || exhausted || k >= SCAN_K_MAX) {
            if (more)
                *more = !exhausted && !v.stopped;
            return SKALD_OK;
        }
        log_debug("retrieval: %zu of %zu candidates passed the filters, asking for %zu", out->n,
                  v.visited, k * 4);
        k *= 4;
    }
}
