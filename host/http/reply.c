#include "http/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

static const struct {
    const char *code;
    unsigned status;
} error_statuses[] = {
    {"INVALID_ARGUMENT", 400},  {"INVALID_URI", 400},        {"UNSUPPORTED_URI", 400},
    {"INVALID_FILTER", 400},    {"SKILL_INVALID", 400},
    {"UNAUTHENTICATED", 401},   {"PERMISSION_DENIED", 403},  {"NOT_FOUND", 404},
    {"UNKNOWN", 405},           {"ALREADY_EXISTS", 409},     {"CONFLICT", 409},
    {"ABORTED", 409},           {"FAILED_PRECONDITION", 412}, {"PAYLOAD_TOO_LARGE", 413},
    {"RESOURCE_EXHAUSTED", 429}, {"INTERNAL", 500},          {"UNIMPLEMENTED", 501},
    {"UNAVAILABLE", 503},       {"DEADLINE_EXCEEDED", 504},
};

unsigned http_error_status(const char *code)
{
    for (size_t i = 0; i < sizeof error_statuses / sizeof error_statuses[0]; i++)
        if (strcmp(error_statuses[i].code, code) == 0)
            return error_statuses[i].status;
    return 500;
}

const char *http_error_code_for_plugin(int skald_status)
{
    switch (skald_status) {
    case SKALD_EINVAL: return "INVALID_ARGUMENT";
    case SKALD_EUNSUPPORTED: return "UNIMPLEMENTED";
    case SKALD_EUNAVAILABLE: return "UNAVAILABLE";
    case SKALD_ETIMEDOUT: return "DEADLINE_EXCEEDED";
    case SKALD_ECANCELLED: return "UNAVAILABLE";
    case SKALD_EBUSY: return "CONFLICT";
    case SKALD_ENOTFOUND: return "NOT_FOUND";
    case SKALD_ENOMEM: return "RESOURCE_EXHAUSTED";
    default: return "INTERNAL";
    }
}

void http_reply_clear(struct http_reply *r)
{
    json_decref(r->body);
    free(r->bytes);
    free(r->disposition);
    *r = (struct http_reply){0};
}

void http_reply_bytes(struct http_reply *r, char *bytes, size_t len, const char *content_type,
                      char *disposition)
{
    http_reply_clear(r);
    r->status = 200;
    r->bytes = bytes;
    r->bytes_len = len;
    r->content_type = content_type;
    r->disposition = disposition;
}

void http_reply_raw(struct http_reply *r, unsigned status, json_t *body)
{
    http_reply_clear(r);
    r->status = status;
    r->body = body;
}

void http_reply_ok(struct http_reply *r, json_t *result)
{
    http_reply_raw(r, 200, json_pack("{s:s, s:o}", "status", "ok", "result", result ? result : json_null()));
}

void http_reply_error(struct http_reply *r, const char *code, json_t *details, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    http_reply_raw(r, http_error_status(code),
                   json_pack("{s:s, s:{s:s, s:s, s:o}}", "status", "error", "error", "code", code,
                             "message", msg, "details", details ? details : json_null()));
}
