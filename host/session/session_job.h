/*
 * The phase-2 job of a session commit: a queue item on the `session` topic naming the archive
 * whose L0/L1 and memories are owed. Like a pipeline job it carries no content: the runner reads
 * the archive as stored, so a replayed job works on what the phase-1 transaction left.
 */
#ifndef SKALD_SESSION_JOB_H
#define SKALD_SESSION_JOB_H

#include <stddef.h>
#include <stdint.h>

#include <skald/plugin.h>

#include "auth/identity.h"
#include "plugin/instance.h"
#include "uri/viking_uri.h"

#define SESSION_JOB_TOPIC "session"

struct session_job {
    char account[AUTH_ID_MAX + 1];
    char user[AUTH_ID_MAX + 1];
    char session_id[AUTH_ID_MAX + 1];
    char archive_uri[VIKING_URI_MAX + 1];
    char task_id[40];
};

/* The payload as JSON text (malloc'ed, *len its length); NULL when out of memory. */
char *session_job_encode(const struct session_job *j, size_t *len);
/* Decodes a payload; -1 with a reason in err for one that is not a session job. */
int session_job_decode(const void *payload, size_t len, struct session_job *out, char *err,
                       size_t err_cap);
/* Enqueues the job; an identical one still pending is merged with it (dedupe key: account and
 * archive). *id (may be NULL) gets the queue item's id. Returns a skald status, ctx->err set on
 * failure. */
int session_job_enqueue(struct plugin_instance *queue, const struct skald_call_ctx *ctx,
                        const struct session_job *j, int64_t *id);

#endif
