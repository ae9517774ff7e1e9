/*
 * Filesystem entries as the fs and content routes show them (OpenViking section 2.4): the
 * `original` and `agent` shapes of ls/tree/stat, hidden names, and the `.abstract.md` /
 * `.overview.md` sidecars, which skald keeps as a directory's L0/L1 rather than as files but
 * shows and reads under those names. Pure JSON and string work.
 */
#ifndef SKALD_HTTP_FS_ENTRY_H
#define SKALD_HTTP_FS_ENTRY_H

#include <jansson.h>
#include <stddef.h>

#include "http/api_call.h"
#include "store/store.h"

enum fs_output { FS_OUTPUT_AGENT = 0, FS_OUTPUT_ORIGINAL = 1 };

#define FS_ENTRY_ABSTRACT_NAME ".abstract.md"
#define FS_ENTRY_OVERVIEW_NAME ".overview.md"

/* The `output` query argument (agent when absent); 400 and -1 for another value. */
int fs_entry_output_arg(struct api_call *c, enum fs_output *out);

/* Whether a name is hidden unless show_all_hidden (a leading '.'). */
int fs_entry_is_hidden(const char *name);

/* 0 when uri names a directory's .abstract.md, 1 for .overview.md, -1 otherwise. */
int fs_entry_sidecar_level(const char *uri);

/* One entry for a node. abs_limit: characters of a directory's abstract in the agent shape.
 * rel_path (may be NULL) is added as "rel_path". NULL when out of memory. */
json_t *fs_entry_json(const struct store_node *n, enum fs_output out, size_t abs_limit,
                      const char *rel_path);

/* The entry of a directory's sidecar (level 0 .abstract.md, 1 .overview.md); the directory must
 * have that layer. rel_dir (may be NULL) is the directory's rel_path, "" for the tree's root. */
json_t *fs_entry_sidecar_json(const struct store_node *dir, int level, enum fs_output out,
                              const char *rel_dir);

/* The stat shape: {"name","size","mode","modTime","isDir","isLocked","uri","count"?}. */
json_t *fs_entry_stat_json(const struct store_node *n);

/* Reads the node at uri for the caller's account, resolving a sidecar name to a file-like node
 * whose content is the directory's L0 or L1 (when no real node has that name). Writes the error
 * reply (404 when missing) and returns -1 on failure. */
int fs_entry_get(struct api_call *c, const char *uri, int with_content, struct store_node *out);

#endif
