/*
 * The session settings a client sends (OpenViking sections 2.7 and 6): auto_commit_policy,
 * memory_extraction_config, extraction_metadata and memory_policy. The first three refuse unknown
 * fields (400), as OpenViking does. Pure JSON work.
 */
#ifndef SKALD_SESSION_POLICY_H
#define SKALD_SESSION_POLICY_H

#include <jansson.h>

struct session_policy_error {
    char loc[96];
    char msg[256];
};

/* An auto_commit_policy object with every field: missing ones get their defaults, values are
 * clamped to [0, upper]. NULL with e filled when refused (or out of memory). */
json_t *session_policy_auto_commit(json_t *in, const char *loc, struct session_policy_error *e);
/* {"events":{"tags":["k=v",...]}} checked and copied. */
json_t *session_policy_extraction_config(json_t *in, const char *loc,
                                         struct session_policy_error *e);
/* {"event":{"tags":[...]}} checked. 0, or -1 with e filled. */
int session_policy_extraction_metadata(json_t *in, const char *loc, struct session_policy_error *e);
/* memory_policy: self.enabled, peer.enabled, working_memory.enabled booleans, memory_types a
 * list of strings; other fields are kept. 0, or -1 with e filled. */
int session_policy_memory(json_t *in, const char *loc, struct session_policy_error *e);

#endif
