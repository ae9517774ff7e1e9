/*
 * The checks every /api/v1 handler makes before it does anything, in one place: who is calling
 * (401/400), whether storage and plugins are up (503), and typed access to URIs, query arguments
 * and body fields with OpenViking's validation errors (400 INVALID_ARGUMENT, `Invalid request
 * parameters: <loc>: <msg>`, details.validation_errors). Runs on workers.
 */
#ifndef SKALD_HTTP_API_CALL_H
#define SKALD_HTTP_API_CALL_H

#include <jansson.h>

#include "auth/identity.h"
#include "http/request.h"
#include "store/store.h"
#include "uri/viking_uri.h"

struct api_call {
    struct http_request *req;
    struct generation *gen;   /* pinned by the caller for the request */
    struct store *store;      /* open; borrowed from the app */
    struct identity who;
    struct http_reply *reply; /* where errors are written */
};

/* Fills call for req, or writes the error reply and returns -1. */
int api_begin(struct http_request *req, struct generation *gen, struct http_reply *reply,
              struct api_call *call);

/* Writes 400 INVALID_ARGUMENT for one field, e.g. api_invalid(c, "body.uri", "field required"). */
void api_invalid(struct api_call *c, const char *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Canonicalises a URI value for the caller (400 INVALID_URI with details {uri, reason}) and
 * checks the caller may touch it (403 PERMISSION_DENIED). loc names the field for messages. */
int api_uri(struct api_call *c, const char *loc, const char *raw, char out[VIKING_URI_MAX + 1]);

/* The error envelope for a store failure about uri: ENOTFOUND → 404 NOT_FOUND, EEXIST → 409
 * ALREADY_EXISTS, ENOTDIR/EISDIR → 400 INVALID_ARGUMENT with expected/actual, ENOTEMPTY → 412
 * FAILED_PRECONDITION, ECONFLICT → 409 CONFLICT, EINVAL → 400, others → 500 INTERNAL. */
void api_store_error(struct api_call *c, int store_rc, const char *uri, const char *err);

/* Query arguments: absent → def; malformed → 400 and -1. Booleans accept
 * true/false/1/0/yes/no/on/off in any case. */
int api_query_bool(struct api_call *c, const char *name, int def, int *out);
int api_query_int(struct api_call *c, const char *name, long long def, long long min,
                  long long max, long long *out);
/* A required string query argument (400 when missing or empty). */
const char *api_query_required(struct api_call *c, const char *name);

/* The body as an object (400 for a missing, malformed or non-object body). When allowed is not
 * NULL (NULL-terminated), an unknown field is a 400 too. The caller decrefs the result. */
json_t *api_body(struct api_call *c, const char *const *allowed);
/* 0 when every field of body is in allowed (NULL-terminated), else -1 after a 400 naming it. */
int api_body_fields(struct api_call *c, json_t *body, const char *const *allowed);

/* Body fields; JSON null counts as absent. Wrong type → 400 and -1. */
int api_field_string(struct api_call *c, json_t *body, const char *name, int required,
                     const char **out);
int api_field_bool(struct api_call *c, json_t *body, const char *name, int def, int *out);
int api_field_number(struct api_call *c, json_t *body, const char *name, double def, double *out);
int api_field_int(struct api_call *c, json_t *body, const char *name, long long def,
                  long long min, long long max, long long *out);
/* An array of "k=v" strings (tags); absent → NULL with 0. */
int api_field_tags(struct api_call *c, json_t *body, const char *name, json_t **out);

/* The ISO-8601 UTC form of a wall-clock ms time ("2026-11-25T01:02:03.456Z") into out[32]. */
void api_iso_time(int64_t ms, char out[32]);

#endif
