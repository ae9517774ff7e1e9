#include "vf_index.h"

#include <stdlib.h>
#include <string.h>

#define VF_FIRST_SLOTS 1024u
#define VF_MAX_SLOTS (UINT32_MAX - 1u)

void vf_index_init(struct vf_index *index, uint32_t dims)
{
    memset(index, 0, sizeof *index);
    index->dims = dims;
}

void vf_index_free(struct vf_index *index)
{
    for (uint32_t s = 0; s < index->n_slots; s++) {
        free(index->id_of[s]);
        free(index->uri_of[s]);
        free(index->metadata_of[s]);
    }
    for (uint32_t a = 0; a < index->n_accounts; a++)
        free(index->accounts[a]);
    free(index->vectors);
    free(index->account_of);
    free(index->id_of);
    free(index->uri_of);
    free(index->metadata_of);
    free(index->free_slots);
    free(index->accounts);
    vf_map_free(&index->by_id);
    vf_map_free(&index->by_account);
    memset(index, 0, sizeof *index);
}

/* Grows every per-slot array to cap; the capacity only counts once all of them have grown. */
static int grow_slots(struct vf_index *index)
{
    if (index->cap_slots >= VF_MAX_SLOTS)
        return SKALD_ENOMEM;
    uint32_t cap = index->cap_slots ? index->cap_slots : VF_FIRST_SLOTS / 2;
    cap = cap > VF_MAX_SLOTS / 2 ? VF_MAX_SLOTS : cap * 2;
    float *vectors = realloc(index->vectors, (size_t)cap * index->dims * sizeof *vectors);
    if (!vectors)
        return SKALD_ENOMEM;
    index->vectors = vectors;
#define VF_GROW(field)                                                                         \
    do {                                                                                       \
        void *grown = realloc(index->field, (size_t)cap * sizeof *index->field);               \
        if (!grown)                                                                            \
            return SKALD_ENOMEM;                                                               \
        index->field = grown;                                                                  \
    } while (0)
    VF_GROW(account_of);
    VF_GROW(id_of);
    VF_GROW(uri_of);
    VF_GROW(metadata_of);
    VF_GROW(free_slots);
#undef VF_GROW
    index->cap_slots = cap;
    return SKALD_OK;
}

/* The number of account, interning it when new. SKALD_OK or SKALD_ENOMEM. */
static int intern_account(struct vf_index *index, const char *account, uint32_t *number)
{
    if (vf_map_get(&index->by_account, account, number))
        return SKALD_OK;
    if (index->n_accounts == index->cap_accounts) {
        uint32_t cap = index->cap_accounts ? index->cap_accounts * 2 : 16;
        char **grown = realloc(index->accounts, (size_t)cap * sizeof *grown);
        if (!grown)
            return SKALD_ENOMEM;
        index->accounts = grown;
        index->cap_accounts = cap;
    }
    char *copy = strdup(account);
    if (!copy || vf_map_reserve(&index->by_account, index->by_account.count + 1)) {
        free(copy);
        return SKALD_ENOMEM;
    }
    *number = index->n_accounts;
    index->accounts[index->n_accounts++] = copy;
    vf_map_insert(&index->by_account, copy, *number);
    return SKALD_OK;
}

/* strdup of s, or NULL for NULL; *oom set when a copy could not be made. */
static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

int vf_index_put(struct vf_index *index, const char *id, const char *account, const char *uri,
                 const char *metadata, const float *vector)
{
    uint32_t account_number, slot;
    if (intern_account(index, account, &account_number) != SKALD_OK)
        return SKALD_ENOMEM;
    int existing = vf_map_get(&index->by_id, id, &slot);
    if (!existing) {
        if (index->n_free == 0 && index->n_slots == index->cap_slots &&
            grow_slots(index) != SKALD_OK)
            return SKALD_ENOMEM;
        if (vf_map_reserve(&index->by_id, index->by_id.count + 1))
            return SKALD_ENOMEM;
    }
    int oom = 0;
    char *id_copy = existing ? NULL : dup_or_null(id, &oom);
    char *uri_copy = dup_or_null(uri, &oom);
    char *metadata_copy = dup_or_null(metadata, &oom);
    if (oom) {
        free(id_copy);
        free(uri_copy);
        free(metadata_copy);
        return SKALD_ENOMEM;
    }
    if (existing) {
        free(index->uri_of[slot]);
        free(index->metadata_of[slot]);
    } else {
        slot = index->n_free ? index->free_slots[--index->n_free] : index->n_slots++;
        index->id_of[slot] = id_copy;
        vf_map_insert(&index->by_id, id_copy, slot);
        index->live++;
    }
    index->uri_of[slot] = uri_copy;
    index->metadata_of[slot] = metadata_copy;
    index->account_of[slot] = account_number;
    memcpy(index->vectors + (size_t)slot * index->dims, vector, index->dims * sizeof(float));
    return SKALD_OK;
}

int vf_index_drop(struct vf_index *index, const char *id)
{
    uint32_t slot;
    if (!vf_map_get(&index->by_id, id, &slot))
        return 0;
    vf_map_erase(&index->by_id, id);
    free(index->id_of[slot]);
    free(index->uri_of[slot]);
    free(index->metadata_of[slot]);
    index->id_of[slot] = index->uri_of[slot] = index->metadata_of[slot] = NULL;
    index->account_of[slot] = VF_FREE_SLOT;
    index->free_slots[index->n_free++] = slot;
    index->live--;
    return 1;
}

int vf_index_has(const struct vf_index *index, const char *id)
{
    uint32_t slot;
    return vf_map_get(&index->by_id, id, &slot);
}

