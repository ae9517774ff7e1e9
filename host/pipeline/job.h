/*
 * Pipeline jobs: what a queue item of the `semantic` and `embedding` topics says, and how it is
 * enqueued. A job names a node (account + URI), never carries its content: the worker reads the
 * current node, so a job replayed after a crash or a change works on what is stored now.
 */
#ifndef SKALD_PIPELINE_JOB_H
#define SKALD_PIPELINE_JOB_H

#include <stddef.h>
#include <stdint.h>

#include <skald/plugin.h>

#include "auth/identity.h"
#include "plugin/instance.h"
#include "uri/viking_uri.h"

#define JOB_TOPIC_SEMANTIC "semantic"
#define JOB_TOPIC_EMBEDDING "embedding"

enum job_kind {
    JOB_SEMANTIC = 0, /* a directory's L0/L1 (and its files' summaries) from the VLM */
    JOB_EMBED = 1     /* a node's vectors: L0 and L1 of a directory, L2 of a file */
};

struct job {
    enum job_kind kind;
    char account[AUTH_ID_MAX + 1];
    char uri[VIKING_URI_MAX + 1];
    char task_id[40]; /* the task to report to; "" for none */
    int64_t delay_ms; /* not leased before now + delay_ms; not part of the payload */
};

/* Fills a job; returns -1 when account or uri is too long. */
int job_make(struct job *j, enum job_kind kind, const char *account, const char *uri,
             const char *task_id);

/* Decodes a queue payload. Returns -1 (with a reason in err) for a payload that is not a job. */
int job_decode(const void *payload, size_t len, struct job *out, char *err, size_t err_cap);

/* Enqueues n jobs in one atomic call per topic. A job identical to one still pending is merged
 * with it (dedupe key: kind, account, uri). */
int job_enqueue(struct plugin_instance *queue, const struct skald_call_ctx *ctx,
                const struct job *jobs, size_t n);

/* The id of a node's vector record at level (0 L0, 1 L1, 2 L2): "<account>|<level>|<uri>".
 * Returns -1 when it does not fit in cap. */
int job_vector_id(const char *account, int level, const char *uri, char *out, size_t cap);

#endif
