#include "uri/viking_uri.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "uri/utf8.h"

#define SCHEME "viking://"
#define SCHEME_LEN (sizeof SCHEME - 1)

/* A segment of a URI: a slice of the input, of the caller's identity or of a literal. */
struct seg {
    const char *p;
    size_t len;
};

static int seg_is(struct seg s, const char *word)
{
    return s.len == strlen(word) && memcmp(s.p, word, s.len) == 0;
}

static int reject(char *reason, size_t reason_cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(char *reason, size_t reason_cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (reason && reason_cap)
        vsnprintf(reason, reason_cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* The byte-level rules: no control characters (C0, DEL, C1), no backslash, no '%', valid UTF-8. */
static int check_bytes(const char *s, char *reason, size_t reason_cap)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c < 0x20 || c == 0x7f)
            return reject(reason, reason_cap, "control character at byte %zu",
                          (size_t)(p - (const unsigned char *)s));
        if (c == '\\')
            return reject(reason, reason_cap, "backslash is not allowed");
        if (c == '%')
            return reject(reason, reason_cap, "percent-encoding is not allowed");
        if (c < 0x80) {
            p++;
            continue;
        }
        unsigned cp;
        size_t n = viking_utf8_sequence(p, &cp);
        if (n == 0)
            return reject(reason, reason_cap, "not valid UTF-8");
        if (cp <= 0x9f)
            return reject(reason, reason_cap, "control character at byte %zu",
                          (size_t)(p - (const unsigned char *)s));
        p += n;
    }
    return 0;
}

/* Splits the part after the scheme on '/', dropping empty segments. Returns the count, or
 * max + 1 when there are more than max. */
static size_t split(const char *rest, struct seg *segs, size_t max)
{
    size_t n = 0;
    const char *p = rest;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len > 0) {
            if (n == max)
                return max + 1;
            segs[n].p = p;
            segs[n].len = len;
            n++;
        }
        p += len;
        if (*p == '/')
            p++;
    }
    return n;
}

/* Splits a canonical URI; -1 if it does not start with the scheme or is too deep. */
static int split_canonical(const char *uri, struct seg *segs, size_t *n)
{
    if (strncmp(uri, SCHEME, SCHEME_LEN) != 0)
        return -1;
    *n = split(uri + SCHEME_LEN, segs, VIKING_DEPTH_MAX);
    return *n > VIKING_DEPTH_MAX ? -1 : 0;
}

static int seg_id_valid(struct seg s)
{
    char id[AUTH_ID_MAX + 1];
    if (s.len > AUTH_ID_MAX)
        return 0;
    memcpy(id, s.p, s.len);
    id[s.len] = '\0';
    return auth_id_valid(id, 0);
}

static const char *const user_subspaces[] = {"memories", "resources", "skills",
                                             "peers",    "privacy",   "sessions"};

/* The rules for viking://user/{uid}/...: no uid-less form, valid user, peer and session ids. */
static int check_user_scope(const struct seg *segs, size_t n, const struct identity *who,
                            char *reason, size_t reason_cap)
{
    if (n < 2)
        return 0;
    int is_self = who && seg_is(segs[1], who->user);
    int is_root = !who || who->role == AUTH_ROLE_ROOT;
    for (size_t i = 0; i < sizeof user_subspaces / sizeof user_subspaces[0]; i++)
        if (!is_self && seg_is(segs[1], user_subspaces[i]))
            return reject(reason, reason_cap, "viking://user/%s/... has no user id; %s%s/...",
                          user_subspaces[i],
                          is_root ? "name one: viking://user/<user_id>/" : "use viking://~/",
                          user_subspaces[i]);
    if (!seg_id_valid(segs[1]))
        return reject(reason, reason_cap, "invalid user id '%.*s'", (int)segs[1].len, segs[1].p);
    if (n >= 4 && seg_is(segs[2], "peers") && !seg_id_valid(segs[3]))
        return reject(reason, reason_cap, "invalid peer id '%.*s'", (int)segs[3].len, segs[3].p);
    if (n >= 4 && seg_is(segs[2], "sessions") && !seg_id_valid(segs[3]))
        return reject(reason, reason_cap, "invalid session id '%.*s'", (int)segs[3].len,
                      segs[3].p);
    return 0;
}

