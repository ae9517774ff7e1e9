/*
 * What one find/search asks for, parsed and checked from its JSON body (OpenViking sections 2.6
 * and 7): the query, the caller's targets after the namespace rules, and every filter, with the
 * test each candidate record must pass. Parsing never touches storage: safe on any thread.
 */
#ifndef SKALD_RETRIEVAL_SPEC_H
#define SKALD_RETRIEVAL_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth/identity.h"
#include "retrieval/retrieval_filter.h"
#include "retrieval/retrieval_record.h"
#include "uri/viking_uri.h"

/* context_type bits */
#define RETRIEVAL_CT_MEMORY 1u
#define RETRIEVAL_CT_RESOURCE 2u
#define RETRIEVAL_CT_SKILL 4u
#define RETRIEVAL_CT_ALL 7u

#define RETRIEVAL_LEVELS_ALL 7u      /* bits 0..2 */
#define RETRIEVAL_LIMIT_DEFAULT 10
#define RETRIEVAL_LIMIT_MAX 10000
#define RETRIEVAL_MAX_TARGETS 32

/* A refusal: the error code of the envelope, the field it is about and why. */
struct retrieval_error {
    char code[32]; /* INVALID_ARGUMENT, INVALID_FILTER, INVALID_URI, PERMISSION_DENIED, UNIMPLEMENTED */
    char loc[96];  /* e.g. "body.level" */
    char message[512];
    char uri[VIKING_URI_MAX + 1]; /* INVALID_URI: the URI as given (details.uri) */
};

struct retrieval_spec {
    char *query;                /* owned, non-empty */
    char **targets;             /* owned canonical URIs; none = the whole account (ROOT only) */
    size_t n_targets;
    unsigned ctypes;            /* RETRIEVAL_CT_* bits */
    unsigned levels;            /* bit n: level n */
    char **tags;                /* owned "k=v", all required */
    size_t n_tags;
    int has_since, has_until;
    int64_t since_ms, until_ms; /* inclusive bounds on time_field */
    int time_created;           /* time_field = created_at (else updated_at) */
    int has_threshold;
    double threshold;           /* scores below are dropped (with none: scores <= 0) */
    int limit;
    struct retrieval_filter *filter; /* owned, NULL = none */
    int provenance;             /* include_provenance */
};

/* Parses body's find fields (query, image_url, target_uri, context_type, limit, node_limit,
 * score_threshold, filter, include_provenance, tags, since, until, time_field, level; others are
 * the caller's business) for caller who at now_ms. Returns 0, or -1 with err filled. */
int retrieval_spec_parse(const json_t *body, const struct identity *who, int64_t now_ms,
                         struct retrieval_spec *out, struct retrieval_error *err);
void retrieval_spec_clear(struct retrieval_spec *s);

/* Resolves a target_uri value (NULL, a string or an array of strings) into canonical search
 * roots for who: empty, "viking://" or "/" mean the defaults (USER/ADMIN: their own
 * viking://user/{self} and viking://resources; ROOT: everything, i.e. none); a USER/ADMIN's
 * "viking://user" narrows to their own space; another user's space is PERMISSION_DENIED.
 * Roots inside another root are dropped. Returns 0, or -1 with err filled. */
int retrieval_targets_resolve(const json_t *target_uri, const struct identity *who,
                              char ***out, size_t *n_out, struct retrieval_error *err);
void retrieval_targets_free(char **targets, size_t n);

/* Whether a record lies inside the targets (none = anywhere) and who may see it. */
int retrieval_spec_in_scope(const struct retrieval_spec *s, const struct identity *who,
                            const struct retrieval_record *r);
/* Whether a record passes every filter of s: context type, level, tags, times and the DSL
 * (completing the record when one of the last three needs its metadata). */
int retrieval_spec_accepts(const struct retrieval_spec *s, struct retrieval_record *r);
/* Whether a final score clears the threshold. */
int retrieval_spec_score_ok(const struct retrieval_spec *s, double score);

/* The bit of a context type name (0 when unknown). */
unsigned retrieval_ctype_bit(const char *name);

#endif
