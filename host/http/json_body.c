#include "http/json_body.h"

json_t *http_json_body_object(const struct http_request *req, struct http_reply *reply)
{
    if (!req->body || req->body_len == 0) {
        http_reply_error(reply, "INVALID_ARGUMENT", NULL,
                         "Invalid request parameters: body: a JSON object is required");
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(req->body, req->body_len, 0, &jerr);
    if (!doc) {
        http_reply_error(reply, "INVALID_ARGUMENT",
                         json_pack("{s:i, s:i}", "line", jerr.line, "column", jerr.column),
                         "Invalid request parameters: body: malformed JSON at line %d column %d: %s",
                         jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        http_reply_error(reply, "INVALID_ARGUMENT", NULL,
                         "Invalid request parameters: body: must be a JSON object");
        return NULL;
    }
    return doc;
}
