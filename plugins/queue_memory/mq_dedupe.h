/* The dedupe index of queue_memory: (topic, dedupe key) -> the pending item holding that key.
 * Open addressing with linear probing; keys are borrowed from the items they point to. */
#ifndef MQ_DEDUPE_H
#define MQ_DEDUPE_H

#include <stddef.h>
#include <stdint.h>

struct mq_dedupe_slot {
    uint64_t hash;
    const void *topic; /* compared by address: topics are interned */
    const char *key;
    void *item;        /* NULL = empty slot */
};

struct mq_dedupe {
    struct mq_dedupe_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t count;
};

void mq_dedupe_free(struct mq_dedupe *map);
/* Makes room for `count` entries so that the next inserts up to that count cannot fail.
 * Returns 0, or -1 when out of memory (the map is unchanged). */
int mq_dedupe_reserve(struct mq_dedupe *map, size_t count);
void *mq_dedupe_find(const struct mq_dedupe *map, const void *topic, const char *key);
/* Inserts a key that is not present; call mq_dedupe_reserve(map, map->count + 1) first. */
void mq_dedupe_insert(struct mq_dedupe *map, const void *topic, const char *key, void *item);
/* Removes the entry of `item` if the map holds it under (topic, key). */
void mq_dedupe_erase(struct mq_dedupe *map, const void *topic, const char *key, const void *item);

#endif
