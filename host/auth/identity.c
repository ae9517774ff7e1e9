#include "auth/identity.h"

#include <stdio.h>
#include <string.h>

#include "auth/auth_table.h"
#include "core/sha256.h"

const char *auth_mode_name(enum auth_mode mode)
{
    return mode == AUTH_MODE_API_KEY ? "api_key" : "dev";
}

const char *auth_role_name(enum auth_role role)
{
    switch (role) {
    case AUTH_ROLE_ROOT: return "root";
    case AUTH_ROLE_ADMIN: return "admin";
    case AUTH_ROLE_USER: break;
    }
    return "user";
}

int auth_id_valid(const char *s, int is_account)
{
    size_t len = strlen(s);
    if (len == 0 || len > AUTH_ID_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    if (is_account && s[0] == '_')
        return 0;
    int ats = 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (c == '@')
            ats++;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return ats <= 1;
}

/* Header values with surrounding spaces and tabs dropped; *len 0 means absent. */
static const char *trimmed(const char *v, size_t *len)
{
    *len = 0;
    if (!v)
        return NULL;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    *len = n;
    return v;
}

static int fail(const char **code, const char *which, char *msg, size_t msg_cap, const char *text)
{
    if (code)
        *code = which;
    snprintf(msg, msg_cap, "%s", text);
    return -1;
}

/* Copies an identity header into dst (or dflt when absent) if it is a valid id. */
static int header_id(const char *value, const char *dflt, int is_account, char dst[AUTH_ID_MAX + 1])
{
    size_t len;
    const char *v = trimmed(value, &len);
    if (len == 0) {
        snprintf(dst, AUTH_ID_MAX + 1, "%s", dflt);
        return 0;
    }
    if (len > AUTH_ID_MAX)
        return -1;
    memcpy(dst, v, len);
    dst[len] = '\0';
    return auth_id_valid(dst, is_account) ? 0 : -1;
}

/* The presented key: a non-empty X-API-Key wins, else "Authorization: Bearer <key>". */
static const char *presented_key(const struct auth_headers *h, size_t *len)
{
    const char *k = trimmed(h->api_key, len);
    if (*len > 0)
        return k;
    const char *a = trimmed(h->authorization, len);
    if (*len > 7 && strncmp(a, "Bearer ", 7) == 0)
        return trimmed(a + 7, len);
    *len = 0;
    return NULL;
}

int auth_resolve(const struct auth_table *t, const struct auth_headers *h, struct identity *out,
                 const char **code, char *msg, size_t msg_cap)
{
    memset(out, 0, sizeof *out);
    if (auth_table_mode(t) == AUTH_MODE_API_KEY) {
        size_t len;
        const char *key = presented_key(h, &len);
        if (!key)
            return fail(code, "UNAUTHENTICATED", msg, msg_cap,
                        "Missing API Key: send it as X-API-Key or Authorization: Bearer <key>");
        uint8_t digest[AUTH_KEY_HASH_LEN];
        struct sha256 s;
        sha256_init(&s);
        sha256_update(&s, key, len);
        sha256_final(&s, digest);
        int rc = auth_table_match(t, digest, out);
        explicit_bzero(&s, sizeof s);
        explicit_bzero(digest, sizeof digest);
        if (rc != 0)
            return fail(code, "UNAUTHENTICATED", msg, msg_cap, "Invalid API Key");
    } else {
        /* dev: no key; the caller is ROOT of whatever account and user it names. */
        if (header_id(h->account, "default", 1, out->account) != 0)
            return fail(code, "INVALID_ARGUMENT", msg, msg_cap,
                        "Invalid X-OpenViking-Account header: expected 1-64 of A-Z a-z 0-9 _ . @ -, "
                        "at most one @, not starting with _");
        if (header_id(h->user, "default", 0, out->user) != 0)
            return fail(code, "INVALID_ARGUMENT", msg, msg_cap,
                        "Invalid X-OpenViking-User header: expected 1-64 of A-Z a-z 0-9 _ . @ -, at "
                        "most one @");
        out->role = AUTH_ROLE_ROOT;
    }
    if (header_id(h->actor_peer, "", 0, out->peer) != 0)
        return fail(code, "INVALID_ARGUMENT", msg, msg_cap,
                    "Invalid X-OpenViking-Actor-Peer header: expected 1-64 of A-Z a-z 0-9 _ . @ -, "
                    "at most one @");
    if (code)
        *code = NULL;
    return 0;
}

/* Path starts with prefix and, when exact, has nothing after it but a query string. */
static int path_matches(const char *path, const char *prefix, int exact)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0)
        return 0;
    return !exact || path[n] == '\0' || path[n] == '?';
}

int auth_root_path_allowed(const struct auth_table *t, const char *path)
{
    if (auth_table_mode(t) == AUTH_MODE_DEV)
        return 1;
    /* OpenViking's allow-list, plus skald's own admin routes: reload and the debug routes. */
    static const char *const prefixes[] = {
        "/api/v1/admin",          "/api/v1/observer",      "/api/v1/console", "/api/v1/tasks",
        "/api/v1/system/backend", "/api/v1/system/sync",   "/api/v1/debug/",
    };
    static const char *const exact[] = {"/api/v1/system/status", "/api/v1/system/wait",
                                        "/api/v1/system/reload"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (path_matches(path, prefixes[i], 0))
            return 1;
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (path_matches(path, exact[i], 1))
            return 1;
    return 0;
}
