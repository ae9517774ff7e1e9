/*
 * Retrieval: a find (one query) over the vector plugin within what the caller may see. Two modes,
 * picked by the configuration as OpenViking does (section 7): QUICK, a flat filtered search over
 * every level, when no [rerank] is configured; THINKING, hierarchical retrieval from the best
 * directories with the reranker, when one is. A reranker that fails, times out or has its breaker
 * open never fails the find: vector scores are used, the log says so and the rerank instance's
 * `retrieval_fallbacks_total` counter goes up. Runs on workers only (backend calls).
 */
#ifndef SKALD_RETRIEVAL_H
#define SKALD_RETRIEVAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <skald/plugin.h>

#include "auth/identity.h"
#include "retrieval/retrieval_hits.h"
#include "retrieval/retrieval_spec.h"
#include "runtime/generation.h"

struct retrieval_env {
    struct generation *gen;             /* pinned by the caller */
    const struct identity *who;
    const struct skald_call_ctx *ctx;   /* the request's deadline and cancel flag */
};

/* What a find did, for provenance and the log. */
struct retrieval_trace {
    int thinking;              /* hierarchical mode ran */
    int reranked;              /* the reranker scored the answer */
    int rerank_fallback;       /* it failed and vector scores were used */
    char rerank_error[256];    /* why, when it failed */
    json_t *searched_dirs;     /* array of directory URIs, in the order descended; owned */
};

void retrieval_trace_clear(struct retrieval_trace *t);

/* Runs one query under spec (its query field is ignored in favour of `query`; ctypes narrows
 * spec->ctypes further, RETRIEVAL_CT_ALL for none) and leaves the answer in out: at most
 * spec->limit hits, best first, scores over the threshold. Returns SKALD_OK or the embedding or
 * vector plugin's status, with the reason in err. */
int retrieval_find(const struct retrieval_env *env, const struct retrieval_spec *spec,
                   const char *query, unsigned ctypes, struct retrieval_hits *out,
                   struct retrieval_trace *trace, char *err, size_t err_cap);

#endif
