/* What one pipeline thread works with while it runs a batch of jobs. Internal to host/pipeline. */
#ifndef SKALD_PIPELINE_ENV_H
#define SKALD_PIPELINE_ENV_H

#include <stdatomic.h>

#include "daemon/app.h"
#include "pipeline/job.h"
#include "runtime/generation.h"
#include "store/store.h"

struct pipeline_env {
    struct app *app;
    struct generation *gen;  /* pinned for the batch */
    struct store *store;
    atomic_int *cancel;       /* this thread's: raised at shutdown or by a cancel of the job's task */
};

/* A call context with the configured call deadline and the pipeline's cancel flag. */
void pipeline_env_ctx(const struct pipeline_env *env, struct skald_call_ctx *ctx, char *err,
                      size_t err_cap);
struct plugin_instance *pipeline_env_backend(const struct pipeline_env *env, enum backend_slot s);

/* Runs one semantic job: summaries of the directory's files, its L1 and L0, then its embed job
 * and, once all sibling directories are done, the parent's semantic job. Returns a skald status;
 * err says why on failure. */
int semantic_job_run(const struct pipeline_env *env, const struct job *j, char *err, size_t err_cap);

/* A semantic job failed for good: the directory is marked FAILED with the error, and what would
 * have followed still happens (its files' vectors, the parent's turn), so one bad document never
 * blocks the others. */
int semantic_job_give_up(const struct pipeline_env *env, const struct job *j, const char *error,
                         char *err, size_t err_cap);

/* Runs n embed jobs as one batch: embeds every text of every node in max_batch chunks and upserts
 * all vectors in one atomic call. Marks nothing done: embed_jobs_done does, after a success. */
int embed_jobs_run(const struct pipeline_env *env, const struct job *jobs, size_t n, char *err,
                   size_t err_cap);
/* Marks the nodes of n embed jobs done, in one store write. */
int embed_jobs_done(const struct pipeline_env *env, const struct job *jobs, size_t n, char *err,
                    size_t err_cap);

#endif
