/*
 * Names of generated nodes in an import (OpenViking section 3): each built on
 * viking_name_sanitize(), so letters, digits, '_', '-', '.' and non-ASCII survive, anything else
 * becomes '_', and a name is at most IMPORT_NAME_MAX bytes. Unlike a bare sanitise, a file's
 * extension is kept when the name is shortened. Pure string work, any thread.
 */
#ifndef SKALD_INGEST_IMPORT_NAME_H
#define SKALD_INGEST_IMPORT_NAME_H

#include <stddef.h>

#define IMPORT_NAME_MAX 50     /* bytes, as upstream */
#define IMPORT_NAME_EXT_MAX 16 /* longest extension kept apart when shortening */

/* A sanitised node name for `raw` into out (cap > IMPORT_NAME_MAX), at most IMPORT_NAME_MAX
 * bytes. With keep_ext, an extension (".md") is sanitised apart and survives shortening. Never
 * empty: "unnamed". */
void import_name_segment(const char *raw, int keep_ext, char *out, size_t cap);

/* A document's name: the last path component of `filename` without its extension (only an
 * extension that looks like one, a letter then up to 9 letters or digits, is dropped:
 * "notes.md" -> "notes", "2601.00014" stays), sanitised. */
void import_name_stem(const char *filename, char *out, size_t cap);

/* "NN_<sanitised title>[.<ext>]": index zero-padded to `width` digits (at least 2), the whole
 * name within IMPORT_NAME_MAX bytes. ext may be NULL or "". */
void import_name_numbered(unsigned index, unsigned width, const char *title, const char *ext,
                          char *out, size_t cap);

/* The extension of a file name (after its last '.', not a leading one) in lower case into out,
 * "" when none or longer than IMPORT_NAME_EXT_MAX. */
void import_name_ext(const char *filename, char *out, size_t cap);

#endif
