/* A response under construction: status code plus a JSON body, in OpenViking's envelope, or raw
 * bytes for a download. */
#ifndef SKALD_HTTP_REPLY_H
#define SKALD_HTTP_REPLY_H

#include <jansson.h>

struct http_reply {
    unsigned status;
    json_t *body;             /* owned; NULL = empty body */
    char *bytes;              /* owned; when set, sent instead of body */
    size_t bytes_len;
    const char *content_type; /* of bytes; static */
    char *disposition;        /* owned Content-Disposition of bytes; NULL = none */
};

/* 200 {"status":"ok","result":result}; takes ownership of result (NULL = null). */
void http_reply_ok(struct http_reply *r, json_t *result);
/* {"status":"error","error":{"code","message","details"}} with the HTTP status of `code` (the
 * OpenViking table); takes ownership of details (may be NULL). */
void http_reply_error(struct http_reply *r, const char *code, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A body that is not enveloped (/health, /ready); takes ownership. */
void http_reply_raw(struct http_reply *r, unsigned status, json_t *body);
/* 200 with raw bytes (a download); takes ownership of bytes and disposition (may be NULL). */
void http_reply_bytes(struct http_reply *r, char *bytes, size_t len, const char *content_type,
                      char *disposition);
void http_reply_clear(struct http_reply *r);

/* HTTP status for an error code (500 for an unknown one). */
unsigned http_error_status(const char *code);
/* Error code for a plugin status (enum skald_status). */
const char *http_error_code_for_plugin(int skald_status);

#endif