int viking_uri_canonicalize(const char *in, const struct identity *who, char *out, size_t cap,
                            char *reason, size_t reason_cap)
{
    if (strncmp(in, SCHEME, SCHEME_LEN) != 0)
        return reject(reason, reason_cap, "must start with viking://");
    if (check_bytes(in, reason, reason_cap) != 0)
        return -1;
    struct seg in_segs[VIKING_DEPTH_MAX];
    size_t n_in = split(in + SCHEME_LEN, in_segs, VIKING_DEPTH_MAX);
    if (n_in > VIKING_DEPTH_MAX)
        return reject(reason, reason_cap, "more than %d segments", VIKING_DEPTH_MAX);
    for (size_t i = 0; i < n_in; i++) {
        if (seg_is(in_segs[i], ".") || seg_is(in_segs[i], ".."))
            return reject(reason, reason_cap, "'.' and '..' segments are not allowed");
        if (in_segs[i].len > VIKING_SEGMENT_MAX)
            return reject(reason, reason_cap, "segment %zu is longer than %d bytes", i + 1,
                          VIKING_SEGMENT_MAX);
    }

    /* Room for the two segments an alias adds. */
    struct seg segs[VIKING_DEPTH_MAX + 2];
    size_t n = 0;
    int is_root = !who || who->role == AUTH_ROLE_ROOT;
    if (n_in > 0) {
        struct seg scope = in_segs[0];
        size_t skip = 1;
        if (seg_is(scope, "~") || seg_is(scope, "session")) {
            if (is_root)
                return reject(reason, reason_cap,
                              "Home alias URI is not canonical: a root caller names "
                              "viking://user/<user_id>/... instead");
            if (!auth_id_valid(who->user, 0))
                return reject(reason, reason_cap, "the caller has no valid user id for '~'");
            segs[n++] = (struct seg){"user", 4};
            segs[n++] = (struct seg){who->user, strlen(who->user)};
            if (seg_is(scope, "session"))
                segs[n++] = (struct seg){"sessions", 8};
        } else if (seg_is(scope, "temp") || seg_is(scope, "queue") || seg_is(scope, "upload")) {
            return reject(reason, reason_cap,
                          "Invalid scope '%.*s'. Must be one of: agent, resources, session, user",
                          (int)scope.len, scope.p);
        } else if (seg_is(scope, "resources") || seg_is(scope, "user") || seg_is(scope, "agent")) {
            skip = 0;
        } else {
            return reject(reason, reason_cap,
                          "Invalid scope '%.*s'. Must be one of: agent, queue, resources, session, "
                          "temp, upload, user",
                          (int)scope.len, scope.p);
        }
        for (size_t i = skip; i < n_in; i++)
            segs[n++] = in_segs[i];
    }
    if (n > VIKING_DEPTH_MAX)
        return reject(reason, reason_cap, "more than %d segments", VIKING_DEPTH_MAX);
    if (n > 0 && seg_is(segs[0], "user") && check_user_scope(segs, n, who, reason, reason_cap) != 0)
        return -1;

    size_t len = SCHEME_LEN;
    for (size_t i = 0; i < n; i++)
        len += (i > 0) + segs[i].len;
    if (len > VIKING_URI_MAX)
        return reject(reason, reason_cap, "longer than %d bytes", VIKING_URI_MAX);
    if (len >= cap)
        return reject(reason, reason_cap, "longer than the buffer for it");
    char *w = out;
    memcpy(w, SCHEME, SCHEME_LEN);
    w += SCHEME_LEN;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            *w++ = '/';
        memcpy(w, segs[i].p, segs[i].len);
        w += segs[i].len;
    }
    *w = '\0';
    return 0;
}

