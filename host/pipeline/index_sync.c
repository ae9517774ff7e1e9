#include "pipeline/index_sync.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "pipeline/pipeline.h"
#include "pipeline/rescan.h"

int index_forget(struct generation *gen, const char *account, const char *uri, char *err,
                 size_t err_cap)
{
    struct plugin_instance *vec = gen->backends[BACKEND_VECTOR]->inst;
    const struct skald_vector_ops *ops = plugin_instance_ops(vec, vector);
    atomic_int never = 0;
    struct skald_call_ctx ctx = {sizeof ctx, 0,
                                 clock_monotonic_ns() +
                                     (int64_t)gen->config->server.call_timeout_s * 1000000000LL,
                                 &never, err, err_cap};
    err[0] = '\0';
    /* The node's own records by id, then everything below it by prefix (with the '/', so a
     * sibling sharing the name's start is untouched). */
    char ids[3][VIKING_URI_MAX + 2 * AUTH_ID_MAX + 8];
    const char *id_ptrs[3];
    for (int level = 0; level < 3; level++) {
        if (job_vector_id(account, level, uri, ids[level], sizeof ids[level]) != 0) {
            snprintf(err, err_cap, "URI too long");
            return SKALD_EINVAL;
        }
        id_ptrs[level] = ids[level];
    }
    int rc = ops->remove(vec->handle, &ctx, id_ptrs, 3, NULL);
    if (rc != SKALD_OK)
        return rc;
    char prefix[VIKING_URI_MAX + 2];
    snprintf(prefix, sizeof prefix, "%s%s", uri, strcmp(uri, "viking://") == 0 ? "" : "/");
    return ops->remove_prefix(vec->handle, &ctx, account, prefix, NULL);
}

int index_refresh_parent(struct app *app, struct generation *gen, struct store *st,
                         const char *account, const char *uri, const char *task_id, char *err,
                         size_t err_cap)
{
    char parent[VIKING_URI_MAX + 1];
    if (viking_uri_parent(uri, parent, sizeof parent) != 0 || strcmp(parent, "viking://") == 0 ||
        strcmp(parent, "viking://resources") == 0 || strcmp(parent, "viking://user") == 0 ||
        strcmp(parent, "viking://agent") == 0)
        return SKALD_OK;
    struct job j;
    if (job_make(&j, JOB_SEMANTIC, account, parent, task_id) != 0)
        return SKALD_OK;
    return pipeline_submit(app, gen, st, &j, 1, task_id, err, err_cap);
}

int index_enqueue_subtree(struct app *app, struct generation *gen, struct store *st,
                          const char *account, const char *root_uri, int vectors_only,
                          const char *task_id, char *err, size_t err_cap)
{
    struct rescan_result r;
    return pipeline_rescan(app, gen, st, account, root_uri,
                           vectors_only ? RESCAN_VECTORS : RESCAN_UNFINISHED, task_id,
                           clock_monotonic_ns() + 60LL * 1000000000LL, &r, err, err_cap);
}
