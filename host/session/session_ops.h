/*
 * The session operations that change a session (OpenViking section 2.7): create, add messages
 * (auto-creating, idempotent on a resent message id), update its meta (config, `used`), delete,
 * and a synchronous extract. Each runs under the session's write lock, so it never interleaves
 * with a commit's phase 1. Workers only.
 */
#ifndef SKALD_SESSION_OPS_H
#define SKALD_SESSION_OPS_H

#include <stddef.h>

#include <jansson.h>
#include <skald/plugin.h>

#include "session/session_commit.h"

/* Creates the session with its meta (policies borrowed; NULL = defaults). *meta_out (may be NULL)
 * gets the new meta. SESSION_EXISTS when it exists. */
enum session_status session_create(struct session_engine *e, const struct session_ref *r,
                                   json_t *memory_policy, json_t *auto_commit_policy,
                                   json_t *extraction_config, json_t **meta_out, char *err,
                                   size_t err_cap);

struct add_result {
    size_t added;          /* new messages stored */
    size_t message_count;  /* live messages now */
    size_t pending_tokens; /* their estimated tokens */
};

/* Appends built messages (an array; see session_message_build), creating the session when it
 * does not exist. A message whose id the session accepted before (live or archived) is skipped. */
enum session_status session_add_messages(struct session_engine *e, const struct session_ref *r,
                                         json_t *messages, struct add_result *out, char *err,
                                         size_t err_cap);

/* Changes the meta with fn (which returns 0, or -1 to write nothing) and stores it; *meta_out
 * (may be NULL) gets the meta as stored. */
typedef int (*session_meta_fn)(json_t *meta, void *arg);
enum session_status session_update_meta(struct session_engine *e, const struct session_ref *r,
                                        session_meta_fn fn, void *arg, json_t **meta_out,
                                        char *err, size_t err_cap);

enum session_status session_delete(struct session_engine *e, const struct session_ref *r,
                                   char *err, size_t err_cap);

/* POST .../extract: extracts memories from the live messages now (a model slot, the caller's
 * call context), writes them with the usual dedupe, and returns what was decided: a list of
 * {category, title, content, action: created|merged|skipped, uri}. A failed model call is
 * SESSION_UNAVAILABLE with *call_rc its status. */
enum session_status session_extract_now(struct session_engine *e, struct generation *gen,
                                        const struct session_ref *r,
                                        const struct skald_call_ctx *ctx, json_t **out,
                                        int *call_rc, char *err, size_t err_cap);

#endif
