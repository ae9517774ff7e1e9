/* multipart/form-data parsing over a buffered body; parts point into the body. */
#include "ingest/multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest/ingest_status.h"

#define HEADER_LINE_MAX 8192
#define PARAM_VALUE_MAX 1024

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static void trim_right(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* Reads the next `; name=value` parameter of a header value (value a token or a quoted string).
 * Returns 1 when one was read, 0 at the end, -1 when it is malformed or does not fit. */
static int next_param(const char **pp, char *name, size_t ncap, char *value, size_t vcap)
{
    const char *p = skip_ws(*pp);
    while (*p && *p != ';')
        p++; /* the rest of the previous item (the media type, or a valueless parameter) */
    if (*p != ';')
        return 0;
    p = skip_ws(p + 1);
    size_t n = 0;
    while (*p && *p != '=' && *p != ';' && *p != ' ' && *p != '\t') {
        if (n + 1 >= ncap)
            return -1;
        name[n++] = *p++;
    }
    name[n] = '\0';
    p = skip_ws(p);
    value[0] = '\0';
    if (*p != '=') {
        *pp = p;
        return 1;
    }
    p = skip_ws(p + 1);
    n = 0;
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 >= vcap)
                return -1;
            value[n++] = *p++;
        }
        if (*p != '"')
            return -1;
        p++;
    } else {
        while (*p && *p != ';' && *p != ' ' && *p != '\t') {
            if (n + 1 >= vcap)
                return -1;
            value[n++] = *p++;
        }
    }
    value[n] = '\0';
    *pp = p;
    return 1;
}

