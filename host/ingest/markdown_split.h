/*
 * Splitting a long Markdown document by its headings into a directory of section files, so
 * each file is small enough to summarise and embed well (OpenViking section 5, step 2).
 *
 * A document of at most max_bytes (about 1024 tokens), or any document with no_split, is one
 * file "<name>.md". A longer one becomes, in the target directory, one entry per top-level
 * section (the shallowest heading level present; text before the first heading is a section
 * named after the document), numbered in order, "NN_<sanitised heading>":
 *  - adjacent sections are merged into one file while the result fits max_bytes and one side is
 *    under min_bytes (so small sections never stand alone when they can join a neighbour); a
 *    merged file is named after its first section;
 *  - a section over max_bytes with sub-headings becomes a sub-directory, split the same way
 *    (its own text before the first sub-heading leads the first file);
 *  - a section over max_bytes without sub-headings becomes a sub-directory of parts cut at blank
 *    lines (outside code fences where possible), or, when it is the whole document, those parts
 *    go straight into the target directory;
 *  - a document that is one section with sub-headings (a lone title heading) is unwrapped
 *    rather than nested one level deeper.
 * Headings are ATX ("#" to "######") outside fenced code, HTML comments and YAML front matter.
 * File contents are the original bytes, cut at line starts; concatenating the files in path
 * order gives back the document. Pure CPU work; any thread.
 */
#ifndef SKALD_INGEST_MARKDOWN_SPLIT_H
#define SKALD_INGEST_MARKDOWN_SPLIT_H

#include <stddef.h>

#include "ingest/import_tree.h"

#define MARKDOWN_SPLIT_DEFAULT_MAX_BYTES 4096 /* about 1024 tokens */

struct markdown_split_opts {
    size_t max_bytes; /* longer documents and sections are split; 0 = the default */
    size_t min_bytes; /* shorter sections are merged with a neighbour; 0 = max_bytes / 4 */
    int no_split;     /* keep the document as one file */
};

/* Adds the files (and sub-directories) for document `name` (a display name or file stem; it is
 * sanitised) with contents text[0..len) to out, under directory `dir` ("" or NULL = the tree's
 * root; an existing directory entry or a new one). opts may be NULL for the defaults. Errors
 * come from the tree (INGEST_EEXIST when a path is taken, INGEST_ENOMEM). */
int markdown_split(const char *name, const char *text, size_t len,
                   const struct markdown_split_opts *opts, const char *dir,
                   struct import_tree *out, char *err, size_t err_cap);

#endif
