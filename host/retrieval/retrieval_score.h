/*
 * Score arithmetic of the retriever, kept apart so it can be tested on its own:
 *  - rerank scores are only comparable within one call (BM25 is unbounded, a cross-encoder gives
 *    probabilities), so they are mapped to [0, 1] per call before they meet vector scores;
 *  - a reranked score is RETRIEVAL_RERANK_WEIGHT of that plus the rest of the vector score, so a
 *    reranker reorders without throwing away what the embedding said;
 *  - in hierarchical retrieval a score is propagated from a directory to its children.
 */
#ifndef SKALD_RETRIEVAL_SCORE_H
#define SKALD_RETRIEVAL_SCORE_H

#include <stddef.h>

#define RETRIEVAL_RERANK_WEIGHT 0.5f

/* In place: scores already within [0, 1] stay as they are (a calibrated reranker); with none
 * negative they are divided by the best; otherwise scaled min-max. Non-finite scores count as the
 * lowest. */
void retrieval_score_normalize(float *scores, size_t n);
/* RETRIEVAL_RERANK_WEIGHT * rerank + (1 - RETRIEVAL_RERANK_WEIGHT) * vector. */
float retrieval_score_blend(float rerank, float vector);
/* alpha * child + (1 - alpha) * parent. */
float retrieval_score_propagate(float child, float parent, float alpha);
/* A score as sent on the wire: non-finite ones become 0. */
double retrieval_score_wire(float score);

#endif
