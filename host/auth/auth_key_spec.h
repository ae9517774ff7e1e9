/*
 * How keys are written in the configuration: a user key line of [keys] or a key file
 * ("account=acme user=alice role=user key_sha256=<64 hex>", or key=<plain> instead of key_sha256),
 * and the hashing of plain keys. Parse errors never quote any part of the line, since a
 * malformed line may hold a key.
 */
#ifndef SKALD_AUTH_AUTH_KEY_SPEC_H
#define SKALD_AUTH_AUTH_KEY_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth_table.h"
#include "auth/identity.h"

struct auth_key_spec {
    char account[AUTH_ID_MAX + 1];
    char user[AUTH_ID_MAX + 1];
    enum auth_role role; /* USER when the line names none */
    uint8_t hash[AUTH_KEY_HASH_LEN];
};

/* Parses whitespace-separated name=value fields: account and user (required, valid ids), role
 * (user|admin, optional), and exactly one of key (plain, hashed here) and key_sha256. Returns 0,
 * or -1 with why. */
int auth_key_spec_parse(const char *text, struct auth_key_spec *out, char *why, size_t why_cap);

/* The SHA-256 of a plain key. */
void auth_key_hash(const char *key, uint8_t out[AUTH_KEY_HASH_LEN]);

/* Decodes 64 hex digits (either case) into out. Returns 0, or -1 if text is anything else. */
int auth_key_hash_from_hex(const char *text, uint8_t out[AUTH_KEY_HASH_LEN]);

#endif
