#include "pipeline/rescan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "pipeline/pipeline.h"

/* Jobs enqueued per queue call. */
#define RESCAN_BATCH 500

struct rescan_ctx {
    struct app *app;
    struct generation *gen;
    struct store *st;
    enum rescan_scope scope;
    const char *task_id;
    int64_t deadline_ns;
    struct rescan_result *out;
    struct job batch[RESCAN_BATCH];
    struct store_state_update states[RESCAN_BATCH];
    size_t n;
    int rc;
    int timed_out;
    char *err;
    size_t err_cap;
};

static int rescan_flush(struct rescan_ctx *c)
{
    if (c->n == 0 || c->rc != SKALD_OK)
        return c->rc;
    /* Work redone on finished nodes (reindex) is marked PENDING first, in one transaction, so
     * its task and wait=true see it outstanding until the jobs have run (and a crash before the
     * enqueue leaves it for recovery). */
    if (c->scope != RESCAN_UNFINISHED) {
        for (size_t i = 0; i < c->n; i++)
            c->states[i] = (struct store_state_update){c->batch[i].account, c->batch[i].uri,
                                                       c->batch[i].kind == JOB_SEMANTIC ? 0 : 1,
                                                       STORE_PROC_PENDING, NULL};
        if (store_set_states(c->st, c->states, c->n, NULL, c->err, c->err_cap) != STORE_OK) {
            c->rc = SKALD_EIO;
            return c->rc;
        }
    }
    c->rc = pipeline_submit(c->app, c->gen, c->st, c->batch, c->n, c->task_id, c->err, c->err_cap);
    c->n = 0;
    return c->rc;
}

static int rescan_add(struct rescan_ctx *c, enum job_kind kind, const char *account, const char *uri)
{
    if (job_make(&c->batch[c->n], kind, account, uri, NULL) != 0)
        return 0;
    c->n++;
    if (kind == JOB_SEMANTIC)
        c->out->semantic_jobs++;
    else
        c->out->embed_jobs++;
    return c->n == RESCAN_BATCH ? rescan_flush(c) : SKALD_OK;
}

struct child_dirs_pending {
    int pending;
};

static int rescan_child_visit(void *arg, const struct store_node *node)
{
    struct child_dirs_pending *p = arg;
    if (node->kind == STORE_DIR && node->semantic == STORE_PROC_PENDING) {
        p->pending = 1;
        return 1;
    }
    return 0;
}

/* A file whose directory still waits for its summaries gets its vector from the directory's
 * semantic job, with its summary as the text; queueing it now would embed the raw content. */
static int rescan_parent_pending(struct rescan_ctx *c, const struct store_node *node)
{
    if (node->kind != STORE_FILE || !node->parent_uri)
        return 0;
    struct store_node parent = {0};
    char err[256];
    int pending = store_get(c->st, node->account, node->parent_uri, 0, &parent, err, sizeof err) ==
                      STORE_OK &&
                  parent.semantic == STORE_PROC_PENDING;
    store_node_clear(&parent);
    return pending;
}

static int rescan_visit(void *arg, const struct store_node *node)
{
    struct rescan_ctx *c = arg;
    c->out->scanned++;
    if ((c->out->scanned & 255) == 0 && clock_monotonic_ns() >= c->deadline_ns) {
        c->timed_out = 1;
        return 1;
    }
    int semantic_open = node->semantic == STORE_PROC_PENDING || node->semantic == STORE_PROC_FAILED;
    int vectors_open = node->vectors == STORE_PROC_PENDING || node->vectors == STORE_PROC_FAILED;
    if (node->kind == STORE_DIR && (c->scope == RESCAN_ALL || semantic_open)) {
        /* Bottom-up: a directory waits for its subdirectories, which queue it when they finish. */
        struct child_dirs_pending p = {0};
        char err[256];
        if (c->scope != RESCAN_ALL &&
            store_list(c->st, node->account, node->uri, rescan_child_visit, &p, err, sizeof err) != STORE_OK)
            return 0;
        if (!p.pending && rescan_add(c, JOB_SEMANTIC, node->account, node->uri) != SKALD_OK)
            return 1;
        return 0;
    }
    if (c->scope == RESCAN_UNFINISHED && (!vectors_open || rescan_parent_pending(c, node)))
        return 0;
    /* A directory without L0 and L1 (a vectors_only import's) has no text to embed: a job would
     * only cost a queue item, a lease, a state write and an ack. */
    if (node->kind == STORE_DIR && !node->l0 && !node->l1)
        return 0;
    return rescan_add(c, JOB_EMBED, node->account, node->uri) != SKALD_OK;
}

int pipeline_rescan(struct app *app, struct generation *gen, struct store *st, const char *account,
                    const char *root_uri, enum rescan_scope scope, const char *task_id,
                    int64_t deadline_ns, struct rescan_result *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    struct rescan_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_cap, "out of memory");
        return SKALD_ENOMEM;
    }
    *c = (struct rescan_ctx){.app = app, .gen = gen, .st = st, .scope = scope, .task_id = task_id,
                             .deadline_ns = deadline_ns, .out = out, .err = err, .err_cap = err_cap};
    int src;
    if (scope == RESCAN_UNFINISHED) {
        unsigned mask = 1u << STORE_PROC_PENDING | 1u << STORE_PROC_FAILED;
        src = store_scan_states(st, account, account ? root_uri : NULL, mask, rescan_visit, c, err,
                                err_cap);
    } else {
        src = store_walk(st, account, root_uri, 0, 0, rescan_visit, c, err, err_cap);
        /* A file has no subtree: it is just the root, visited below. */
        if (src == STORE_ENOTDIR)
            src = STORE_OK;
    }
    /* The subtree's root has jobs of its own (a scope root has none: no sidecars). A root visited
     * twice only queues a job the queue merges. */
    struct store_node root = {0};
    char gerr[256];
    if (account && src == STORE_OK && c->rc == SKALD_OK && !c->timed_out &&
        store_get(st, account, root_uri, 0, &root, gerr, sizeof gerr) == STORE_OK &&
        root.parent_uri && strcmp(root.parent_uri, "viking://") != 0 &&
        (scope != RESCAN_UNFINISHED || root.semantic == STORE_PROC_PENDING ||
         root.semantic == STORE_PROC_FAILED || root.vectors == STORE_PROC_PENDING ||
         root.vectors == STORE_PROC_FAILED))
        rescan_visit(c, &root);
    store_node_clear(&root);
    int rc = src != STORE_OK ? SKALD_EIO : rescan_flush(c);
    if (rc == SKALD_OK && c->timed_out) {
        snprintf(err, err_cap, "rescan stopped at its deadline after %llu nodes",
                 (unsigned long long)out->scanned);
        rc = SKALD_ETIMEDOUT;
    }
    free(c);
    return rc;
}
