/*
 * Keeping the vector index true when the tree changes under it: the vectors of removed or moved
 * nodes go away in the same logical operation, and the parent directory's L0/L1 is queued for a
 * refresh. Called by the fs and content routes on a worker.
 */
#ifndef SKALD_PIPELINE_INDEX_SYNC_H
#define SKALD_PIPELINE_INDEX_SYNC_H

#include <stddef.h>

#include "daemon/app.h"
#include "store/store.h"

/* Removes every vector record of account whose URI is uri or lies under it. */
int index_forget(struct generation *gen, const char *account, const char *uri, char *err,
                 size_t err_cap);

/* Queues the L0/L1 refresh of uri's parent directory (nothing for a scope root or above), for
 * task_id when not NULL. */
int index_refresh_parent(struct app *app, struct generation *gen, struct store *st,
                         const char *account, const char *uri, const char *task_id, char *err,
                         size_t err_cap);

/* Queues the jobs a freshly stored subtree needs (root_uri and everything under it):
 * semantic_and_vectors → every directory's L0/L1 bottom-up (and then vectors); vectors_only →
 * only vectors. For task_id when not NULL. */
int index_enqueue_subtree(struct app *app, struct generation *gen, struct store *st,
                          const char *account, const char *root_uri, int vectors_only,
                          const char *task_id, char *err, size_t err_cap);

#endif
