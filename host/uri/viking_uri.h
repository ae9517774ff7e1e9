/*
 * viking:// URIs (OpenViking section 3): parsing, canonical form, aliases, the checks that reject
 * traversal and encoding tricks before any storage access, and the namespace access rules.
 * Pure string work: safe on any thread.
 */
#ifndef SKALD_URI_VIKING_URI_H
#define SKALD_URI_VIKING_URI_H

#include <stddef.h>

#include "auth/identity.h"

#define VIKING_URI_MAX 1024     /* longest canonical URI */
#define VIKING_SEGMENT_MAX 255  /* longest segment */
#define VIKING_DEPTH_MAX 32     /* most segments */

/* Canonicalises `in` for caller `who`: must start with viking://; empty segments and a trailing
 * '/' dropped; `~` and `session` aliases expanded for USER/ADMIN callers (rejected for ROOT and
 * for who == NULL); rejected: `.`/`..` segments, backslashes, control characters (C0, DEL, C1),
 * invalid UTF-8, any '%' (percent-encoding is not part of the scheme), over-long segments or
 * depth (also after alias expansion), unknown or internal scopes, the uid-less
 * `viking://user/memories/...` form, invalid user/peer/session id segments. `in` is a C string:
 * a NUL ends it, so a field holding "\u0000" must be refused before (jansson does unless
 * JSON_ALLOW_NUL). Writes the canonical URI to out (cap >= VIKING_URI_MAX + 1). Returns 0, or -1
 * with a reason for `Invalid URI: <uri> (<reason>)`. */
int viking_uri_canonicalize(const char *in, const struct identity *who, char *out, size_t cap,
                            char *reason, size_t reason_cap);

/* Whether `who` may see or touch canonical `uri`: ROOT anything; USER/ADMIN the root, resources,
 * agent, the bare viking://user container and their own user/{self} subtree (with an actor peer:
 * not other peers' user/{self}/peers/{p} subtrees). Listings stay true by filtering children
 * through this same check. Returns 0 when allowed, -1 when forbidden (403 PERMISSION_DENIED),
 * also for who == NULL, an unknown scope, a `.`/`..` segment or a string not a viking:// URI. */
int viking_uri_access(const struct identity *who, const char *uri);

/* "memory", "resource" or "skill", by path (section 3, content kinds). */
const char *viking_uri_context_type(const char *uri);

/* The parent of a canonical URI into out ("viking://" for a scope root); -1 for the root. */
int viking_uri_parent(const char *uri, char *out, size_t cap);
/* The last segment (a pointer into uri); "" for the root. */
const char *viking_uri_name(const char *uri);
/* Whether uri equals prefix or lies under it (segment-wise: viking://a/b is not under viking://a/bc). */
int viking_uri_is_under(const char *uri, const char *prefix);
/* Joins a canonical directory URI and a relative path ("a/b.md"; a trailing '/' is dropped) into
 * out; -1 if the result is too long or too deep, or rel is empty, absolute, has an empty, `.`,
 * `..` or over-long segment, or a character canonicalize rejects. */
int viking_uri_join(const char *dir, const char *rel, char *out, size_t cap);

/* Sanitises a generated node name (section 3): letters, digits, '_', '-', '.', non-ASCII kept;
 * other characters become '_', runs of '_' collapse, leading/trailing '_' and '.' stripped, at
 * most 50 bytes (not splitting a UTF-8 sequence), "unnamed" when nothing is left. */
void viking_name_sanitize(const char *in, char *out, size_t cap);

#endif
