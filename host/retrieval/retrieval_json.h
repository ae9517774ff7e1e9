/* How finds look on the wire (OpenViking sections 2.6 and 7): hits grouped by context type,
 * provenance, and refusals turned into error envelopes. */
#ifndef SKALD_RETRIEVAL_JSON_H
#define SKALD_RETRIEVAL_JSON_H

#include <jansson.h>

#include "http/reply.h"
#include "retrieval/retrieval.h"

/* {"context_type","uri","level","score","abstract","tags"}; L0/L1 hits show their sidecar's URI. */
json_t *retrieval_json_hit(const struct retrieval_hit *h);
/* {"memories":[hit],"resources":[hit],"skills":[hit],"total":n}, hits in the order given. */
json_t *retrieval_json_result(const struct retrieval_hits *hits);
/* One provenance entry: {"query","searched_directories","matched_contexts":[{"uri","tier",
 * "context_type","score","match_reason"}],"thinking_trace"}. */
json_t *retrieval_json_provenance(const char *query, const struct retrieval_hits *hits,
                                  const struct retrieval_trace *trace);
/* The error envelope for a refused spec: 400 INVALID_ARGUMENT in OpenViking's validation shape,
 * or the refusal's own code (INVALID_FILTER, INVALID_URI, PERMISSION_DENIED, UNIMPLEMENTED). */
void retrieval_json_refusal(struct http_reply *reply, const struct retrieval_error *e);

#endif