int multipart_boundary(const char *content_type, char *out, size_t cap, char *err, size_t err_cap)
{
    static const char type[] = "multipart/form-data";
    if (!content_type) {
        snprintf(err, err_cap, "missing Content-Type: expected multipart/form-data");
        return INGEST_EINVAL;
    }
    const char *p = skip_ws(content_type);
    if (strncasecmp(p, type, sizeof type - 1) != 0 ||
        (p[sizeof type - 1] && p[sizeof type - 1] != ';' && p[sizeof type - 1] != ' ' &&
         p[sizeof type - 1] != '\t')) {
        snprintf(err, err_cap, "Content-Type is not multipart/form-data");
        return INGEST_EINVAL;
    }
    p += sizeof type - 1;
    char name[64], value[PARAM_VALUE_MAX];
    int rc;
    while ((rc = next_param(&p, name, sizeof name, value, sizeof value)) == 1) {
        if (strcasecmp(name, "boundary") != 0)
            continue;
        size_t n = strlen(value);
        int ok = n >= 1 && n <= MULTIPART_BOUNDARY_MAX && n < cap && value[n - 1] != ' ';
        for (size_t i = 0; ok && i < n; i++)
            ok = value[i] >= 0x20 && value[i] < 0x7f;
        if (!ok) {
            snprintf(err, err_cap, "multipart boundary must be 1 to %d printable characters",
                     MULTIPART_BOUNDARY_MAX);
            return INGEST_EINVAL;
        }
        memcpy(out, value, n + 1);
        return INGEST_OK;
    }
    if (rc < 0)
        snprintf(err, err_cap, "malformed Content-Type parameters");
    else
        snprintf(err, err_cap, "Content-Type multipart/form-data has no boundary");
    return INGEST_EINVAL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the value of an RFC 5987 filename*= (charset'lang'percent-encoded) in place. */
static int decode_ext_value(char *v)
{
    char *q = strchr(v, '\'');
    if (!q || !(q = strchr(q + 1, '\'')))
        return -1;
    const char *in = q + 1;
    char *out = v;
    while (*in) {
        if (*in == '%') {
            int hi = hex_value(in[1]), lo = hi < 0 ? -1 : hex_value(in[2]);
            if (lo < 0 || hi * 16 + lo == 0)
                return -1;
            *out++ = (char)(hi * 16 + lo);
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return 0;
}

static void copy_basename(const char *path, char *out, size_t cap)
{
    const char *base = path;
    for (const char *s = path; *s; s++)
        if (*s == '/' || *s == '\\')
            base = s + 1;
    snprintf(out, cap, "%s", base);
}

/* Parses one header line of a part into `part`. */
static int parse_part_header(char *line, struct multipart_part *part, size_t index, char *err,
                             size_t err_cap)
{
    char *colon = strchr(line, ':');
    if (!colon)
        return INGEST_OK; /* not a header; RFC 7578 parsers ignore what they do not know */
    *colon = '\0';
    trim_right(line);
    char *value = (char *)skip_ws(colon + 1);
    trim_right(value);
    if (strcasecmp(line, "Content-Type") == 0) {
        if (strlen(value) >= sizeof part->content_type) {
            snprintf(err, err_cap, "part %zu: Content-Type is too long", index + 1);
            return INGEST_ETOOBIG;
        }
        strcpy(part->content_type, value);
        return INGEST_OK;
    }
    if (strcasecmp(line, "Content-Disposition") != 0)
        return INGEST_OK;
    if (strncasecmp(value, "form-data", 9) != 0) {
        snprintf(err, err_cap, "part %zu: Content-Disposition is not form-data", index + 1);
        return INGEST_EINVAL;
    }
    const char *p = value;
    char pname[32], pval[PARAM_VALUE_MAX], plain[PARAM_VALUE_MAX] = "", ext[PARAM_VALUE_MAX] = "";
    int has_plain = 0, has_ext = 0, rc;
    while ((rc = next_param(&p, pname, sizeof pname, pval, sizeof pval)) == 1) {
        if (strcasecmp(pname, "name") == 0) {
            if (strlen(pval) >= sizeof part->name) {
                snprintf(err, err_cap, "part %zu: field name is too long", index + 1);
                return INGEST_ETOOBIG;
            }
            strcpy(part->name, pval);
        } else if (strcasecmp(pname, "filename") == 0) {
            strcpy(plain, pval);
            has_plain = 1;
        } else if (strcasecmp(pname, "filename*") == 0 && decode_ext_value(pval) == 0) {
            strcpy(ext, pval);
            has_ext = 1;
        }
    }
    if (rc < 0) {
        snprintf(err, err_cap, "part %zu: malformed Content-Disposition", index + 1);
        return INGEST_EINVAL;
    }
    if (has_plain || has_ext) {
        char base[PARAM_VALUE_MAX];
        copy_basename(has_ext ? ext : plain, base, sizeof base);
        if (strlen(base) >= sizeof part->filename) {
            snprintf(err, err_cap, "part %zu: file name is too long", index + 1);
            return INGEST_ETOOBIG;
        }
        strcpy(part->filename, base);
        part->has_filename = 1;
    }
    return INGEST_OK;
}

/* Reads the headers of a part starting at *pos; leaves *pos at the first data byte. */
static int parse_part_headers(const unsigned char *b, size_t len, size_t *pos,
                              struct multipart_part *part, size_t index, char *err,
                              size_t err_cap)
{
    size_t q = *pos;
    for (;;) {
        const unsigned char *nl = q < len ? memchr(b + q, '\n', len - q) : NULL;
        if (!nl) {
            snprintf(err, err_cap, "truncated multipart body: part %zu headers do not end",
                     index + 1);
            return INGEST_EINVAL;
        }
        size_t n = (size_t)(nl - (b + q));
        if (n > 0 && b[q + n - 1] == '\r')
            n--;
        size_t next = (size_t)(nl - b) + 1;
        if (n == 0) {
            *pos = next;
            break;
        }
        if (n >= HEADER_LINE_MAX) {
            snprintf(err, err_cap, "part %zu: header line is too long", index + 1);
            return INGEST_ETOOBIG;
        }
        char line[HEADER_LINE_MAX];
        memcpy(line, b + q, n);
        line[n] = '\0';
        if (memchr(line, '\0', n)) {
            snprintf(err, err_cap, "part %zu: NUL byte in a header", index + 1);
            return INGEST_EINVAL;
        }
        int rc = parse_part_header(line, part, index, err, err_cap);
        if (rc != INGEST_OK)
            return rc;
        q = next;
    }
    if (!part->name[0]) {
        snprintf(err, err_cap, "part %zu has no Content-Disposition name", index + 1);
        return INGEST_EINVAL;
    }
    return INGEST_OK;
}

/* After a delimiter ending at r: 2 for the closing "--", 1 for padding and a line end (*next set
 * past it), 0 when the body ends first, -1 when other bytes follow (so it was no delimiter). */
static int delimiter_tail(const unsigned char *b, size_t len, size_t r, int crlf, size_t *next)
{
    if (r + 2 <= len && b[r] == '-' && b[r + 1] == '-')
        return 2;
    while (r < len && (b[r] == ' ' || b[r] == '\t'))
        r++;
    if (r >= len || (crlf && r + 1 >= len && b[r] == '\r'))
        return 0;
    if (crlf && b[r] == '\r' && b[r + 1] == '\n') {
        *next = r + 2;
        return 1;
    }
    if (!crlf && b[r] == '\n') {
        *next = r + 1;
        return 1;
    }
    return -1;
}

int multipart_parse(const char *content_type, const void *body, size_t body_len,
                    struct multipart_form *form, char *err, size_t err_cap)
{
    memset(form, 0, sizeof *form);
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    int rc = multipart_boundary(content_type, boundary, sizeof boundary, err, err_cap);
    if (rc != INGEST_OK)
        return rc;
    const unsigned char *b = body;
    size_t blen = strlen(boundary);

    /* needle = "\r\n--" boundary; the first delimiter may lack the line end before it. */
    char needle[4 + MULTIPART_BOUNDARY_MAX + 1];
    int nl = snprintf(needle, sizeof needle, "\r\n--%s", boundary);
    const char *dash = needle + 2;
    size_t first;
    if (body_len >= blen + 2 && memcmp(b, dash, blen + 2) == 0) {
        first = 0;
    } else {
        const unsigned char *f = memmem(b, body_len, needle + 1, (size_t)nl - 1);
        if (!f) {
            snprintf(err, err_cap, "truncated multipart body: the boundary never appears");
            return INGEST_EINVAL;
        }
        first = (size_t)(f - b) + 1;
    }
    size_t r = first + blen + 2, pos = 0, pad = r;
    while (pad < body_len && (b[pad] == ' ' || b[pad] == '\t'))
        pad++;
    int crlf = !(pad < body_len && b[pad] == '\n');
    int tail = delimiter_tail(b, body_len, r, crlf, &pos);
    if (tail == 2)
        return INGEST_OK;
    if (tail == 0) {
        snprintf(err, err_cap, "truncated multipart body after the first boundary");
        return INGEST_EINVAL;
    }
    if (tail < 0) {
        snprintf(err, err_cap, "malformed multipart body: junk after the first boundary");
        return INGEST_EINVAL;
    }
    const char *delim = crlf ? needle : needle + 1;
    size_t dlen = crlf ? (size_t)nl : (size_t)nl - 1;

    for (;;) {
        if (form->count == MULTIPART_MAX_PARTS) {
            snprintf(err, err_cap, "more than %d parts in the form", MULTIPART_MAX_PARTS);
            return INGEST_ETOOBIG;
        }
        struct multipart_part *part = &form->parts[form->count];
        rc = parse_part_headers(b, body_len, &pos, part, form->count, err, err_cap);
        if (rc != INGEST_OK)
            return rc;
        size_t search = pos;
        for (;;) {
            const unsigned char *f =
                search <= body_len ? memmem(b + search, body_len - search, delim, dlen) : NULL;
            if (!f) {
                snprintf(err, err_cap, "truncated multipart body: part %zu ('%s') has no end",
                         form->count + 1, part->name);
                return INGEST_EINVAL;
            }
            size_t at = (size_t)(f - b), next = 0;
            tail = delimiter_tail(b, body_len, at + dlen, crlf, &next);
            if (tail < 0) {
                search = at + 1; /* the boundary text inside the data, not a delimiter */
                continue;
            }
            if (tail == 0) {
                snprintf(err, err_cap, "truncated multipart body after part %zu ('%s')",
                         form->count + 1, part->name);
                return INGEST_EINVAL;
            }
            part->data = b + pos;
            part->len = at - pos;
            form->count++;
            if (tail == 2)
                return INGEST_OK;
            pos = next;
            break;
        }
    }
}

const struct multipart_part *multipart_find(const struct multipart_form *form, const char *name)
{
    for (size_t i = 0; i < form->count; i++)
        if (strcmp(form->parts[i].name, name) == 0)
            return &form->parts[i];
    return NULL;
}

int multipart_text(const struct multipart_form *form, const char *name, char *out, size_t cap,
                   char *err, size_t err_cap)
{
    const struct multipart_part *p = multipart_find(form, name);
    if (!p) {
        snprintf(err, err_cap, "no '%s' field in the form", name);
        return INGEST_ENOTFOUND;
    }
    if (p->len >= cap) {
        snprintf(err, err_cap, "field '%s' is longer than %zu bytes", name, cap - 1);
        return INGEST_ETOOBIG;
    }
    if (memchr(p->data, '\0', p->len)) {
        snprintf(err, err_cap, "field '%s' holds a NUL byte", name);
        return INGEST_EINVAL;
    }
    memcpy(out, p->data, p->len);
    out[p->len] = '\0';
    return INGEST_OK;
}

int multipart_temp_upload(const struct multipart_form *form, struct multipart_temp_upload *out,
                          char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    out->file = multipart_find(form, "file");
    if (!out->file) {
        snprintf(err, err_cap, "missing 'file' part in the multipart form");
        return INGEST_EINVAL;
    }
    char v[32];
    int rc = multipart_text(form, "upload_mode", v, sizeof v, err, err_cap);
    if (rc == INGEST_ENOTFOUND) {
        strcpy(out->upload_mode, "local");
    } else if (rc != INGEST_OK) {
        return rc == INGEST_ETOOBIG ? INGEST_EINVAL : rc;
    } else {
        trim_right(v);
        const char *s = skip_ws(v);
        if (strcmp(s, "local") != 0 && strcmp(s, "shared") != 0) {
            snprintf(err, err_cap, "upload_mode must be 'local' or 'shared', not '%s'", s);
            return INGEST_EINVAL;
        }
        strcpy(out->upload_mode, s);
    }
    rc = multipart_text(form, "telemetry", v, sizeof v, err, err_cap);
    if (rc == INGEST_OK) {
        trim_right(v);
        const char *s = skip_ws(v);
        out->telemetry = !(*s == '\0' || strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0 ||
                           strcasecmp(s, "no") == 0 || strcasecmp(s, "off") == 0);
    } else {
        /* A JSON object ({"summary":true}) may be longer than v: it still asks for telemetry. */
        out->telemetry = rc != INGEST_ENOTFOUND;
    }
    return INGEST_OK;
}
