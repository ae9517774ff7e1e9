/*
 * What kind of document a name or a MIME type denotes, which decides how it is imported:
 * Markdown (split by headings when long), text/data/code (kept as one file), zip (unpacked),
 * anything else unsupported (a warning, or an error under `strict`). Pure, any thread.
 */
#ifndef SKALD_INGEST_DOC_TYPE_H
#define SKALD_INGEST_DOC_TYPE_H

#include <stddef.h>

enum doc_type {
    DOC_TYPE_UNSUPPORTED = 0,
    DOC_TYPE_MARKDOWN, /* .md .markdown .mdown .mkd .mdx, text/markdown */
    DOC_TYPE_TEXT,     /* .txt .rst .log ..., text/plain and other text/ types */
    DOC_TYPE_DATA,     /* JSON, YAML, TOML, CSV, XML, INI */
    DOC_TYPE_CODE,     /* source code and markup (HTML kept as it is) */
    DOC_TYPE_ZIP       /* .zip, application/zip */
};

/* By the extension of the name's last path component (case-insensitive); UNSUPPORTED when it
 * has none or an unknown one. */
enum doc_type doc_type_from_name(const char *name);

/* By a Content-Type value (parameters ignored); UNSUPPORTED for NULL or an unknown type. */
enum doc_type doc_type_from_content_type(const char *content_type);

/* The type to import with: the name's extension decides; failing that the content type
 * (NULL for uploads); failing that, a name without any extension ("README", "Makefile") is
 * text when its bytes look like text. A text-like type whose bytes hold a NUL is UNSUPPORTED. */
enum doc_type doc_type_detect(const char *name, const char *content_type, const void *bytes,
                              size_t len);

/* Whether bytes look like text: no NUL byte. */
int doc_type_bytes_are_text(const void *bytes, size_t len);

/* "markdown", "text", "data", "code", "zip" or "unsupported". */
const char *doc_type_name(enum doc_type type);

#endif
