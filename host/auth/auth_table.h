/*
 * The key table behind struct auth_table: the mode, the root key and the user keys, each held only
 * as the SHA-256 of the key. Built once by the config loader, then read-only (safe on any thread).
 */
#ifndef SKALD_AUTH_AUTH_TABLE_H
#define SKALD_AUTH_AUTH_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "auth/identity.h"

#define AUTH_KEY_HASH_LEN 32

/* A new, empty table; NULL when out of memory. Free with auth_table_free. */
struct auth_table *auth_table_new(enum auth_mode mode);
void auth_table_free(struct auth_table *t);

/* Sets the root key. Returns 0, or -1 with why when a user key has the same hash. */
int auth_table_set_root(struct auth_table *t, const uint8_t hash[AUTH_KEY_HASH_LEN], char *why,
                        size_t why_cap);

/* Adds a user key for account/user (valid ids) with role USER or ADMIN. `label` names the entry
 * in later messages (copied). Returns 0, or -1 with why: out of memory, or the hash is already
 * the root key or another entry's key (named by its label, never by the key). */
int auth_table_add_user(struct auth_table *t, const uint8_t hash[AUTH_KEY_HASH_LEN],
                        const char *label, const char *account, const char *user,
                        enum auth_role role, char *why, size_t why_cap);

int auth_table_has_root(const struct auth_table *t);
size_t auth_table_user_count(const struct auth_table *t);

/* Finds the key whose hash is `hash`, comparing it fully against every stored hash whatever
 * matches, so the time taken does not depend on which bytes agree. On a match fills out's
 * account, user and role (ROOT for the root key, whose account and user are "default"), leaves
 * out->peer alone and returns 0; -1 when no key matches. */
int auth_table_match(const struct auth_table *t, const uint8_t hash[AUTH_KEY_HASH_LEN],
                     struct identity *out);

#endif
