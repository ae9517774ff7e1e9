#ifndef SKALD_CTL_HTTP_H
#define SKALD_CTL_HTTP_H

#include <jansson.h>
#include <stddef.h>

/* Exit codes of skaldctl, also the return codes of every ctl_* call. */
enum { CTL_OK = 0, CTL_SERVER_ERROR = 1, CTL_USAGE = 2, CTL_NO_CONNECT = 3 };

struct ctl {
    const char *url;     /* base URL without a trailing slash */
    const char *api_key; /* NULL: no X-API-Key header */
    int json;            /* -o json */
};

/* One API call. body (borrowed, may be NULL) is sent as JSON. On CTL_OK *result is a new
 * reference to the envelope's "result" (or the whole body for routes without an envelope, such
 * as /health). On CTL_SERVER_ERROR err holds "CODE: message"; on CTL_NO_CONNECT curl's reason. */
int ctl_call(const struct ctl *c, const char *method, const char *path, json_t *body, json_t **result,
             char *err, size_t errlen);

/* POST of file as the multipart field "file"; outcomes as ctl_call, and CTL_USAGE when the file
 * cannot be read. */
int ctl_upload(const struct ctl *c, const char *path, const char *file, json_t **result, char *err, size_t errlen);

/* path + "?" + name=escaped(value) pairs (NULL-terminated list of name, value; NULL values are
 * skipped) into out. Returns CTL_OK, or CTL_USAGE when it does not fit. */
int ctl_path_query(char *out, size_t outlen, const char *path, ...);

/* prefix + escaped(segment) + suffix into out, for ids inside a path. Returns CTL_OK, or
 * CTL_USAGE when it does not fit or cannot be escaped. */
int ctl_path_segment(char *out, size_t outlen, const char *prefix, const char *segment, const char *suffix);

#endif
