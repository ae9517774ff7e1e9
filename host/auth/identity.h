/*
 * Who is calling: the identity every /api/v1 request resolves to before any handler runs.
 * Modes (OpenViking section 1.5): `dev` (no key; ROOT of the account/user named by the identity
 * headers, default "default"; only on a loopback listen address) and `api_key` (a root key and
 * user keys from the config's [auth] and [keys] sections; keys are kept as SHA-256 hashes and
 * compared in constant time; never logged). Pure memory: safe on any thread.
 */
#ifndef SKALD_AUTH_IDENTITY_H
#define SKALD_AUTH_IDENTITY_H

#include <stddef.h>

enum auth_mode { AUTH_MODE_DEV = 0, AUTH_MODE_API_KEY = 1 };
enum auth_role { AUTH_ROLE_USER = 0, AUTH_ROLE_ADMIN = 1, AUTH_ROLE_ROOT = 2 };

#define AUTH_ID_MAX 64 /* longest account, user or peer id */

struct identity {
    char account[AUTH_ID_MAX + 1];
    char user[AUTH_ID_MAX + 1];
    char peer[AUTH_ID_MAX + 1]; /* X-OpenViking-Actor-Peer, "" when absent */
    enum auth_role role;
};

/* The request headers auth looks at (NULL when absent). */
struct auth_headers {
    const char *api_key;       /* X-API-Key */
    const char *authorization; /* Authorization ("Bearer <key>") */
    const char *account;       /* X-OpenViking-Account */
    const char *user;          /* X-OpenViking-User */
    const char *actor_peer;    /* X-OpenViking-Actor-Peer */
};

struct auth_table; /* immutable once built; owned by the config generation that built it */

/* "dev", "api_key". */
const char *auth_mode_name(enum auth_mode mode);
const char *auth_role_name(enum auth_role role);

/* Whether s is a valid account/user/peer id: 1..64 of [A-Za-z0-9_.@-], at most one '@', not "."
 * or "..". Accounts additionally may not start with '_' (is_account). */
int auth_id_valid(const char *s, int is_account);

/* Resolves the caller. api_key mode: a non-empty X-API-Key wins, else "Authorization: Bearer
 * <key>" (exact prefix); the root key gives ROOT of account and user "default", a user key its
 * account, user and role; the Account/User headers are ignored. dev mode: ROOT of the Account/User
 * headers (trimmed; empty or absent = "default"). Both: Actor-Peer becomes out->peer. The key is
 * checked before any header. Returns 0 (*code NULL), or -1 with *code set to "UNAUTHENTICATED"
 * (401: no key, unknown key) or "INVALID_ARGUMENT" (400, a malformed identity header) and a
 * message for the envelope; the message never contains a key. */
int auth_resolve(const struct auth_table *t, const struct auth_headers *h, struct identity *out,
                 const char **code, char *msg, size_t msg_cap);

enum auth_mode auth_table_mode(const struct auth_table *t);

/* Whether a ROOT caller in api_key mode may call this path (the OpenViking allow-list:
 * /api/v1/admin*, observer*, console*, tasks*, system/backend*, system/sync*, system/status,
 * system/wait, plus skald's system/reload and debug routes; a query string is ignored). Any caller
 * of the dev mode is ROOT and unrestricted. */
int auth_root_path_allowed(const struct auth_table *t, const char *path);

#endif
