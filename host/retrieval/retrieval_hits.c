#include "retrieval/retrieval_hits.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hits_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

static int hits_rehash(struct retrieval_hits *h, size_t n_slots)
{
    size_t *slots = calloc(n_slots, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < h->n; i++) {
        size_t s = hits_hash(h->items[i].rec.uri) & (n_slots - 1);
        while (slots[s])
            s = (s + 1) & (n_slots - 1);
        slots[s] = i + 1;
    }
    free(h->slots);
    h->slots = slots;
    h->n_slots = n_slots;
    return 0;
}

/* Rebuilds the index in place after the items moved (no allocation, so it cannot fail). */
static void hits_reindex(struct retrieval_hits *h)
{
    if (!h->n_slots)
        return;
    memset(h->slots, 0, h->n_slots * sizeof *h->slots);
    for (size_t i = 0; i < h->n; i++) {
        size_t s = hits_hash(h->items[i].rec.uri) & (h->n_slots - 1);
        while (h->slots[s])
            s = (s + 1) & (h->n_slots - 1);
        h->slots[s] = i + 1;
    }
}

long retrieval_hits_find(const struct retrieval_hits *h, const char *uri)
{
    if (!h->n_slots)
        return -1;
    for (size_t s = hits_hash(uri) & (h->n_slots - 1); h->slots[s]; s = (s + 1) & (h->n_slots - 1))
        if (strcmp(h->items[h->slots[s] - 1].rec.uri, uri) == 0)
            return (long)(h->slots[s] - 1);
    return -1;
}

int retrieval_hits_add(struct retrieval_hits *h, const struct retrieval_record *rec,
                       float vector_score, float score)
{
    long at = retrieval_hits_find(h, rec->uri);
    if (at >= 0) {
        struct retrieval_hit *old = &h->items[at];
        if (score > old->score) {
            retrieval_record_clear(&old->rec);
            retrieval_record_copy(&old->rec, rec);
            old->vector_score = vector_score;
            old->score = score;
            old->reranked = 0;
        }
        return 0;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 32;
        struct retrieval_hit *items = realloc(h->items, cap * sizeof *items);
        if (!items)
            return -1;
        h->items = items;
        h->cap = cap;
    }
    /* Load factor at most 1/2. */
    if ((h->n + 1) * 2 > h->n_slots && hits_rehash(h, h->n_slots ? h->n_slots * 2 : 64) != 0)
        return -1;
    struct retrieval_hit *hit = &h->items[h->n];
    retrieval_record_copy(&hit->rec, rec);
    hit->vector_score = vector_score;
    hit->score = score;
    hit->reranked = 0;
    size_t s = hits_hash(rec->uri) & (h->n_slots - 1);
    while (h->slots[s])
        s = (s + 1) & (h->n_slots - 1);
    h->slots[s] = ++h->n;
    return 1;
}

static int hits_tiebreak(const struct retrieval_hit *x, const struct retrieval_hit *y)
{
    int c = strcmp(x->rec.uri, y->rec.uri);
    return c ? c : x->rec.level - y->rec.level;
}

static int hits_by_score(const void *a, const void *b)
{
    const struct retrieval_hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return hits_tiebreak(x, y);
}

static int hits_by_vector(const void *a, const void *b)
{
    const struct retrieval_hit *x = a, *y = b;
    if (x->vector_score != y->vector_score)
        return x->vector_score < y->vector_score ? 1 : -1;
    return hits_tiebreak(x, y);
}

void retrieval_hits_sort(struct retrieval_hits *h)
{
    if (h->n > 1)
        qsort(h->items, h->n, sizeof *h->items, hits_by_score);
    hits_reindex(h);
}

void retrieval_hits_sort_vector(struct retrieval_hits *h)
{
    if (h->n > 1)
        qsort(h->items, h->n, sizeof *h->items, hits_by_vector);
    hits_reindex(h);
}

void retrieval_hits_truncate(struct retrieval_hits *h, size_t n)
{
    if (n >= h->n)
        return;
    for (size_t i = n; i < h->n; i++)
        retrieval_record_clear(&h->items[i].rec);
    h->n = n;
    hits_reindex(h);
}

void retrieval_hits_reset(struct retrieval_hits *h)
{
    for (size_t i = 0; i < h->n; i++)
        retrieval_record_clear(&h->items[i].rec);
    h->n = 0;
    if (h->slots)
        memset(h->slots, 0, h->n_slots * sizeof *h->slots);
}

void retrieval_hits_free(struct retrieval_hits *h)
{
    retrieval_hits_reset(h);
    free(h->items);
    free(h->slots);
    memset(h, 0, sizeof *h);
}
