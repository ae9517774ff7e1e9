/*
 * Finding work that is missing and queueing it again: nodes whose L0/L1 or vectors are pending
 * or failed (after a crash mid-import, a database copied without its queue, a provider that was
 * down) get their jobs back. Startup recovery and reindex use it. Jobs already queued are merged
 * by their dedupe keys, so a rescan never duplicates work.
 */
#ifndef SKALD_PIPELINE_RESCAN_H
#define SKALD_PIPELINE_RESCAN_H

#include <stdint.h>

#include "daemon/app.h"
#include "store/store.h"

struct rescan_result {
    uint64_t scanned;          /* nodes looked at */
    uint64_t semantic_jobs;    /* directories queued for L0/L1 */
    uint64_t embed_jobs;       /* nodes queued for vectors */
};

enum rescan_scope {
    RESCAN_UNFINISHED = 0, /* only nodes whose semantic or vectors state is PENDING or FAILED */
    RESCAN_VECTORS = 1,    /* every node's vectors (reindex vectors_only) */
    RESCAN_ALL = 2         /* every directory's L0/L1, then every node's vectors */
};

/* Rescans account's subtree at root_uri, or every account when account is NULL (root_uri is then
 * ignored). Jobs report to task_id when not NULL. Stops early (returning what it did) once
 * deadline_ns passes. Returns a skald status; err says why. */
int pipeline_rescan(struct app *app, struct generation *gen, struct store *st, const char *account,
                    const char *root_uri, enum rescan_scope scope, const char *task_id,
                    int64_t deadline_ns, struct rescan_result *out, char *err, size_t err_cap);

#endif
