#include "http/api_call.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/json_body.h"

int api_begin(struct http_request *req, struct generation *gen, struct http_reply *reply,
              struct api_call *call)
{
    memset(call, 0, sizeof *call);
    call->req = req;
    call->gen = gen;
    call->reply = reply;
    call->store = atomic_load(&req->app->store);
    if (!gen || !call->store) {
        http_reply_error(reply, "UNAVAILABLE", NULL, "skald is starting: %s",
                         gen ? "the context store is still opening" : "plugins are still being created");
        return -1;
    }
    struct auth_headers h = {
        http_request_header(req, "X-API-Key"),
        http_request_header(req, "Authorization"),
        http_request_header(req, "X-OpenViking-Account"),
        http_request_header(req, "X-OpenViking-User"),
        http_request_header(req, "X-OpenViking-Actor-Peer"),
    };
    const char *code = "UNAUTHENTICATED";
    char msg[256];
    if (auth_resolve(gen->config->auth, &h, &call->who, &code, msg, sizeof msg) != 0) {
        http_reply_error(reply, code, NULL, "%s", msg);
        return -1;
    }
    if (call->who.role == AUTH_ROLE_ROOT && !auth_root_path_allowed(gen->config->auth, req->url)) {
        http_reply_error(reply, "PERMISSION_DENIED", NULL,
                         "the root key may not call %s; use a user key", req->url);
        return -1;
    }
    return 0;
}

void api_invalid(struct api_call *c, const char *loc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *locs = json_array();
    char *copy = strdup(loc);
    for (char *save = NULL, *part = copy ? strtok_r(copy, ".", &save) : NULL; part;
         part = strtok_r(NULL, ".", &save))
        json_array_append_new(locs, json_string(part));
    free(copy);
    json_t *details = json_pack("{s:[{s:o, s:s, s:s}]}", "validation_errors", "loc", locs,
                                "message", msg, "type", "value_error");
    http_reply_error(c->reply, "INVALID_ARGUMENT", details, "Invalid request parameters: %s: %s",
                     loc, msg);
}

int api_uri(struct api_call *c, const char *loc, const char *raw, char out[VIKING_URI_MAX + 1])
{
    (void)loc;
    char reason[256];
    if (viking_uri_canonicalize(raw, &c->who, out, VIKING_URI_MAX + 1, reason, sizeof reason) != 0) {
        http_reply_error(c->reply, "INVALID_URI", json_pack("{s:s, s:s}", "uri", raw, "reason", reason),
                         "Invalid URI: %s (%s)", raw, reason);
        return -1;
    }
    if (viking_uri_access(&c->who, out) != 0) {
        http_reply_error(c->reply, "PERMISSION_DENIED", json_pack("{s:s}", "uri", out),
                         "user %s may not access %s", c->who.user, out);
        return -1;
    }
    return 0;
}

void api_store_error(struct api_call *c, int store_rc, const char *uri, const char *err)
{
    switch (store_rc) {
    case STORE_ENOTFOUND:
        http_reply_error(c->reply, "NOT_FOUND", json_pack("{s:s, s:s}", "type", "resource", "resource", uri),
                         "Resource not found: %s", uri);
        break;
    case STORE_EEXIST:
        http_reply_error(c->reply, "ALREADY_EXISTS", json_pack("{s:s, s:s}", "resource", uri, "type", "resource"),
                         "Resource already exists: %s", uri);
        break;
    case STORE_ENOTDIR:
        http_reply_error(c->reply, "INVALID_ARGUMENT",
                         json_pack("{s:s, s:s, s:s}", "expected", "directory", "actual", "file", "resource", uri),
                         "%s is a file, not a directory", uri);
        break;
    case STORE_EISDIR:
        http_reply_error(c->reply, "INVALID_ARGUMENT",
                         json_pack("{s:s, s:s, s:s}", "expected", "file", "actual", "directory", "resource", uri),
                         "%s is a directory, not a file", uri);
        break;
    case STORE_ENOTEMPTY:
        http_reply_error(c->reply, "FAILED_PRECONDITION", json_pack("{s:s}", "resource", uri),
                         "directory %s is not empty; pass recursive=true to remove it", uri);
        break;
    case STORE_ECONFLICT:
        http_reply_error(c->reply, "CONFLICT",
                         json_pack("{s:s, s:s, s:b}", "resource", uri, "conflict_type", "path_busy", "retryable", 1),
                         "%s changed meanwhile; retry", uri);
        break;
    case STORE_EINVAL:
        http_reply_error(c->reply, "INVALID_ARGUMENT", NULL, "%s: %s", uri, err);
        break;
    default:
        http_reply_error(c->reply, "INTERNAL", NULL, "storage failed on %s: %s", uri, err);
        break;
    }
}

