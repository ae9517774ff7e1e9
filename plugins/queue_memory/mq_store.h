/* The item store of queue_memory: items in id order, per-topic lists for leasing, counters for
 * stats and the dedupe index. Not thread-safe: the plugin holds its lock around every use. */
#ifndef MQ_STORE_H
#define MQ_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <skald/plugin.h>

#include "mq_dedupe.h"

struct mq_topic;

struct mq_item {
    int64_t id;
    struct mq_topic *topic;
    char *dedupe_key; /* NULL = none */
    void *payload;
    size_t payload_len;
    enum skald_queue_state state;
    uint32_t attempts;
    int64_t not_before_ms;
    int64_t enqueued_ms;
    int64_t lease_until_ms;
    char *owner;      /* set while LEASED */
    char *last_error;
};

/* Items in ascending id order. A removed item leaves a hole (item NULL) that keeps its id, so
 * binary search still works; holes are squeezed out by mq_store_tidy. */
struct mq_seq_entry {
    int64_t id;
    struct mq_item *item;
};

struct mq_seq {
    struct mq_seq_entry *entries;
    size_t head; /* entries before head are all holes */
    size_t n, cap;
    size_t live;
};

struct mq_topic {
    char *name;
    struct mq_seq items;
    uint64_t pending, leased, dead;
};

struct mq_store {
    int64_t next_id;
    struct mq_seq all;
    struct mq_topic **topics;
    size_t n_topics, cap_topics;
    struct mq_dedupe pending_keys;
};

void mq_store_init(struct mq_store *store);
void mq_store_free(struct mq_store *store);

/* The topic called name, or NULL when it has no item. */
struct mq_topic *mq_store_topic(struct mq_store *store, const char *name);

/* Adds an item with the next id; PENDING, LEASED (stored as PENDING) or DEAD. Returns SKALD_OK or
 * SKALD_ENOMEM (nothing added). Does not check dedupe: callers look for a pending twin first. */
int mq_store_add(struct mq_store *store, const char *topic, const char *dedupe_key,
                 const void *payload, size_t payload_len, enum skald_queue_state state,
                 uint32_t attempts, int64_t not_before_ms, int64_t enqueued_ms,
                 const char *last_error, struct mq_item **out);

/* The pending item of topic holding dedupe_key, or NULL. */
struct mq_item *mq_store_find_pending(struct mq_store *store, const char *topic,
                                      const char *dedupe_key);
/* The item with this id, or NULL. */
struct mq_item *mq_store_get(struct mq_store *store, int64_t id);

/* Index of the first entry of seq with id > after_id. */
size_t mq_seq_after(const struct mq_seq *seq, int64_t after_id);

/* Leases item to owner until lease_until_ms (owner_copy is malloc'ed, taken over). */
void mq_store_lease(struct mq_store *store, struct mq_item *item, char *owner_copy,
                    int64_t lease_until_ms);
/* Returns a leased item to pending from not_before_ms on. When a pending twin holds its dedupe
 * key the item is merged into it (removed) and *merged set. SKALD_OK or SKALD_ENOMEM. */
int mq_store_unlease(struct mq_store *store, struct mq_item *item, int64_t not_before_ms,
                     int *merged);
/* Parks a leased item as DEAD. */
void mq_store_bury(struct mq_item *item);
/* Replaces last_error with error_copy (malloc'ed or NULL, taken over). */
void mq_store_take_error(struct mq_item *item, char *error_copy);

/* Removes and frees item. Entries keep their positions until mq_store_tidy. */
void mq_store_remove(struct mq_store *store, struct mq_item *item);
/* Removes every item with id >= first_id: undoes the adds of a call that failed half-way. */
void mq_store_remove_from(struct mq_store *store, int64_t first_id);
/* Squeezes holes out of the id lists and drops empty topics; call once a call is done walking. */
void mq_store_tidy(struct mq_store *store);

/* Fills the borrowed ABI view of item. */
void mq_item_view(const struct mq_item *item, struct skald_queue_item *view);

#endif