void vf_match_resolve(const struct vf_index *index, const struct skald_vector_filter *filter,
                      struct vf_match *match)
{
    memset(match, 0, sizeof *match);
    match->any_account = !filter || !filter->account;
    if (!match->any_account && !vf_map_get(&index->by_account, filter->account, &match->account))
        match->account = VF_FREE_SLOT; /* an account never stored matches no slot */
    if (filter && filter->uri_prefixes && filter->n_uri_prefixes) {
        match->uri_prefixes = filter->uri_prefixes;
        match->n_uri_prefixes = filter->n_uri_prefixes;
    }
}

static int uri_matches(const struct vf_match *match, const char *uri)
{
    if (match->n_uri_prefixes == 0)
        return 1;
    for (size_t i = 0; i < match->n_uri_prefixes; i++) {
        const char *p = match->uri_prefixes[i];
        if (p && strncmp(uri, p, strlen(p)) == 0)
            return 1;
    }
    return 0;
}

int vf_match_slot(const struct vf_index *index, const struct vf_match *match, uint32_t slot)
{
    uint32_t account = index->account_of[slot];
    if (account == VF_FREE_SLOT || (!match->any_account && account != match->account))
        return 0;
    return uri_matches(match, index->uri_of[slot]);
}

/* Inner product with 8 independent partial sums, so the compiler can keep them in vector
 * registers without reassociating floating-point additions. size_t indices: with uint32_t ones
 * GCC must allow for wrap-around and gives up vectorising. Kept out of line: inlined into the
 * scan loop, GCC 12 stops vectorising it. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static float dot(const float *restrict a, const float *restrict b, size_t dims)
{
    float partial[8] = {0};
    size_t i = 0;
    for (; i + 8 <= dims; i += 8)
        for (size_t j = 0; j < 8; j++)
            partial[j] += a[i + j] * b[i + j];
    float sum = 0;
    for (; i < dims; i++)
        sum += a[i] * b[i];
    for (size_t j = 0; j < 8; j++)
        sum += partial[j];
    return sum;
}

struct vf_hit {
    float score;
    uint32_t slot;
};

/* Min-heap on score: the root is the weakest of the k best so far. */
static void heap_sift_down(struct vf_hit *heap, uint32_t n, uint32_t i)
{
    for (;;) {
        uint32_t least = i, l = 2 * i + 1, r = l + 1;
        if (l < n && heap[l].score < heap[least].score)
            least = l;
        if (r < n && heap[r].score < heap[least].score)
            least = r;
        if (least == i)
            return;
        struct vf_hit t = heap[i];
        heap[i] = heap[least];
        heap[least] = t;
        i = least;
    }
}

static void heap_push(struct vf_hit *heap, uint32_t n, struct vf_hit hit)
{
    uint32_t i = n;
    heap[i] = hit;
    while (i > 0 && heap[(i - 1) / 2].score > heap[i].score) {
        struct vf_hit t = heap[i];
        heap[i] = heap[(i - 1) / 2];
        heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static int best_first(const void *a, const void *b)
{
    const struct vf_hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static void visit_slot(const struct vf_index *index, uint32_t slot, float score,
                       skald_vector_visitor visit, void *arg, int *stop)
{
    struct skald_vector_hit hit = {index->id_of[slot], index->accounts[index->account_of[slot]],
                                   index->uri_of[slot], index->metadata_of[slot], score};
    *stop = visit(arg, &hit) != 0;
}

int vf_index_search(const struct vf_index *index, const float *query, uint32_t k,
                    const struct vf_match *match, skald_vector_visitor visit, void *arg)
{
    if (k > index->live)
        k = (uint32_t)index->live;
    if (k == 0)
        return SKALD_OK;
    struct vf_hit *heap = malloc((size_t)k * sizeof *heap);
    if (!heap)
        return SKALD_ENOMEM;
    uint32_t n = 0;
    size_t dims = index->dims;
    for (uint32_t slot = 0; slot < index->n_slots; slot++) {
        uint32_t account = index->account_of[slot];
        if (account == VF_FREE_SLOT || (!match->any_account && account != match->account))
            continue;
        if (match->n_uri_prefixes && !uri_matches(match, index->uri_of[slot]))
            continue;
        float score = dot(query, index->vectors + (size_t)slot * dims, dims);
        if (n < k) {
            heap_push(heap, n++, (struct vf_hit){score, slot});
        } else if (score > heap[0].score) {
            heap[0] = (struct vf_hit){score, slot};
            heap_sift_down(heap, n, 0);
        }
    }
    qsort(heap, n, sizeof *heap, best_first);
    int stop = 0;
    for (uint32_t i = 0; i < n && !stop; i++)
        visit_slot(index, heap[i].slot, heap[i].score, visit, arg, &stop);
    free(heap);
    return SKALD_OK;
}

void vf_index_list(const struct vf_index *index, const struct vf_match *match,
                   skald_vector_visitor visit, void *arg)
{
    int stop = 0;
    for (uint32_t slot = 0; slot < index->n_slots && !stop; slot++)
        if (vf_match_slot(index, match, slot))
            visit_slot(index, slot, 0.0f, visit, arg, &stop);
}

uint64_t vf_index_count(const struct vf_index *index, const struct vf_match *match)
{
    if (match->any_account && match->n_uri_prefixes == 0)
        return index->live;
    uint64_t count = 0;
    for (uint32_t slot = 0; slot < index->n_slots; slot++)
        count += (uint64_t)vf_match_slot(index, match, slot);
    return count;
}
