#include "mq_store.h"

#include <stdlib.h>
#include <string.h>

/* Holes tolerated in an id list before it is squeezed: amortises the memmove over many removals. */
#define MQ_SEQ_MIN_HOLES 64

static int seq_reserve(struct mq_seq *seq)
{
    if (seq->n < seq->cap)
        return SKALD_OK;
    size_t cap = seq->cap ? seq->cap * 2 : 64;
    struct mq_seq_entry *e = realloc(seq->entries, cap * sizeof *e);
    if (!e)
        return SKALD_ENOMEM;
    seq->entries = e;
    seq->cap = cap;
    return SKALD_OK;
}

size_t mq_seq_after(const struct mq_seq *seq, int64_t after_id)
{
    size_t lo = seq->head, hi = seq->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (seq->entries[mid].id <= after_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void seq_punch(struct mq_seq *seq, int64_t id)
{
    size_t i = mq_seq_after(seq, id - 1);
    if (i == seq->n || seq->entries[i].id != id || !seq->entries[i].item)
        return;
    seq->entries[i].item = NULL;
    seq->live--;
    while (seq->head < seq->n && !seq->entries[seq->head].item)
        seq->head++;
}

static void seq_squeeze(struct mq_seq *seq)
{
    size_t holes = seq->n - seq->live;
    if (holes < MQ_SEQ_MIN_HOLES || holes < seq->live)
        return;
    size_t j = 0;
    for (size_t i = seq->head; i < seq->n; i++)
        if (seq->entries[i].item)
            seq->entries[j++] = seq->entries[i];
    seq->n = j;
    seq->head = 0;
}

void mq_store_init(struct mq_store *store)
{
    memset(store, 0, sizeof *store);
    store->next_id = 1;
}

static void item_free(struct mq_item *item)
{
    free(item->dedupe_key);
    free(item->payload);
    free(item->owner);
    free(item->last_error);
    free(item);
}

static void topic_free(struct mq_topic *topic)
{
    free(topic->items.entries);
    free(topic->name);
    free(topic);
}

void mq_store_free(struct mq_store *store)
{
    for (size_t i = store->all.head; i < store->all.n; i++)
        if (store->all.entries[i].item)
            item_free(store->all.entries[i].item);
    free(store->all.entries);
    for (size_t i = 0; i < store->n_topics; i++)
        topic_free(store->topics[i]);
    free(store->topics);
    mq_dedupe_free(&store->pending_keys);
    memset(store, 0, sizeof *store);
}

struct mq_topic *mq_store_topic(struct mq_store *store, const char *name)
{
    for (size_t i = 0; i < store->n_topics; i++)
        if (strcmp(store->topics[i]->name, name) == 0)
            return store->topics[i];
    return NULL;
}

static struct mq_topic *topic_get_or_add(struct mq_store *store, const char *name)
{
    struct mq_topic *topic = mq_store_topic(store, name);
    if (topic)
        return topic;
    if (store->n_topics == store->cap_topics) {
        size_t cap = store->cap_topics ? store->cap_topics * 2 : 8;
        struct mq_topic **t = realloc(store->topics, cap * sizeof *t);
        if (!t)
            return NULL;
        store->topics = t;
        store->cap_topics = cap;
    }
    topic = calloc(1, sizeof *topic);
    if (!topic || !(topic->name = strdup(name))) {
        free(topic);
        return NULL;
    }
    store->topics[store->n_topics++] = topic;
    return topic;
}

static int dup_or_null(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return SKALD_OK;
    *out = strdup(s);
    return *out ? SKALD_OK : SKALD_ENOMEM;
}

static uint64_t *state_counter(struct mq_topic *topic, enum skald_queue_state state)
{
    return state == SKALD_QUEUE_PENDING ? &topic->pending
           : state == SKALD_QUEUE_LEASED ? &topic->leased
                                         : &topic->dead;
}

int mq_store_add(struct mq_store *store, const char *topic_name, const char *dedupe_key,
                 const void *payload, size_t payload_len, enum skald_queue_state state,
                 uint32_t attempts, int64_t not_before_ms, int64_t enqueued_ms,
                 const char *last_error, struct mq_item **out)
{
    if (state != SKALD_QUEUE_DEAD)
        state = SKALD_QUEUE_PENDING;
    int keyed = state == SKALD_QUEUE_PENDING && dedupe_key;
    struct mq_topic *topic = topic_get_or_add(store, topic_name);
    if (!topic || seq_reserve(&store->all) || seq_reserve(&topic->items) ||
        (keyed && mq_dedupe_reserve(&store->pending_keys, store->pending_keys.count + 1)))
        return SKALD_ENOMEM;
    struct mq_item *item = calloc(1, sizeof *item);
    if (!item)
        return SKALD_ENOMEM;
    item->payload = malloc(payload_len ? payload_len : 1);
    if (!item->payload || dup_or_null(dedupe_key, &item->dedupe_key) ||
        dup_or_null(last_error, &item->last_error)) {
        item_free(item);
        return SKALD_ENOMEM;
    }
    if (payload_len)
        memcpy(item->payload, payload, payload_len);
    item->id = store->next_id++;
    item->topic = topic;
    item->payload_len = payload_len;
    item->state = state;
    item->attempts = attempts;
    item->not_before_ms = not_before_ms;
    item->enqueued_ms = enqueued_ms;
    store->all.entries[store->all.n++] = (struct mq_seq_entry){item->id, item};
    store->all.live++;
    topic->items.entries[topic->items.n++] = (struct mq_seq_entry){item->id, item};
    topic->items.live++;
    (*state_counter(topic, state))++;
    if (keyed)
        mq_dedupe_insert(&store->pending_keys, topic, item->dedupe_key, item);
    *out = item;
    return SKALD_OK;
}

struct mq_item *mq_store_find_pending(struct mq_store *store, const char *topic_name,
                                      const char *dedupe_key)
{
    struct mq_topic *topic = mq_store_topic(store, topic_name);
    return topic ? mq_dedupe_find(&store->pending_keys, topic, dedupe_key) : NULL;
}

struct mq_item *mq_store_get(struct mq_store *store, int64_t id)
{
    if (id <= 0)
        return NULL;
    size_t i = mq_seq_after(&store->all, id - 1);
    return i < store->all.n && store->all.entries[i].id == id ? store->all.entries[i].item : NULL;
}

void mq_store_lease(struct mq_store *store, struct mq_item *item, char *owner_copy,
                    int64_t lease_until_ms)
{
    if (item->state == SKALD_QUEUE_PENDING) {
        if (item->dedupe_key)
            mq_dedupe_erase(&store->pending_keys, item->topic, item->dedupe_key, item);
        item->topic->pending--;
        item->topic->leased++;
    }
    free(item->owner);
    item->owner = owner_copy;
    item->state = SKALD_QUEUE_LEASED;
    item->lease_until_ms = lease_until_ms;
    item->attempts++;
}

int mq_store_unlease(struct mq_store *store, struct mq_item *item, int64_t not_before_ms,
                     int *merged)
{
    *merged = 0;
    if (item->dedupe_key) {
        if (mq_dedupe_find(&store->pending_keys, item->topic, item->dedupe_key)) {
            mq_store_remove(store, item);
            *merged = 1;
            return SKALD_OK;
        }
        if (mq_dedupe_reserve(&store->pending_keys, store->pending_keys.count + 1))
            return SKALD_ENOMEM;
        mq_dedupe_insert(&store->pending_keys, item->topic, item->dedupe_key, item);
    }
    free(item->owner);
    item->owner = NULL;
    item->lease_until_ms = 0;
    item->not_before_ms = not_before_ms;
    item->state = SKALD_QUEUE_PENDING;
    item->topic->leased--;
    item->topic->pending++;
    return SKALD_OK;
}

void mq_store_bury(struct mq_item *item)
{
    free(item->owner);
    item->owner = NULL;
    item->lease_until_ms = 0;
    item->state = SKALD_QUEUE_DEAD;
    item->topic->leased--;
    item->topic->dead++;
}

void mq_store_take_error(struct mq_item *item, char *error_copy)
{
    free(item->last_error);
    item->last_error = error_copy;
}

void mq_store_remove(struct mq_store *store, struct mq_item *item)
{
    struct mq_topic *topic = item->topic;
    if (item->state == SKALD_QUEUE_PENDING && item->dedupe_key)
        mq_dedupe_erase(&store->pending_keys, topic, item->dedupe_key, item);
    (*state_counter(topic, item->state))--;
    seq_punch(&store->all, item->id);
    seq_punch(&topic->items, item->id);
    item_free(item);
}

void mq_store_remove_from(struct mq_store *store, int64_t first_id)
{
    for (size_t i = store->all.n; i > store->all.head && store->all.entries[i - 1].id >= first_id;
         i--)
        if (store->all.entries[i - 1].item)
            mq_store_remove(store, store->all.entries[i - 1].item);
}

void mq_store_tidy(struct mq_store *store)
{
    seq_squeeze(&store->all);
    for (size_t i = 0; i < store->n_topics;) {
        struct mq_topic *topic = store->topics[i];
        if (topic->items.live == 0) {
            topic_free(topic);
            store->topics[i] = store->topics[--store->n_topics];
        } else {
            seq_squeeze(&topic->items);
            i++;
        }
    }
}

void mq_item_view(const struct mq_item *item, struct skald_queue_item *view)
{
    memset(view, 0, sizeof *view);
    view->id = item->id;
    view->topic = item->topic->name;
    view->dedupe_key = item->dedupe_key;
    view->payload = item->payload;
    view->payload_len = item->payload_len;
    view->state = item->state;
    view->attempts = item->attempts;
    view->not_before_ms = item->not_before_ms;
    view->enqueued_ms = item->enqueued_ms;
    view->lease_until_ms = item->lease_until_ms;
    view->owner = item->owner;
    view->last_error = item->last_error;
}
