/*
 * A set of hits: one per record URI (a directory's L0 and L1 share it), the best kept, with an
 * index so adding stays constant-time however many candidates a scan visits.
 */
#ifndef SKALD_RETRIEVAL_HITS_H
#define SKALD_RETRIEVAL_HITS_H

#include <stddef.h>

#include "retrieval/retrieval_record.h"

struct retrieval_hit {
    struct retrieval_record rec; /* holds a reference */
    float vector_score;          /* inner product with the query */
    float score;                 /* what the hit is ranked and shown by */
    int reranked;                /* score came from the reranker */
};

struct retrieval_hits {
    struct retrieval_hit *items;
    size_t n, cap;
    size_t *slots; /* open addressing on rec.uri: index + 1, 0 = empty */
    size_t n_slots;
};

/* Adds a hit for rec (taking a reference) unless one for the same URI has a score at least as
 * good; a better one replaces it. Returns 1 when the URI is new, 0 when it was there, -1 when out
 * of memory. */
int retrieval_hits_add(struct retrieval_hits *h, const struct retrieval_record *rec,
                       float vector_score, float score);
/* The index of the hit for uri, or -1. */
long retrieval_hits_find(const struct retrieval_hits *h, const char *uri);
/* Best score first; ties by URI then level, so answers are stable. */
void retrieval_hits_sort(struct retrieval_hits *h);
/* Sorts by vector score instead (the order before any rerank). */
void retrieval_hits_sort_vector(struct retrieval_hits *h);
/* Keeps the first n hits. */
void retrieval_hits_truncate(struct retrieval_hits *h, size_t n);
/* Drops every hit, keeping the memory. */
void retrieval_hits_reset(struct retrieval_hits *h);
void retrieval_hits_free(struct retrieval_hits *h);

#endif
