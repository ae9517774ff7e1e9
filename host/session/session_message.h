/*
 * Session messages (OpenViking section 6): checking a message body of POST .../messages, turning
 * it into the stored form {"id","role","parts":[...],"created_at",...}, and reading and writing
 * the JSON-lines files messages are kept in. Pure JSON work: safe on any thread.
 */
#ifndef SKALD_SESSION_MESSAGE_H
#define SKALD_SESSION_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth/identity.h"

#define SESSION_MESSAGE_ID_MAX 128

/* Why a body was refused: an INVALID_ARGUMENT at `loc`, or an INVALID_URI (uri set). */
struct session_msg_error {
    char loc[96];
    char msg[256];
    char uri[1100]; /* non-empty: the refused URI (400 INVALID_URI with details {uri, reason}) */
};

/* Checks one message body and builds the stored message (a new reference), with `id` from the
 * body (1..128 of A-Z a-z 0-9 _ . : -; a client resending a message sends its id again) or a new
 * msg_<32 hex>, and `created_at` from the body or now_ms. URIs inside parts are
 * canonicalised for who. loc_prefix names the body in messages ("body", "body.messages.3").
 * Returns NULL with e filled (e->msg "out of memory" when that was the reason). */
json_t *session_message_build(json_t *body, const struct identity *who, const char *loc_prefix,
                              int64_t now_ms, struct session_msg_error *e);

/* The ISO-8601 UTC form of a wall-clock ms time ("2026-11-25T01:02:03.456Z"). */
void session_iso_time(int64_t ms, char out[32]);

/* Estimated tokens of a stored message: its text (parts' text, abstracts, tool input and
 * output) in bytes / 4, rounded up. */
size_t session_message_tokens(json_t *msg);

/* Stored messages as a model reads them: one "[role] text" line each, tool and context parts in
 * brackets (malloc'ed, *len its length). NULL when out of memory. */
char *session_transcript(json_t *messages, size_t *len);

/* A JSON-lines file into an array of objects; blank lines are skipped, lines that are not a JSON
 * object are counted in *bad (may be NULL). NULL when out of memory. */
json_t *session_jsonl_parse(const char *text, size_t len, size_t *bad);
/* An array of objects as JSON lines, each ending in '\n' (malloc'ed; *len its length). NULL when
 * out of memory. */
char *session_jsonl_dump(json_t *array, size_t *len);

#endif
