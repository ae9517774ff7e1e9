#include "retrieval/retrieval_score.h"

#include <math.h>

void retrieval_score_normalize(float *scores, size_t n)
{
    if (n == 0)
        return;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(scores[i]))
            continue;
        lo = scores[i] < lo ? scores[i] : lo;
        hi = scores[i] > hi ? scores[i] : hi;
    }
    if (!isfinite(lo)) {
        for (size_t i = 0; i < n; i++)
            scores[i] = 0;
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(scores[i]))
            scores[i] = lo;
    if (lo >= 0 && hi <= 1)
        return;
    if (lo >= 0) {
        for (size_t i = 0; i < n; i++)
            scores[i] /= hi;
        return;
    }
    float span = hi - lo;
    for (size_t i = 0; i < n; i++)
        scores[i] = span > 0 ? (scores[i] - lo) / span : 1.0f;
}

float retrieval_score_blend(float rerank, float vector)
{
    return RETRIEVAL_RERANK_WEIGHT * rerank + (1.0f - RETRIEVAL_RERANK_WEIGHT) * vector;
}

float retrieval_score_propagate(float child, float parent, float alpha)
{
    return alpha * child + (1.0f - alpha) * parent;
}

double retrieval_score_wire(float score)
{
    return isfinite(score) ? (double)score : 0.0;
}
