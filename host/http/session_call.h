/*
 * What every session route does first (OpenViking section 2.7): the common /api/v1 checks, the
 * session engine (503 until background recovery started it), the session named by the path, and
 * the error envelopes of the session operations. Workers only.
 */
#ifndef SKALD_HTTP_SESSION_CALL_H
#define SKALD_HTTP_SESSION_CALL_H

#include "http/api_call.h"
#include "session/session_commit.h"
#include "session/session_message.h"
#include "session/session_policy.h"

struct session_call {
    struct api_call c;
    struct session_engine *engine;
    struct session_ref ref; /* the path's session; zero when the route names none */
};

/* Fills s (with the session of path parameter 0 when with_session). -1 after the error reply. */
int session_call_begin(struct http_request *req, struct generation *gen, struct http_reply *reply,
                       int with_session, struct session_call *s);

/* The reply for a failed operation: 404 NOT_FOUND (type session), 409 ALREADY_EXISTS, 503, 500. */
void session_call_error(struct session_call *s, enum session_status st, const char *err);
/* 400 for a refused message body (INVALID_URI when a URI was the reason). */
void session_call_message_error(struct session_call *s, const struct session_msg_error *e);
/* 400 for a refused setting. */
void session_call_policy_error(struct session_call *s, const struct session_policy_error *e);

/* The request body as an object; an empty body is {} when optional. NULL after the reply. */
json_t *session_call_body(struct session_call *s, int optional, const char *const *allowed);

#endif
