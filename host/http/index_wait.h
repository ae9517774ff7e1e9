/*
 * What the fs and content routes do to the index after changing the tree, and how a request with
 * `wait=true` waits for it: a directory whose L0/L1 must be redone is marked semantic PENDING
 * before its job is queued (so a wait, and the startup rescan after a crash, see the work owed),
 * and a waiting request is parked on the waiter thread until the nodes it names leave PENDING.
 */
#ifndef SKALD_HTTP_INDEX_WAIT_H
#define SKALD_HTTP_INDEX_WAIT_H

#include <jansson.h>

#include "http/api_call.h"

/* Which state of a node a wait watches. */
enum index_wait_state { INDEX_WAIT_SEMANTIC = 0, INDEX_WAIT_VECTORS = 1 };

struct index_wait_target {
    char uri[VIKING_URI_MAX + 1];
    enum index_wait_state which;
};

/* Queues the L0/L1 refresh of uri's parent directory. Returns 1 with the parent in `parent` (may
 * be NULL) when a refresh was queued, 0 when uri's parent has no sidecars (the root or a scope
 * root), -1 after writing the error reply. */
int index_wait_refresh_parent(struct api_call *c, const char *uri, char *parent, size_t parent_cap);

/* Queues the vectors of one node (a file's L2, a directory's L0/L1). 0, or -1 after the reply. */
int index_wait_embed(struct api_call *c, const char *uri);

/* Fills result once every target has left PENDING; states[i] is the final state of targets[i]
 * (NONE when the node is gone). */
typedef void (*index_wait_done_fn)(json_t *result, const enum store_proc_state *states, size_t n);

/* Parks the request until every target has left PENDING, then answers 200 with result (owned from
 * here on, even on failure) as completed by done; after timeout_s seconds (< 0: no limit) it
 * answers 504 DEADLINE_EXCEEDED with details {operation, timeout}. Returns 0 when parked (the
 * handler returns without answering), -1 after writing the error reply. */
int index_wait_park(struct api_call *c, const struct index_wait_target *targets, size_t n,
                    json_t *result, index_wait_done_fn done, const char *operation,
                    double timeout_s);

#endif
