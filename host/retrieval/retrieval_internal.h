/* Pieces of the retriever shared by its files; not used outside host/retrieval. */
#ifndef SKALD_RETRIEVAL_INTERNAL_H
#define SKALD_RETRIEVAL_INTERNAL_H

#include "retrieval/retrieval.h"

/* Candidates a scan should accept: 1 keep, 0 skip, -1 stop the scan here (the hits come best
 * first, so once one is below the threshold all the rest are too). */
typedef int (*retrieval_accept_fn)(void *arg, struct retrieval_record *r, float score);

struct retrieval_scan_req {
    const float *query;
    uint32_t dims;
    const char *const *prefixes; /* string prefixes for the vector plugin; NULL/0 = any */
    size_t n_prefixes;
    size_t want;                 /* distinct accepted URIs wanted */
    retrieval_accept_fn accept;
    void *arg;
};

/* Searches the caller's account, asking the plugin for more candidates (4x each time) until
 * `want` distinct URIs were accepted, the store has no more, or the accept function stopped it.
 * Accepted records land in out with score = vector score. *more (may be NULL) tells whether the
 * store may hold further candidates that pass (it was not exhausted or stopped). SKALD_OK or the
 * plugin's status. */
int retrieval_scan(const struct retrieval_env *env, const struct retrieval_scan_req *req,
                   struct retrieval_hits *out, int *more, char *err, size_t err_cap);

/* The flat search: every filter applied in the scan, threshold included. */
int retrieval_quick(const struct retrieval_env *env, const struct retrieval_spec *spec,
                    unsigned ctypes, const float *query, uint32_t dims,
                    struct retrieval_hits *out, char *err, size_t err_cap);

/* The hierarchical search with the reranker (see retrieval_think.c). */
int retrieval_think(const struct retrieval_env *env, const struct retrieval_spec *spec,
                    unsigned ctypes, const char *query, const float *qvec, uint32_t dims,
                    struct retrieval_hits *out, struct retrieval_trace *trace, char *err,
                    size_t err_cap);

/* Rescores hits[0..n) (completing them) with the rerank plugin by their abstracts: each score
 * becomes the blend of the normalised rerank score and its vector score (retrieval_score.h). On any failure the
 * scores stay as they are, the failure is logged and counted, why is filled and -1 returned. */
int retrieval_rerank(const struct retrieval_env *env, const char *query,
                     struct retrieval_hit *hits, size_t n, char *why, size_t why_cap);

/* A context for a model call made inside the request: the request's cancel flag and at most
 * `fraction` of the time the request has left, so a slow model still leaves time to answer. */
void retrieval_sub_ctx(const struct skald_call_ctx *parent, double fraction,
                       struct skald_call_ctx *out, char *err, size_t err_cap);

#endif
