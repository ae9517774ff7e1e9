/* The handlers of POST /api/v1/sessions/{id}/messages, .../messages/batch and .../commit, listed
 * in the sessions route table (routes_sessions.c). */
#ifndef SKALD_HTTP_ROUTES_SESSION_MESSAGES_H
#define SKALD_HTTP_ROUTES_SESSION_MESSAGES_H

#include "http/request.h"

void routes_session_messages(struct http_request *req, struct generation *gen,
                             struct http_reply *reply);
void routes_session_batch(struct http_request *req, struct generation *gen,
                          struct http_reply *reply);
void routes_session_commit(struct http_request *req, struct generation *gen,
                           struct http_reply *reply);

#endif
