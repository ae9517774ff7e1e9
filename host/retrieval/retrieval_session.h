/*
 * What search's query planner knows about a session, read from the store as sessions keep it
 * (OpenViking section 6): the overview of the latest archive that has one
 * (viking://user/{uid}/sessions/{sid}/history/archive_NNN, its L1) and the last live messages of
 * messages.jsonl. Runs on workers (store reads).
 */
#ifndef SKALD_RETRIEVAL_SESSION_H
#define SKALD_RETRIEVAL_SESSION_H

#include <stddef.h>

#include "store/store.h"

/* The session's context for the planner: *overview (the latest archive overview, "" when none)
 * and *recent (the last n_recent messages with text, one "[role]: text" line each, "" when none),
 * both malloc'd. STORE_ENOTFOUND when the session does not exist (or the id is not a valid URI
 * segment); other store errors as they come. */
int retrieval_session_context(struct store *st, const char *account, const char *user,
                              const char *session_id, size_t n_recent, char **overview,
                              char **recent, char *err, size_t err_cap);

#endif
