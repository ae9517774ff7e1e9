/*
 * reindex prune_orphans: the vector records of an account under a URI whose node is gone, or whose
 * level no longer fits the node (an L2 record on a directory, an L0/L1 record on a file or on a
 * directory without that sidecar), are deleted, or only counted on a dry run. Sessions are never
 * touched.
 */
#ifndef SKALD_HTTP_REINDEX_PRUNE_H
#define SKALD_HTTP_REINDEX_PRUNE_H

#include <stdint.h>

#include <skald/plugin.h>

#include "runtime/generation.h"
#include "store/store.h"

struct reindex_prune_result {
    uint64_t scanned;      /* records looked at */
    uint64_t orphans;      /* records found orphaned */
    uint64_t deleted;      /* records removed (0 on a dry run) */
    uint64_t failed;       /* records whose node could not be read */
};

/* Whether uri is a session or lies in one (viking://user/{uid}/sessions[/...]). */
int reindex_prune_is_session(const char *uri);

/* Returns a skald status; err says why on failure. */
int reindex_prune(struct generation *gen, struct store *st, const struct skald_call_ctx *ctx,
                  const char *account, const char *uri, int dry_run,
                  struct reindex_prune_result *out, char *err, size_t err_cap);

#endif
