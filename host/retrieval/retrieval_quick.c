/* QUICK: one flat search over every level inside the targets, all filters applied while the
 * plugin visits the candidates, scores over the threshold, one hit per URI. */
#include "retrieval/retrieval_internal.h"

struct quick_arg {
    const struct retrieval_env *env;
    const struct retrieval_spec *spec;
    unsigned ctypes;
};

static int quick_accept(void *arg, struct retrieval_record *r, float score)
{
    const struct quick_arg *q = arg;
    if (!retrieval_spec_score_ok(q->spec, score))
        return -1;
    return retrieval_spec_in_scope(q->spec, q->env->who, r) && retrieval_spec_accepts(q->spec, r) &&
           (retrieval_ctype_bit(r->context_type) & q->ctypes);
}

int retrieval_quick(const struct retrieval_env *env, const struct retrieval_spec *spec,
                    unsigned ctypes, const float *query, uint32_t dims,
                    struct retrieval_hits *out, char *err, size_t err_cap)
{
    struct quick_arg arg = {env, spec, ctypes};
    struct retrieval_scan_req req = {query, dims, (const char *const *)spec->targets,
                                     spec->n_targets, (size_t)spec->limit, quick_accept, &arg};
    int rc = retrieval_scan(env, &req, out, NULL, err, err_cap);
    if (rc == SKALD_OK) {
        retrieval_hits_sort(out);
        retrieval_hits_truncate(out, (size_t)spec->limit);
    }
    return rc;
}
