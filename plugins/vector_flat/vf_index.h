/* The in-memory copy of vector_flat's records: one contiguous float array (slot-major), per-slot
 * strings, an id -> slot map, interned accounts and a free-slot list, plus the exact scan. Not
 * thread-safe: the plugin takes its rwlock around every use. */
#ifndef VF_INDEX_H
#define VF_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <skald/plugin.h>

#include "vf_map.h"

/* account number of a free slot */
#define VF_FREE_SLOT UINT32_MAX

struct vf_index {
    uint32_t dims;
    float *vectors;        /* cap_slots * dims floats */
    uint32_t *account_of;  /* per slot; VF_FREE_SLOT when free */
    char **id_of;          /* per slot, owned */
    char **uri_of;         /* per slot, owned */
    char **metadata_of;    /* per slot, owned, may be NULL */
    uint32_t n_slots;      /* slots in use or freed; the scan walks [0, n_slots) */
    uint32_t cap_slots;
    uint32_t *free_slots;  /* a stack of freed slot numbers, capacity cap_slots */
    uint32_t n_free;
    uint64_t live;         /* records stored */
    struct vf_map by_id;
    char **accounts;       /* interned account names, owned, by account number */
    uint32_t n_accounts, cap_accounts;
    struct vf_map by_account;
};

void vf_index_init(struct vf_index *index, uint32_t dims);
void vf_index_free(struct vf_index *index);

/* Inserts or replaces record id. All or nothing: SKALD_OK, or SKALD_ENOMEM with the index
 * unchanged. vector has index->dims floats. */
int vf_index_put(struct vf_index *index, const char *id, const char *account, const char *uri,
                 const char *metadata, const float *vector);
/* Removes record id; returns 1 if it was there. */
int vf_index_drop(struct vf_index *index, const char *id);
int vf_index_has(const struct vf_index *index, const char *id);

/* A filter resolved against the index: account as its number, prefixes borrowed. */
struct vf_match {
    int any_account;
    uint32_t account;       /* when !any_account; VF_FREE_SLOT when the account is unknown */
    const char *const *uri_prefixes;
    size_t n_uri_prefixes;
};

void vf_match_resolve(const struct vf_index *index, const struct skald_vector_filter *filter,
                      struct vf_match *match);
int vf_match_slot(const struct vf_index *index, const struct vf_match *match, uint32_t slot);

/* Visits the k best records passing match by inner product with query, best first.
 * SKALD_OK or SKALD_ENOMEM. */
int vf_index_search(const struct vf_index *index, const float *query, uint32_t k,
                    const struct vf_match *match, skald_vector_visitor visit, void *arg);
/* Visits every record passing match, in slot order, score 0. */
void vf_index_list(const struct vf_index *index, const struct vf_match *match,
                   skald_vector_visitor visit, void *arg);
uint64_t vf_index_count(const struct vf_index *index, const struct vf_match *match);

#endif
