/* Parsing request bodies as JSON, on a worker (large bodies must not hold up the HTTP thread). */
#ifndef SKALD_HTTP_JSON_BODY_H
#define SKALD_HTTP_JSON_BODY_H

#include "http/request.h"

/* Returns the body as a JSON object (caller decrefs), or NULL after writing a 400
 * INVALID_ARGUMENT reply that says what is wrong (empty body, syntax error with line and column,
 * not an object). */
json_t *http_json_body_object(const struct http_request *req, struct http_reply *reply);

#endif
