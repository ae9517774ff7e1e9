#include "auth/auth_key_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"

void auth_key_hash(const char *key, uint8_t out[AUTH_KEY_HASH_LEN])
{
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, key, strlen(key));
    sha256_final(&s, out);
    explicit_bzero(&s, sizeof s);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int auth_key_hash_from_hex(const char *text, uint8_t out[AUTH_KEY_HASH_LEN])
{
    if (strlen(text) != 2 * AUTH_KEY_HASH_LEN)
        return -1;
    for (size_t i = 0; i < AUTH_KEY_HASH_LEN; i++) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

enum spec_field { FIELD_ACCOUNT, FIELD_USER, FIELD_ROLE, FIELD_KEY, FIELD_KEY_SHA256, FIELD_COUNT };
static const char *const spec_field_names[FIELD_COUNT] = {"account", "user", "role", "key",
                                                           "key_sha256"};

/* Works on `line`, a private copy the caller wipes: a plain key passes through it. */
static int parse_fields(char *line, struct auth_key_spec *out, char *why, size_t why_cap)
{
    const char *value[FIELD_COUNT] = {0};
    int n_field = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        n_field++;
        char *eq = strchr(tok, '=');
        int f = FIELD_COUNT;
        if (eq) {
            *eq = '\0';
            for (f = 0; f < FIELD_COUNT; f++)
                if (strcmp(tok, spec_field_names[f]) == 0)
                    break;
        }
        if (f == FIELD_COUNT) {
            snprintf(why, why_cap,
                     "field %d is not one of account=, user=, role=, key=, key_sha256=", n_field);
            return -1;
        }
        if (value[f]) {
            snprintf(why, why_cap, "%s= given twice", spec_field_names[f]);
            return -1;
        }
        value[f] = eq + 1;
    }
    if (!value[FIELD_ACCOUNT] || !auth_id_valid(value[FIELD_ACCOUNT], 1)) {
        snprintf(why, why_cap, "%s", value[FIELD_ACCOUNT]
                                         ? "account= is not an account id (1-64 of A-Z a-z 0-9 _ . @ -, "
                                           "at most one @, not starting with _)"
                                         : "account= is missing");
        return -1;
    }
    if (!value[FIELD_USER] || !auth_id_valid(value[FIELD_USER], 0)) {
        snprintf(why, why_cap, "%s", value[FIELD_USER]
                                         ? "user= is not a user id (1-64 of A-Z a-z 0-9 _ . @ -, at "
                                           "most one @)"
                                         : "user= is missing");
        return -1;
    }
    out->role = AUTH_ROLE_USER;
    if (value[FIELD_ROLE]) {
        if (strcmp(value[FIELD_ROLE], "admin") == 0)
            out->role = AUTH_ROLE_ADMIN;
        else if (strcmp(value[FIELD_ROLE], "user") != 0) {
            snprintf(why, why_cap, "role= must be user or admin");
            return -1;
        }
    }
    if (!value[FIELD_KEY] == !value[FIELD_KEY_SHA256]) {
        snprintf(why, why_cap, "give exactly one of key= and key_sha256=");
        return -1;
    }
    if (value[FIELD_KEY]) {
        if (!*value[FIELD_KEY]) {
            snprintf(why, why_cap, "key= is empty");
            return -1;
        }
        auth_key_hash(value[FIELD_KEY], out->hash);
    } else if (auth_key_hash_from_hex(value[FIELD_KEY_SHA256], out->hash) != 0) {
        snprintf(why, why_cap, "key_sha256= is not 64 hex digits");
        return -1;
    }
    snprintf(out->account, sizeof out->account, "%s", value[FIELD_ACCOUNT]);
    snprintf(out->user, sizeof out->user, "%s", value[FIELD_USER]);
    return 0;
}

int auth_key_spec_parse(const char *text, struct auth_key_spec *out, char *why, size_t why_cap)
{
    size_t len = strlen(text);
    char *line = malloc(len + 1);
    if (!line) {
        snprintf(why, why_cap, "out of memory");
        return -1;
    }
    memcpy(line, text, len + 1);
    int rc = parse_fields(line, out, why, why_cap);
    explicit_bzero(line, len);
    free(line);
    return rc;
}
