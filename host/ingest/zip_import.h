/*
 * Unpacking a .zip (libzip) into an import tree, all in memory. Safety checks run over every
 * member before any content is read, and any failure returns an empty tree:
 *  - rejected (INGEST_EUNSAFE): absolute paths ("/x", "C:x"), ".." segments, backslashes,
 *    symlinks and other non-regular files (Unix mode in the external attributes), encrypted
 *    members;
 *  - rejected (INGEST_ETOOBIG): more members than max_members, declared sizes summing over
 *    max_total_bytes, and, while reading, a member yielding more bytes than it declared or the
 *    running total passing max_total_bytes (declared sizes can lie);
 *  - damaged archives, unsupported compression: INGEST_EINVAL.
 * Text members (Markdown, text, data, code by extension; extension-less ones that hold no NUL)
 * are kept as files, unsplit. Other members, nested zips included, are skipped with a warning,
 * or fail the import with INGEST_EUNSUPPORTED under `strict`. Hidden members (a segment starting
 * with '.') and macOS "__MACOSX" folders are skipped silently: hidden names are reserved for
 * sidecars. Empty and "." segments are dropped; every other segment is sanitised
 * (import_name.h); a file whose sanitised path is taken gets a _1, _2... suffix and a warning.
 * Directories implied by member paths become directory entries.
 * Blocks on CPU and memory only; meant for worker threads. Thread-safe (no shared state).
 */
#ifndef SKALD_INGEST_ZIP_IMPORT_H
#define SKALD_INGEST_ZIP_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/import_tree.h"

#define ZIP_IMPORT_DEFAULT_MAX_MEMBERS 10000
#define ZIP_IMPORT_DEFAULT_MAX_TOTAL_BYTES (256ULL * 1024 * 1024)

struct zip_import_limits {
    size_t max_members;       /* 0 = ZIP_IMPORT_DEFAULT_MAX_MEMBERS */
    uint64_t max_total_bytes; /* expanded size of all members; 0 = the default */
    int strict;               /* unsupported members fail the import instead of warning */
};

/* Unpacks the zip held in data[0..len) (not copied; must stay valid during the call) into out,
 * which must be empty (import_tree_init). lim may be NULL for the defaults. On failure out is
 * left empty and err says which member and why. */
int zip_import_buffer(const void *data, size_t len, const struct zip_import_limits *lim,
                      struct import_tree *out, char *err, size_t err_cap);

/* The same for a zip file on disk (e.g. a resolved temp upload). */
int zip_import_path(const char *path, const struct zip_import_limits *lim,
                    struct import_tree *out, char *err, size_t err_cap);

#endif
