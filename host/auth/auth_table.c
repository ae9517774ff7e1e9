#include "auth/auth_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct auth_user_key {
    uint8_t hash[AUTH_KEY_HASH_LEN];
    char label[AUTH_ID_MAX + 1];
    char account[AUTH_ID_MAX + 1];
    char user[AUTH_ID_MAX + 1];
    enum auth_role role;
};

struct auth_table {
    enum auth_mode mode;
    int has_root;
    uint8_t root_hash[AUTH_KEY_HASH_LEN];
    struct auth_user_key *users;
    size_t n_users, cap_users;
};

struct auth_table *auth_table_new(enum auth_mode mode)
{
    struct auth_table *t = calloc(1, sizeof *t);
    if (t)
        t->mode = mode;
    return t;
}

void auth_table_free(struct auth_table *t)
{
    if (!t)
        return;
    free(t->users);
    free(t);
}

enum auth_mode auth_table_mode(const struct auth_table *t) { return t->mode; }
int auth_table_has_root(const struct auth_table *t) { return t->has_root; }
size_t auth_table_user_count(const struct auth_table *t) { return t->n_users; }

/* 1 when the two hashes are equal, 0 otherwise; every byte is looked at either way. */
static uint32_t hash_equal_ct(const uint8_t *a, const uint8_t *b)
{
    uint32_t diff = 0;
    for (size_t i = 0; i < AUTH_KEY_HASH_LEN; i++)
        diff |= (uint32_t)(a[i] ^ b[i]);
    return ((diff - 1) >> 8) & 1;
}

int auth_table_set_root(struct auth_table *t, const uint8_t hash[AUTH_KEY_HASH_LEN], char *why,
                        size_t why_cap)
{
    for (size_t i = 0; i < t->n_users; i++)
        if (hash_equal_ct(t->users[i].hash, hash)) {
            snprintf(why, why_cap, "the root key is also the key of [keys] %s", t->users[i].label);
            return -1;
        }
    memcpy(t->root_hash, hash, AUTH_KEY_HASH_LEN);
    t->has_root = 1;
    return 0;
}

static int copy_id(char dst[AUTH_ID_MAX + 1], const char *src)
{
    size_t len = strlen(src);
    if (len > AUTH_ID_MAX)
        return -1;
    memcpy(dst, src, len + 1);
    return 0;
}

int auth_table_add_user(struct auth_table *t, const uint8_t hash[AUTH_KEY_HASH_LEN],
                        const char *label, const char *account, const char *user,
                        enum auth_role role, char *why, size_t why_cap)
{
    if (t->has_root && hash_equal_ct(t->root_hash, hash)) {
        snprintf(why, why_cap, "same key as the root key");
        return -1;
    }
    for (size_t i = 0; i < t->n_users; i++)
        if (hash_equal_ct(t->users[i].hash, hash)) {
            snprintf(why, why_cap, "same key as [keys] %s", t->users[i].label);
            return -1;
        }
    if (role == AUTH_ROLE_ROOT) {
        snprintf(why, why_cap, "a user key cannot have the root role");
        return -1;
    }
    if (t->n_users == t->cap_users) {
        size_t cap = t->cap_users ? t->cap_users * 2 : 8;
        struct auth_user_key *users = realloc(t->users, cap * sizeof *users);
        if (!users) {
            snprintf(why, why_cap, "out of memory");
            return -1;
        }
        t->users = users;
        t->cap_users = cap;
    }
    struct auth_user_key *k = &t->users[t->n_users];
    memset(k, 0, sizeof *k);
    if (copy_id(k->label, label) != 0 || copy_id(k->account, account) != 0 ||
        copy_id(k->user, user) != 0) {
        snprintf(why, why_cap, "label, account or user longer than %d bytes", AUTH_ID_MAX);
        return -1;
    }
    memcpy(k->hash, hash, AUTH_KEY_HASH_LEN);
    k->role = role;
    t->n_users++;
    return 0;
}

int auth_table_match(const struct auth_table *t, const uint8_t hash[AUTH_KEY_HASH_LEN],
                     struct identity *out)
{
    /* Branch-free selection: `found` is the 1-based index of the matching user key (hashes are
     * unique, so at most one), `is_root` whether the root key matched. */
    uint32_t is_root = t->has_root ? hash_equal_ct(t->root_hash, hash) : 0;
    size_t found = 0;
    for (size_t i = 0; i < t->n_users; i++) {
        size_t mask = (size_t)0 - (size_t)hash_equal_ct(t->users[i].hash, hash);
        found = (found & ~mask) | ((i + 1) & mask);
    }
    if (is_root) {
        snprintf(out->account, sizeof out->account, "default");
        snprintf(out->user, sizeof out->user, "default");
        out->role = AUTH_ROLE_ROOT;
        return 0;
    }
    if (!found)
        return -1;
    const struct auth_user_key *k = &t->users[found - 1];
    memcpy(out->account, k->account, sizeof out->account);
    memcpy(out->user, k->user, sizeof out->user);
    out->role = k->role;
    return 0;
}