int viking_uri_access(const struct identity *who, const char *uri)
{
    struct seg segs[VIKING_DEPTH_MAX];
    size_t n;
    if (!who || split_canonical(uri, segs, &n) != 0)
        return -1;
    /* Canonical URIs have none; refusing them keeps a caller that skipped canonicalize safe. */
    for (size_t i = 0; i < n; i++)
        if (seg_is(segs[i], ".") || seg_is(segs[i], ".."))
            return -1;
    if (who->role == AUTH_ROLE_ROOT || n == 0)
        return 0;
    if (seg_is(segs[0], "resources") || seg_is(segs[0], "agent"))
        return 0;
    if (!seg_is(segs[0], "user"))
        return -1;
    if (n == 1)
        return 0; /* the container of user spaces; listing it shows only the caller's */
    if (!seg_is(segs[1], who->user))
        return -1;
    if (who->peer[0] && n >= 4 && seg_is(segs[2], "peers") && !seg_is(segs[3], who->peer))
        return -1;
    return 0;
}

static const char *kind_of(struct seg s)
{
    if (seg_is(s, "memories"))
        return "memory";
    if (seg_is(s, "skills"))
        return "skill";
    return "resource";
}

const char *viking_uri_context_type(const char *uri)
{
    struct seg segs[VIKING_DEPTH_MAX];
    size_t n;
    if (split_canonical(uri, segs, &n) != 0 || n == 0)
        return "resource";
    if (seg_is(segs[0], "agent"))
        return n >= 2 && seg_is(segs[1], "skills") ? "skill" : "resource";
    if (!seg_is(segs[0], "user") || n < 3)
        return "resource";
    if (seg_is(segs[2], "peers"))
        return n >= 5 ? kind_of(segs[4]) : "resource";
    return kind_of(segs[2]);
}

int viking_uri_parent(const char *uri, char *out, size_t cap)
{
    if (strncmp(uri, SCHEME, SCHEME_LEN) != 0 || uri[SCHEME_LEN] == '\0')
        return -1;
    const char *slash = strrchr(uri + SCHEME_LEN, '/');
    size_t len = slash ? (size_t)(slash - uri) : SCHEME_LEN;
    if (len >= cap)
        return -1;
    memcpy(out, uri, len);
    out[len] = '\0';
    return 0;
}

const char *viking_uri_name(const char *uri)
{
    if (strncmp(uri, SCHEME, SCHEME_LEN) != 0)
        return "";
    const char *slash = strrchr(uri + SCHEME_LEN, '/');
    return slash ? slash + 1 : uri + SCHEME_LEN;
}

int viking_uri_is_under(const char *uri, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(uri, prefix, n) != 0)
        return 0;
    if (uri[n] == '\0')
        return 1;
    /* The root "viking://" already ends at a segment boundary. */
    if (n == SCHEME_LEN && strcmp(prefix, SCHEME) == 0)
        return 1;
    return uri[n] == '/';
}

int viking_uri_join(const char *dir, const char *rel, char *out, size_t cap)
{
    if (strncmp(dir, SCHEME, SCHEME_LEN) != 0 || !*rel || check_bytes(rel, NULL, 0) != 0)
        return -1;
    struct seg dir_segs[VIKING_DEPTH_MAX], rel_segs[VIKING_DEPTH_MAX];
    size_t n_dir = split(dir + SCHEME_LEN, dir_segs, VIKING_DEPTH_MAX);
    size_t n_rel = split(rel, rel_segs, VIKING_DEPTH_MAX);
    if (n_dir + n_rel > VIKING_DEPTH_MAX || rel[0] == '/' || strstr(rel, "//"))
        return -1;
    for (size_t i = 0; i < n_rel; i++)
        if (seg_is(rel_segs[i], ".") || seg_is(rel_segs[i], "..") ||
            rel_segs[i].len > VIKING_SEGMENT_MAX)
            return -1;
    size_t dir_len = strlen(dir), rel_len = strlen(rel);
    while (rel_len > 0 && rel[rel_len - 1] == '/')
        rel_len--;
    int need_slash = dir_len > SCHEME_LEN;
    size_t len = dir_len + (size_t)need_slash + rel_len;
    if (len > VIKING_URI_MAX || len >= cap)
        return -1;
    memcpy(out, dir, dir_len);
    if (need_slash)
        out[dir_len] = '/';
    memcpy(out + dir_len + need_slash, rel, rel_len);
    out[len] = '\0';
    return 0;
}
