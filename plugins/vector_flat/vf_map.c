#include "vf_map.h"

#include <stdlib.h>
#include <string.h>

static uint64_t key_hash(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *c = (const unsigned char *)key; *c; c++)
        h = (h ^ *c) * 1099511628211ULL;
    return h ^ (h >> 29);
}

void vf_map_free(struct vf_map *map)
{
    free(map->slots);
    memset(map, 0, sizeof *map);
}

static void place(struct vf_map_slot *slots, size_t cap, const struct vf_map_slot *e)
{
    size_t i = e->hash & (cap - 1);
    while (slots[i].key)
        i = (i + 1) & (cap - 1);
    slots[i] = *e;
}

int vf_map_reserve(struct vf_map *map, size_t count)
{
    /* At most half full so probe runs stay short. */
    if (count * 2 <= map->cap)
        return 0;
    size_t cap = map->cap ? map->cap : 64;
    while (count * 2 > cap)
        cap *= 2;
    struct vf_map_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < map->cap; i++)
        if (map->slots[i].key)
            place(slots, cap, &map->slots[i]);
    free(map->slots);
    map->slots = slots;
    map->cap = cap;
    return 0;
}

static size_t find(const struct vf_map *map, const char *key, uint64_t h)
{
    size_t mask = map->cap - 1;
    size_t i = h & mask;
    while (map->slots[i].key &&
           (map->slots[i].hash != h || strcmp(map->slots[i].key, key) != 0))
        i = (i + 1) & mask;
    return i;
}

int vf_map_get(const struct vf_map *map, const char *key, uint32_t *value)
{
    if (map->count == 0)
        return 0;
    size_t i = find(map, key, key_hash(key));
    if (!map->slots[i].key)
        return 0;
    *value = map->slots[i].value;
    return 1;
}

void vf_map_insert(struct vf_map *map, const char *key, uint32_t value)
{
    struct vf_map_slot e = {key_hash(key), key, value};
    place(map->slots, map->cap, &e);
    map->count++;
}

void vf_map_erase(struct vf_map *map, const char *key)
{
    if (map->count == 0)
        return;
    size_t mask = map->cap - 1;
    size_t i = find(map, key, key_hash(key));
    if (!map->slots[i].key)
        return;
    map->count--;
    /* Backward-shift deletion: later entries of the probe run move into the hole so lookups never
     * stop early at it. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; map->slots[j].key; j = (j + 1) & mask) {
        size_t home = map->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            map->slots[hole] = map->slots[j];
            hole = j;
        }
    }
    memset(&map->slots[hole], 0, sizeof map->slots[hole]);
}
