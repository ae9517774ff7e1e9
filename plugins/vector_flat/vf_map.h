/* String -> uint32 hash map for vector_flat (record id -> slot, account -> account number).
 * Open addressing with linear probing; keys are borrowed and must outlive their entry. */
#ifndef VF_MAP_H
#define VF_MAP_H

#include <stddef.h>
#include <stdint.h>

struct vf_map_slot {
    uint64_t hash;
    const char *key; /* NULL = empty slot */
    uint32_t value;
};

struct vf_map {
    struct vf_map_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t count;
};

void vf_map_free(struct vf_map *map);
/* Makes room for `count` entries so that inserts up to that count cannot fail. 0 or -1 (ENOMEM,
 * map unchanged). */
int vf_map_reserve(struct vf_map *map, size_t count);
/* The value of key in *value: 1 when found, 0 when not. */
int vf_map_get(const struct vf_map *map, const char *key, uint32_t *value);
/* Inserts a key not present; call vf_map_reserve(map, map->count + 1) first. */
void vf_map_insert(struct vf_map *map, const char *key, uint32_t value);
void vf_map_erase(struct vf_map *map, const char *key);

#endif
