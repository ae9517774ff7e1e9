/*
 * One vector record as retrieval sees it: its URI plus the metadata host/pipeline/embed_job.c
 * writes beside every vector (level, context_type, abstract, tags, owner, parent, times).
 * Parsing that JSON is most of a find's own cost, and most candidates of a scan are dropped
 * unseen, so a record starts light (URI, level from the record id, context type from the path)
 * and its metadata is parsed the first time a field needs it (retrieval_record_complete). Copies
 * share one reference-counted blob, so the parse happens once. Not thread-safe: a record belongs
 * to one request.
 */
#ifndef SKALD_RETRIEVAL_RECORD_H
#define SKALD_RETRIEVAL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct retrieval_record_blob;

struct retrieval_record {
    const char *uri;          /* the node: a directory for levels 0 and 1, the file for 2 */
    int level;                /* 0 L0, 1 L1, 2 L2 */
    const char *context_type; /* "memory", "resource" or "skill" */
    /* Valid once complete (before: "", tags NULL, times 0). */
    const char *abstract;
    const char *parent;       /* parent URI, "" when none */
    const char *owner;        /* user who created the node, "" when unknown */
    json_t *tags;             /* array of "k=v" strings (borrowed); NULL until complete */
    int64_t created_ms, updated_ms;
    int complete;             /* the metadata fields are filled */
    struct retrieval_record_blob *blob; /* owns every string above */
};

/* A light record from a vector hit: uri, id ("<account>|<level>|<uri>", may be NULL) and
 * metadata (may be NULL or not JSON) are copied; the metadata is parsed later, at once when the
 * id does not give the level. Returns 0, or -1 when out of memory. */
int retrieval_record_light(const char *uri, const char *id, const char *metadata,
                           struct retrieval_record *out);
/* Parses the metadata (once per blob) and fills the remaining fields. Missing or malformed
 * metadata leaves them empty. Returns 0, or -1 when out of memory. */
int retrieval_record_complete(struct retrieval_record *r);
/* light + complete. */
int retrieval_record_parse(const char *uri, const char *metadata, struct retrieval_record *out);
/* A second reference to the same record (the blob is shared). */
void retrieval_record_copy(struct retrieval_record *dst, const struct retrieval_record *src);
void retrieval_record_clear(struct retrieval_record *r);

/* The URI a hit shows: {dir}/.abstract.md for level 0, {dir}/.overview.md for level 1, the file
 * for level 2. Writes into out (cap > VIKING_URI_MAX + 16). */
void retrieval_record_display_uri(const struct retrieval_record *r, char *out, size_t cap);

/* Whether every "k=v" of want (n strings) is among the record's tags (completes it). */
int retrieval_record_has_tags(struct retrieval_record *r, char *const *want, size_t n);

#endif
