/*
 * What the session routes show (OpenViking section 2.7): a session's meta with its live counts,
 * the list of a user's sessions, the context an agent resumes from (live messages first within a
 * token budget, then messages of archives whose phase 2 has not ended, then the latest archive
 * overview), and one archive. Reads under the session's write lock, so a view never mixes the
 * states before and after a commit. Workers only.
 */
#ifndef SKALD_SESSION_VIEW_H
#define SKALD_SESSION_VIEW_H

#include <jansson.h>

#include "session/session_commit.h"

/* GET /sessions/{id}; with auto_create a missing session is created first. */
enum session_status session_view_get(struct session_engine *e, const struct session_ref *r,
                                     int auto_create, json_t **out, char *err, size_t err_cap);

/* The meta plus message_count, total_message_count, pending_tokens, uri and user. */
json_t *session_view_meta(const struct session_ref *r, json_t *meta, json_t *messages);

/* GET /sessions: the user's sessions, newest first. */
enum session_status session_view_list(struct store *st, const char *account, const char *user,
                                      json_t **out, char *err, size_t err_cap);

/* GET /sessions/{id}/context. */
enum session_status session_view_context(struct session_engine *e, const struct session_ref *r,
                                         long long token_budget, json_t **out, char *err,
                                         size_t err_cap);

/* GET /sessions/{id}/archives/{archive_id}: SESSION_NOT_FOUND unless the archive completed. */
enum session_status session_view_archive(struct store *st, const struct session_ref *r,
                                         const char *archive_id, json_t **out, char *err,
                                         size_t err_cap);

#endif
