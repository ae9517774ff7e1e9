/*
 * The content routes that read (OpenViking section 2.5): read, abstract, overview, download. The
 * writing ones are in routes_content_write.c and routes_content_reindex.c; this file holds the
 * area's route table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/fs_entry.h"
#include "http/router.h"
#include "http/routes_content_change.h"
#include "http/routes_fs_change.h"
#include "uri/utf8.h"
#include "uri/viking_uri.h"

#define CONTENT_MEMORY_FIELDS_OPEN "<!-- MEMORY_FIELDS"

static int content_query_uri(struct api_call *c, char uri[VIKING_URI_MAX + 1])
{
    const char *raw = api_query_required(c, "uri");
    return raw && api_uri(c, "query.uri", raw, uri) == 0 ? 0 : -1;
}

/* A JSON string of bytes that may not be UTF-8: invalid bytes become U+FFFD. */
static json_t *content_json_text(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    if (j)
        return j;
    char *buf = malloc(len * 3 + 1);
    if (!buf)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = (unsigned char)s[i] < 0x80 ? 1 : viking_utf8_sequence((const unsigned char *)s + i, &cp);
        if (n == 0 || i + n > len) {
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(buf + o, s + i, n);
        o += n;
        i += n;
    }
    j = json_stringn(buf, o);
    free(buf);
    return j;
}

/* The byte range [start, end) of `limit` lines from line `offset` (limit -1: to the end). */
static void content_line_range(const char *s, size_t len, long long offset, long long limit,
                               size_t *start, size_t *end)
{
    size_t i = 0;
    for (long long line = 0; line < offset && i < len; line++) {
        const char *nl = memchr(s + i, '\n', len - i);
        i = nl ? (size_t)(nl - s) + 1 : len;
    }
    *start = i;
    for (long long line = 0; (limit < 0 || line < limit) && i < len; line++) {
        const char *nl = memchr(s + i, '\n', len - i);
        i = nl ? (size_t)(nl - s) + 1 : len;
    }
    *end = i;
}

/* Length of a memory file without its trailing <!-- MEMORY_FIELDS {json} --> comment. */
static size_t content_without_memory_fields(const char *s, size_t len)
{
    size_t end = len;
    while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == ' ' || s[end - 1] == '\r'))
        end--;
    if (end < 3 || memcmp(s + end - 3, "-->", 3) != 0)
        return len;
    const char *open = NULL;
    for (const char *p = s; (p = memmem(p, end - (size_t)(p - s), CONTENT_MEMORY_FIELDS_OPEN,
                                        strlen(CONTENT_MEMORY_FIELDS_OPEN)));
         p++)
        open = p;
    if (!open)
        return len;
    size_t cut = (size_t)(open - s);
    while (cut > 0 && (s[cut - 1] == '\n' || s[cut - 1] == ' ' || s[cut - 1] == '\r'))
        cut--;
    return cut;
}

static void read_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    char uri[VIKING_URI_MAX + 1];
    long long offset, limit;
    int raw;
    struct store_node n;
    if (content_query_uri(&c, uri) != 0 ||
        api_query_int(&c, "offset", 0, 0, INT64_MAX, &offset) != 0 ||
        api_query_int(&c, "limit", -1, -1, INT64_MAX, &limit) != 0 ||
        api_query_bool(&c, "raw", 0, &raw) != 0 || fs_entry_get(&c, uri, 1, &n) != 0)
        return;
    if (n.kind == STORE_DIR) {
        api_store_error(&c, STORE_EISDIR, uri, "");
        store_node_clear(&n);
        return;
    }
    const char *text = n.content ? n.content : "";
    size_t len = n.content_len;
    if (!raw && strcmp(viking_uri_context_type(uri), "memory") == 0)
        len = content_without_memory_fields(text, len);
    size_t start, end;
    content_line_range(text, len, offset, limit, &start, &end);
    json_t *result = content_json_text(text + start, end - start);
    if (result)
        http_reply_ok(reply, result);
    else
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    store_node_clear(&n);
}

