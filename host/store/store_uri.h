/*
 * URI arithmetic the store needs on canonical viking:// URIs: checks, parents as prefix lengths,
 * names and the implicit roots. Pure string work.
 */
#ifndef SKALD_STORE_URI_H
#define SKALD_STORE_URI_H

#include <stddef.h>

#define STORE_ROOT_URI "viking://"
#define STORE_ROOT_LEN 9
#define STORE_URI_MAX 4096 /* longer URIs are refused (canonical ones stop at 1024) */

/* 0 when uri is a canonical viking:// URI (no empty segment, no trailing '/'), else
 * STORE_EINVAL with a message. */
int store_uri_check(const char *uri, char *err, size_t err_cap);

/* Length of the parent's prefix of uri (its first len bytes); 0 for the root, which has none. */
size_t store_uri_parent_len(const char *uri, size_t len);
/* The last segment of uri (its first len bytes): a pointer into uri; "" for the root. */
const char *store_uri_name(const char *uri, size_t len);

/* Whether uri (its first len bytes) is "viking://" or one of the scope roots, which exist for
 * every account without being stored. */
int store_uri_is_implicit(const char *uri, size_t len);
/* The scope names, sorted, and their count. */
extern const char *const store_scope_names[];
#define STORE_SCOPE_COUNT 3

/* Whether uri equals prefix or lies below it, segment-wise. */
int store_uri_is_under(const char *uri, const char *prefix);

#endif
