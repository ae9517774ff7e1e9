/*
 * What an import produces: the files and directories to store under a resource root, by path
 * relative to that root ("a/b.md"), plus warnings for what was skipped. Parents always come
 * before their children (adding "a/b.md" adds "a" first), and no path appears twice.
 *
 * Every rel_path is checked: non-empty segments, none starting with '.' (so no "." or "..",
 * and no clash with the hidden sidecars .abstract.md/.overview.md), no leading or trailing
 * '/', no '\\', '%', or control characters, segments of at most VIKING_SEGMENT_MAX bytes and
 * at most VIKING_DEPTH_MAX of them. Producers sanitise names (import_name.h) before adding.
 *
 * Not thread-safe; one tree belongs to one import. The tree owns every string and buffer in it.
 */
#ifndef SKALD_INGEST_IMPORT_TREE_H
#define SKALD_INGEST_IMPORT_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/import_name.h"

struct import_entry {
    char *rel_path;       /* "a/b.md" */
    int is_dir;
    unsigned char *bytes; /* files: the content plus a NUL after it; NULL for directories */
    size_t len;           /* content bytes (the NUL not counted); 0 for directories */
};

struct import_tree {
    /* Suggested name of the resource root directory (sanitised), "" when the producer has none;
     * the pipeline plans {parent}/{root_name} (with _1, _2... on collision) unless `to` is given. */
    char root_name[IMPORT_NAME_MAX + 1];
    struct import_entry *entries;
    size_t count;
    char **warnings; /* one message each, for the response's "warnings" */
    size_t warning_count;
    uint64_t file_bytes; /* sum of the files' len */
    /* private */
    size_t entry_cap, warning_cap;
    size_t *slots; /* open-addressing index of rel_path: entry index + 1, 0 = empty */
    size_t slot_cap;
};

void import_tree_init(struct import_tree *t);
/* Frees everything the tree holds and leaves it empty (initialised). */
void import_tree_free(struct import_tree *t);

/* Whether rel_path obeys the rules above: INGEST_OK or INGEST_EINVAL with the reason. */
int import_tree_check_path(const char *rel_path, char *err, size_t err_cap);

/* The index of the entry at rel_path, or -1. */
long import_tree_find(const struct import_tree *t, const char *rel_path);

/* Adds a directory and any missing parents. An existing directory is fine; an existing file at
 * that path (or at a parent) is INGEST_EEXIST. */
int import_tree_add_dir(struct import_tree *t, const char *rel_path, char *err, size_t err_cap);
/* Adds a file with a copy of bytes, adding missing parent directories. INGEST_EEXIST when the
 * path (file or directory) is already there or a parent is a file. */
int import_tree_add_file(struct import_tree *t, const char *rel_path, const void *bytes,
                         size_t len, char *err, size_t err_cap);
/* The same, taking ownership of `bytes` (malloc'd, len + 1 bytes with bytes[len] == 0): they
 * belong to the tree on success and are freed on failure. */
int import_tree_add_file_owned(struct import_tree *t, const char *rel_path, unsigned char *bytes,
                               size_t len, char *err, size_t err_cap);

/* Appends a warning. INGEST_ENOMEM is the only failure. */
int import_tree_warn(struct import_tree *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* When every entry lies under one top-level directory, copies its name to name (cap >
 * IMPORT_NAME_MAX) and returns 1; otherwise 0. */
int import_tree_single_root(const struct import_tree *t, char *name, size_t cap);
/* Removes that top-level directory: its entry goes and "top/x" becomes "x". INGEST_EINVAL when
 * the tree has no single root. */
int import_tree_strip_root(struct import_tree *t, char *err, size_t err_cap);

#endif
