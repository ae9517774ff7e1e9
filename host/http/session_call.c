#include "http/session_call.h"

#include <string.h>

int session_call_begin(struct http_request *req, struct generation *gen, struct http_reply *reply,
                       int with_session, struct session_call *s)
{
    memset(s, 0, sizeof *s);
    if (api_begin(req, gen, reply, &s->c) != 0)
        return -1;
    s->engine = atomic_load(&req->app->sessions);
    if (!s->engine) {
        http_reply_error(reply, "UNAVAILABLE", NULL,
                         "skald is starting: sessions are not running yet");
        return -1;
    }
    if (!with_session)
        return 0;
    const char *id = http_request_param(req, 0);
    if (!id || session_ref_init(&s->ref, s->c.who.account, s->c.who.user, id) != 0) {
        api_invalid(&s->c, "path.session_id", "'%s' is not a valid session id (1 to 64 of "
                    "A-Z a-z 0-9 _ . @ -)", id ? id : "");
        return -1;
    }
    return 0;
}

void session_call_error(struct session_call *s, enum session_status st, const char *err)
{
    const char *id = s->ref.id;
    switch (st) {
    case SESSION_NOT_FOUND:
        http_reply_error(s->c.reply, "NOT_FOUND",
                         json_pack("{s:s, s:s}", "type", "session", "resource", id),
                         "Session not found: %s", id);
        break;
    case SESSION_EXISTS:
        http_reply_error(s->c.reply, "ALREADY_EXISTS",
                         json_pack("{s:s, s:s}", "resource", id, "type", "session"),
                         "Session already exists: %s", id);
        break;
    case SESSION_UNAVAILABLE:
        http_reply_error(s->c.reply, "UNAVAILABLE", NULL, "session %s: %s", id, err);
        break;
    default:
        http_reply_error(s->c.reply, "INTERNAL", NULL, "session %s: %s", id, err);
        break;
    }
}

void session_call_message_error(struct session_call *s, const struct session_msg_error *e)
{
    if (strcmp(e->msg, "out of memory") == 0)
        http_reply_error(s->c.reply, "INTERNAL", NULL, "out of memory");
    else if (e->uri[0])
        http_reply_error(s->c.reply, "INVALID_URI",
                         json_pack("{s:s, s:s}", "uri", e->uri, "reason", e->msg),
                         "Invalid URI: %s (%s)", e->uri, e->msg);
    else
        api_invalid(&s->c, e->loc, "%s", e->msg);
}

void session_call_policy_error(struct session_call *s, const struct session_policy_error *e)
{
    if (strcmp(e->msg, "out of memory") == 0)
        http_reply_error(s->c.reply, "INTERNAL", NULL, "out of memory");
    else
        api_invalid(&s->c, e->loc, "%s", e->msg);
}

json_t *session_call_body(struct session_call *s, int optional, const char *const *allowed)
{
    struct http_request *req = s->c.req;
    if (optional && (!req->body || req->body_len == 0 ||
                     strspn(req->body, " \t\r\n") == req->body_len)) {
        json_t *empty = json_object();
        if (!empty)
            http_reply_error(s->c.reply, "INTERNAL", NULL, "out of memory");
        return empty;
    }
    return api_body(&s->c, allowed);
}