static int api_parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"}, *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

int api_query_bool(struct api_call *c, const char *name, int def, int *out)
{
    const char *v = http_request_query(c->req, name);
    *out = def;
    if (!v)
        return 0;
    if (api_parse_bool(v, out) != 0) {
        char loc[96];
        snprintf(loc, sizeof loc, "query.%s", name);
        api_invalid(c, loc, "'%s' is not a boolean", v);
        return -1;
    }
    return 0;
}

int api_query_int(struct api_call *c, const char *name, long long def, long long min,
                  long long max, long long *out)
{
    const char *v = http_request_query(c->req, name);
    *out = def;
    if (!v)
        return 0;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max) {
        char loc[96];
        snprintf(loc, sizeof loc, "query.%s", name);
        api_invalid(c, loc, "'%s' is not a whole number from %lld to %lld", v, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

const char *api_query_required(struct api_call *c, const char *name)
{
    const char *v = http_request_query(c->req, name);
    if (!v || !*v) {
        char loc[96];
        snprintf(loc, sizeof loc, "query.%s", name);
        api_invalid(c, loc, "field required");
        return NULL;
    }
    return v;
}

int api_body_fields(struct api_call *c, json_t *body, const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i]) {
            char loc[160];
            snprintf(loc, sizeof loc, "body.%.128s", key);
            api_invalid(c, loc, "extra fields not permitted");
            return -1;
        }
    }
    return 0;
}

json_t *api_body(struct api_call *c, const char *const *allowed)
{
    json_t *body = http_json_body_object(c->req, c->reply);
    if (body && allowed && api_body_fields(c, body, allowed) != 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

static json_t *api_field(json_t *body, const char *name)
{
    json_t *v = json_object_get(body, name);
    return json_is_null(v) ? NULL : v;
}

static void api_field_invalid(struct api_call *c, const char *name, const char *what)
{
    char loc[160];
    snprintf(loc, sizeof loc, "body.%.128s", name);
    api_invalid(c, loc, "%s", what);
}

int api_field_string(struct api_call *c, json_t *body, const char *name, int required,
                     const char **out)
{
    json_t *v = api_field(body, name);
    *out = NULL;
    if (!v) {
        if (required) {
            api_field_invalid(c, name, "field required");
            return -1;
        }
        return 0;
    }
    if (!json_is_string(v)) {
        api_field_invalid(c, name, "must be a string");
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

int api_field_bool(struct api_call *c, json_t *body, const char *name, int def, int *out)
{
    json_t *v = api_field(body, name);
    *out = def;
    if (!v)
        return 0;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_string(v) && api_parse_bool(json_string_value(v), out) == 0)
        return 0;
    api_field_invalid(c, name, "must be a boolean");
    return -1;
}

int api_field_number(struct api_call *c, json_t *body, const char *name, double def, double *out)
{
    json_t *v = api_field(body, name);
    *out = def;
    if (!v)
        return 0;
    if (!json_is_number(v)) {
        api_field_invalid(c, name, "must be a number");
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

int api_field_int(struct api_call *c, json_t *body, const char *name, long long def,
                  long long min, long long max, long long *out)
{
    json_t *v = api_field(body, name);
    *out = def;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        char what[96];
        snprintf(what, sizeof what, "must be a whole number from %lld to %lld", min, max);
        api_field_invalid(c, name, what);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

int api_field_tags(struct api_call *c, json_t *body, const char *name, json_t **out)
{
    json_t *v = api_field(body, name);
    *out = NULL;
    if (!v)
        return 0;
    size_t i;
    json_t *t;
    if (!json_is_array(v))
        goto bad;
    json_array_foreach(v, i, t) {
        const char *s = json_string_value(t);
        const char *eq = s ? strchr(s, '=') : NULL;
        if (!eq || eq == s || !eq[1])
            goto bad;
    }
    *out = v;
    return 0;
bad:
    api_field_invalid(c, name, "must be an array of 'key=value' strings");
    return -1;
}

void api_iso_time(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}
