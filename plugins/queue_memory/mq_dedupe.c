#include "mq_dedupe.h"

#include <stdlib.h>
#include <string.h>

static uint64_t dedupe_hash(const void *topic, const char *key)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)topic;
    for (const unsigned char *c = (const unsigned char *)key; *c; c++)
        h = (h ^ *c) * 1099511628211ULL;
    return h ^ (h >> 29);
}

void mq_dedupe_free(struct mq_dedupe *map)
{
    free(map->slots);
    memset(map, 0, sizeof *map);
}

static void place(struct mq_dedupe_slot *slots, size_t cap, const struct mq_dedupe_slot *e)
{
    size_t i = e->hash & (cap - 1);
    while (slots[i].item)
        i = (i + 1) & (cap - 1);
    slots[i] = *e;
}

int mq_dedupe_reserve(struct mq_dedupe *map, size_t count)
{
    /* Kept at most half full so probe runs stay short. */
    if (count * 2 <= map->cap)
        return 0;
    size_t cap = map->cap ? map->cap : 64;
    while (count * 2 > cap)
        cap *= 2;
    struct mq_dedupe_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < map->cap; i++)
        if (map->slots[i].item)
            place(slots, cap, &map->slots[i]);
    free(map->slots);
    map->slots = slots;
    map->cap = cap;
    return 0;
}

void *mq_dedupe_find(const struct mq_dedupe *map, const void *topic, const char *key)
{
    if (map->count == 0)
        return NULL;
    uint64_t h = dedupe_hash(topic, key);
    for (size_t i = h & (map->cap - 1); map->slots[i].item; i = (i + 1) & (map->cap - 1)) {
        const struct mq_dedupe_slot *s = &map->slots[i];
        if (s->hash == h && s->topic == topic && strcmp(s->key, key) == 0)
            return s->item;
    }
    return NULL;
}

void mq_dedupe_insert(struct mq_dedupe *map, const void *topic, const char *key, void *item)
{
    struct mq_dedupe_slot e = {dedupe_hash(topic, key), topic, key, item};
    place(map->slots, map->cap, &e);
    map->count++;
}

void mq_dedupe_erase(struct mq_dedupe *map, const void *topic, const char *key, const void *item)
{
    if (map->count == 0)
        return;
    size_t mask = map->cap - 1;
    size_t i = dedupe_hash(topic, key) & mask;
    while (map->slots[i].item && map->slots[i].item != item)
        i = (i + 1) & mask;
    if (!map->slots[i].item)
        return;
    map->count--;
    /* Backward-shift deletion: pull later entries of the probe run into the hole so that
     * lookups never stop early at it. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; map->slots[j].item; j = (j + 1) & mask) {
        size_t home = map->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            map->slots[hole] = map->slots[j];
            hole = j;
        }
    }
    memset(&map->slots[hole], 0, sizeof map->slots[hole]);
}
