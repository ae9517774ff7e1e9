/*
 * Commit phase 1 (OpenViking section 6), under the session's write lock: the live messages are
 * split into the archived and the retained ones; the phase-2 job is enqueued (durable) first,
 * then one store transaction writes history/archive_NNN with its messages, its phase-1 record
 * and its .pending.json marker, the retained live messages and the session's meta; then the
 * session_commit task is created. A crash before the transaction leaves a job whose archive does
 * not exist (phase 2 drops it: nothing was archived); a crash after it leaves an archive whose
 * marker recovery turns back into a job. So nothing archived is lost and nothing is archived
 * twice. Archives whose phase 2 failed for good are replayed by the next commit.
 */
#ifndef SKALD_SESSION_COMMIT_H
#define SKALD_SESSION_COMMIT_H

#include <stddef.h>

#include <jansson.h>

#include "runtime/generation.h"
#include "session/session_engine.h"
#include "session/session_store.h"

/* Outcomes of the session operations, for the routes to turn into replies. */
enum session_status {
    SESSION_OK = 0,
    SESSION_NOT_FOUND,   /* 404 */
    SESSION_EXISTS,      /* 409 ALREADY_EXISTS */
    SESSION_UNAVAILABLE, /* 503: the queue refused the job */
    SESSION_FAILED       /* 500: storage failed */
};

/* Replays of failed archives one commit takes along. */
#define COMMIT_REPLAYS_MAX 4

struct commit_opts {
    long long keep_recent_count; /* messages kept live at the tail */
    int turn_budget;             /* retention_mode = turn_budget: the three below apply */
    long long keep_turns;        /* keep_recent_turn_count (a turn starts at a user message) */
    long long token_budget;      /* retained_message_token_budget; < 0 = none */
    long long min_tail;          /* min_raw_tail_steps: kept even over the budget */
    json_t *extraction_metadata; /* borrowed; NULL when absent */
};

struct commit_result {
    int skipped;
    const char *reason; /* when skipped: no_messages, all_within_keep_window */
    char task_id[40];
    char archive_uri[VIKING_URI_MAX + 1];
    size_t active_tokens; /* of the messages left live */
    unsigned replayed;    /* failed archives queued again */
};

/* How many messages at the tail of `messages` stay live under o. */
size_t session_commit_keep(json_t *messages, const struct commit_opts *o);

enum session_status session_commit(struct session_engine *e, struct generation *gen,
                                   const struct session_ref *r, const struct commit_opts *o,
                                   struct commit_result *out, char *err, size_t err_cap);

#endif