/* abstract (level 0) and overview (level 1) of a directory; a file stands for its directory. */
static void sidecar_reply(struct http_request *req, struct generation *gen,
                          struct http_reply *reply, int level)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    char uri[VIKING_URI_MAX + 1], dir[VIKING_URI_MAX + 1];
    struct store_node n;
    if (content_query_uri(&c, uri) != 0 || fs_entry_get(&c, uri, 0, &n) != 0)
        return;
    if (n.kind != STORE_DIR) {
        snprintf(dir, sizeof dir, "%s", n.parent_uri ? n.parent_uri : "viking://");
        store_node_clear(&n);
        if (fs_entry_get(&c, dir, 0, &n) != 0)
            return;
    }
    const char *body = level == 0 ? n.l0 : n.l1;
    char sidecar[VIKING_URI_MAX + 1];
    if (!body) {
        const char *name = level == 0 ? FS_ENTRY_ABSTRACT_NAME : FS_ENTRY_OVERVIEW_NAME;
        if (viking_uri_join(n.uri, name, sidecar, sizeof sidecar) != 0)
            snprintf(sidecar, sizeof sidecar, "%s", n.uri);
        http_reply_error(reply, "NOT_FOUND", json_pack("{s:s, s:s}", "type", "file", "resource", sidecar),
                         "File not found: %s", sidecar);
    } else {
        json_t *result = json_string(body);
        if (result)
            http_reply_ok(reply, result);
        else
            http_reply_error(reply, "INTERNAL", NULL, "a sidecar of %s is not valid text", n.uri);
    }
    store_node_clear(&n);
}

static void abstract_handle(struct http_request *req, struct generation *gen,
                            struct http_reply *reply)
{
    sidecar_reply(req, gen, reply, 0);
}

static void overview_handle(struct http_request *req, struct generation *gen,
                            struct http_reply *reply)
{
    sidecar_reply(req, gen, reply, 1);
}

/* "attachment; filename*=UTF-8''<name>", the name percent-encoded (RFC 5987). */
static char *content_disposition(const char *name)
{
    static const char prefix[] = "attachment; filename*=UTF-8''";
    size_t len = strlen(name);
    char *out = malloc(sizeof prefix + len * 3);
    if (!out)
        return NULL;
    memcpy(out, prefix, sizeof prefix - 1);
    size_t o = sizeof prefix - 1;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("!#$&+-.^_`|~", *p)) {
            out[o++] = (char)*p;
        } else {
            o += (size_t)sprintf(out + o, "%%%02X", *p);
        }
    }
    out[o] = '\0';
    return out;
}

static void download_handle(struct http_request *req, struct generation *gen,
                            struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    char uri[VIKING_URI_MAX + 1];
    struct store_node n;
    if (content_query_uri(&c, uri) != 0 || fs_entry_get(&c, uri, 1, &n) != 0)
        return;
    if (n.kind == STORE_DIR) {
        api_store_error(&c, STORE_EISDIR, uri, "");
        store_node_clear(&n);
        return;
    }
    char *bytes = n.content ? n.content : malloc(1);
    char *disposition = content_disposition(n.name);
    size_t len = n.content ? n.content_len : 0;
    n.content = NULL;
    if (bytes && disposition) {
        http_reply_bytes(reply, bytes, len, "application/octet-stream", disposition);
    } else {
        free(bytes);
        free(disposition);
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    }
    store_node_clear(&n);
}

const struct route routes_content[] = {
    {"GET", "/api/v1/content/read", 0, NULL, read_handle},
    {"GET", "/api/v1/content/abstract", 0, NULL, abstract_handle},
    {"GET", "/api/v1/content/overview", 0, NULL, overview_handle},
    {"GET", "/api/v1/content/download", 0, NULL, download_handle},
    {"POST", "/api/v1/content/write", 0, NULL, routes_content_write},
    {"POST", "/api/v1/content/reindex", 0, NULL, routes_content_reindex},
    {"POST", "/api/v1/content/set_tags", 0, NULL, routes_fs_set_tags},
    {NULL, NULL, 0, NULL, NULL},
};
