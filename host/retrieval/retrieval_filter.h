/*
 * The `filter` DSL of find and search (OpenViking section 7, VikingDB style), compiled once per
 * request and applied to every candidate record:
 *   {"op":"and"|"or","conds":[filter, ...]}
 *   {"op":"must"|"must_not","field":F,"conds":[value, ...]}       F equals one of the values
 *   {"op":"range"|"range_out","field":F,"gte"|"gt"|"lte"|"lt":v}  inside (outside) the bounds
 *   {"op":"contains","field":F,"substring":"s"}                   F contains s
 *   {"op":"prefix","field":F,"prefix":"p"}                         F starts with p
 * Fields: context_type, level, uri, parent_uri (parent), created_at, updated_at, tags
 * (search_tags), owner_user_id (owner), abstract. On tags, a condition holds when it holds for
 * any tag, and a must value without '=' matches any tag with that key. Times are retrieval_time
 * strings or epoch seconds. Anything else is refused at compile time (400 INVALID_FILTER).
 */
#ifndef SKALD_RETRIEVAL_FILTER_H
#define SKALD_RETRIEVAL_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "retrieval/retrieval_record.h"

struct retrieval_filter;

/* Compiles dsl (relative times count back from now_ms). Returns 0, or -1 with the reason in err
 * (naming the path of the bad node, e.g. "conds[1].field: unknown field 'x'"). */
int retrieval_filter_compile(const json_t *dsl, int64_t now_ms, struct retrieval_filter **out,
                             char *err, size_t err_cap);
/* Whether r passes f; r must be complete (retrieval_record_complete). */
int retrieval_filter_match(const struct retrieval_filter *f, const struct retrieval_record *r);
void retrieval_filter_free(struct retrieval_filter *f);

#endif
