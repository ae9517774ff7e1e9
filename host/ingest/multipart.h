/*
 * multipart/form-data (RFC 7578) over a body already held in memory, as temp_upload receives
 * it. Parts point into the body (no copy of the file bytes); the body must outlive the form.
 * Pure parsing: safe on any thread, but meant for a worker (bodies run to max_body).
 */
#ifndef SKALD_INGEST_MULTIPART_H
#define SKALD_INGEST_MULTIPART_H

#include <stddef.h>

#define MULTIPART_MAX_PARTS 32
#define MULTIPART_BOUNDARY_MAX 70 /* RFC 2046 */
#define MULTIPART_NAME_MAX 128
#define MULTIPART_FILENAME_MAX 256
#define MULTIPART_TYPE_MAX 128

struct multipart_part {
    char name[MULTIPART_NAME_MAX];         /* the form field name (Content-Disposition name=) */
    int has_filename;                      /* whether the part carried filename= or filename*= */
    char filename[MULTIPART_FILENAME_MAX]; /* its last path component ("C:\x\a.md" -> "a.md") */
    char content_type[MULTIPART_TYPE_MAX]; /* the part's Content-Type, "" when absent */
    const unsigned char *data;             /* the part's bytes, inside the body */
    size_t len;
};

struct multipart_form {
    struct multipart_part parts[MULTIPART_MAX_PARTS];
    size_t count;
};

/* Extracts the boundary parameter (quoted or not) of a multipart/form-data Content-Type into
 * out (cap >= MULTIPART_BOUNDARY_MAX + 1). INGEST_EINVAL when the type is not
 * multipart/form-data or has no valid boundary. */
int multipart_boundary(const char *content_type, char *out, size_t cap, char *err, size_t err_cap);

/* Parses body into form. Lines may end in CRLF (what every client sends) or bare LF; the style
 * of the first delimiter line is used throughout. Errors: INGEST_EINVAL (no boundary, a part
 * without a Content-Disposition name, junk where a delimiter belongs), INGEST_ETOOBIG (more than
 * MULTIPART_MAX_PARTS parts, an over-long name), and INGEST_EINVAL with "truncated" in err when
 * the body ends before the closing delimiter. */
int multipart_parse(const char *content_type, const void *body, size_t body_len,
                    struct multipart_form *form, char *err, size_t err_cap);

/* The first part named `name`, or NULL. */
const struct multipart_part *multipart_find(const struct multipart_form *form, const char *name);

/* Copies the value of small text field `name` into out as a C string. INGEST_ENOTFOUND when the
 * form has no such part, INGEST_ETOOBIG when it does not fit in cap, INGEST_EINVAL when it holds
 * a NUL byte. */
int multipart_text(const struct multipart_form *form, const char *name, char *out, size_t cap,
                   char *err, size_t err_cap);

/* The fields of POST /api/v1/resources/temp_upload. */
struct multipart_temp_upload {
    const struct multipart_part *file; /* the `file` part (points into the form) */
    char upload_mode[8];               /* "local" (default) or "shared" */
    int telemetry;                     /* 1 when `telemetry` is present and not false/0/no/off */
};

/* Reads the temp_upload fields from a parsed form. INGEST_EINVAL when the `file` part is missing
 * or upload_mode is neither local nor shared. */
int multipart_temp_upload(const struct multipart_form *form, struct multipart_temp_upload *out,
                          char *err, size_t err_cap);

#endif
