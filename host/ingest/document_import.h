/*
 * One named document (an uploaded file, a fetched URL) into an import tree: the pipeline's
 * parse step (OpenViking section 5, step 2), without an LLM. The tree holds what goes under the
 * resource root, and root_name suggests that root's name (the document's sanitised stem).
 *
 * By type (doc_type.h: the name's extension, then the source name's, then the content type):
 *  - Markdown: markdown_split() (one "<root_name>.md" when short or no_split);
 *  - text, data, code: one file under its sanitised file name (".txt"/".md" added to a
 *    text/Markdown name without extension);
 *  - zip: zip_import(); when every member sits under one top folder and no source name says
 *    otherwise, that folder becomes the root (its name is root_name), as upstream;
 *  - anything else: under strict, INGEST_EUNSUPPORTED; otherwise a tree with no entries and one
 *    warning.
 * Runs on worker threads (CPU, memory, and disk for document_import_path). Thread-safe.
 */
#ifndef SKALD_INGEST_DOCUMENT_IMPORT_H
#define SKALD_INGEST_DOCUMENT_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/import_tree.h"
#include "ingest/markdown_split.h"
#include "ingest/zip_import.h"

struct document_import_opts {
    struct markdown_split_opts markdown; /* args.parse_mode = no_split sets markdown.no_split */
    struct zip_import_limits zip;        /* its strict is ignored: `strict` below applies */
    int strict;                          /* unsupported types are errors, not warnings */
};

/* Imports bytes[0..len) into out, which must be empty (import_tree_init). name: the document's
 * file name ("guide.md", "upload_<hex>.zip", a URL's last segment); source_name: the request's
 * display name or NULL (names the root when given); content_type: the fetched Content-Type or
 * NULL. opts may be NULL for the defaults. On failure out is left empty. */
int document_import(const char *name, const char *source_name, const char *content_type,
                    const void *bytes, size_t len, const struct document_import_opts *opts,
                    struct import_tree *out, char *err, size_t err_cap);

/* The same for a file on disk (a resolved temp upload): its name is the path's last
 * component; zips are read in place, other files are read whole, refused with INGEST_ETOOBIG
 * past max_bytes (0 = no limit). */
int document_import_path(const char *path, const char *source_name, uint64_t max_bytes,
                         const struct document_import_opts *opts, struct import_tree *out,
                         char *err, size_t err_cap);

#endif
