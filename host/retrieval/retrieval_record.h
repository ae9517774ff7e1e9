/*
 * One vector record as retrieval sees it: its URI plus the metadata host/pipeline/embed_job.c
 * writes beside every vector (level, context_type, abstract, tags, owner, parent, times), parsed
 * once so filters, scoring and the answer all read the same fields.
 */
#ifndef SKALD_RETRIEVAL_RECORD_H
#define SKALD_RETRIEVAL_RECORD_H

#include <stdint.h>

#include <jansson.h>

struct retrieval_record {
    const char *uri;          /* the node: a directory for levels 0 and 1, the file for 2 */
    int level;                /* 0 L0, 1 L1, 2 L2 */
    const char *context_type; /* "memory", "resource" or "skill" */
    const char *abstract;     /* "" when none */
    const char *parent;       /* parent URI, "" when none */
    const char *owner;        /* user who created the node, "" when unknown */
    json_t *tags;             /* array of "k=v" strings (borrowed from holder) */
    int64_t created_ms, updated_ms;
    json_t *holder;           /* owns every string above; NULL only after clear */
};

/* Parses a record from its URI and metadata (may be NULL or not JSON: the fields then come from
 * the URI alone, level 2). Returns 0, or -1 when out of memory. */
int retrieval_record_parse(const char *uri, const char *metadata, struct retrieval_record *out);
/* A second reference to the same record (the holder is shared). */
void retrieval_record_copy(struct retrieval_record *dst, const struct retrieval_record *src);
void retrieval_record_clear(struct retrieval_record *r);

/* The URI a hit shows: {dir}/.abstract.md for level 0, {dir}/.overview.md for level 1, the file
 * for level 2. Writes into out (cap > VIKING_URI_MAX + 16). */
void retrieval_record_display_uri(const struct retrieval_record *r, char *out, size_t cap);

/* Whether every "k=v" of want (n strings) is among the record's tags. */
int retrieval_record_has_tags(const struct retrieval_record *r, char *const *want, size_t n);

#endif
