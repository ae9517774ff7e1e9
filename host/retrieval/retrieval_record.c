#include "retrieval/retrieval_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uri/viking_uri.h"

struct retrieval_record_blob {
    int refs;
    json_t *meta;        /* the parsed metadata, once parsed; an object */
    const char *metadata; /* the raw JSON, inside this allocation; NULL when none */
    char uri[];          /* then the metadata's bytes */
};

static const char *member_string(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static int64_t member_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : (int64_t)json_number_value(v);
}

/* The level in a pipeline record id "<account>|<level>|<uri>", or -1. */
static int level_of_id(const char *id)
{
    const char *bar = id ? strchr(id, '|') : NULL;
    if (!bar || bar[1] < '0' || bar[1] > '2' || bar[2] != '|')
        return -1;
    return bar[1] - '0';
}

int retrieval_record_light(const char *uri, const char *id, const char *metadata,
                           struct retrieval_record *out)
{
    memset(out, 0, sizeof *out);
    size_t ulen = strlen(uri ? uri : ""), mlen = metadata ? strlen(metadata) + 1 : 0;
    struct retrieval_record_blob *b = malloc(sizeof *b + ulen + 1 + mlen);
    if (!b)
        return -1;
    b->refs = 1;
    b->meta = NULL;
    memcpy(b->uri, uri ? uri : "", ulen + 1);
    b->metadata = metadata ? memcpy(b->uri + ulen + 1, metadata, mlen) : NULL;
    out->blob = b;
    out->uri = b->uri;
    out->context_type = viking_uri_context_type(b->uri);
    out->abstract = out->parent = out->owner = "";
    out->level = level_of_id(id);
    if (out->level < 0 && retrieval_record_complete(out) != 0) {
        retrieval_record_clear(out);
        return -1;
    }
    return 0;
}

int retrieval_record_complete(struct retrieval_record *r)
{
    if (r->complete)
        return 0;
    struct retrieval_record_blob *b = r->blob;
    if (!b->meta) {
        json_t *meta = b->metadata ? json_loads(b->metadata, JSON_REJECT_DUPLICATES, NULL) : NULL;
        if (!json_is_object(meta)) {
            json_decref(meta);
            meta = json_object();
        }
        if (!meta)
            return -1;
        if (!json_is_array(json_object_get(meta, "tags")) &&
            json_object_set_new(meta, "tags", json_array()) != 0) {
            json_decref(meta);
            return -1;
        }
        b->meta = meta;
    }
    json_t *meta = b->meta;
    json_t *level = json_object_get(meta, "level");
    if (r->level < 0)
        r->level = json_is_integer(level) && json_integer_value(level) >= 0 &&
                           json_integer_value(level) <= 2
                       ? (int)json_integer_value(level)
                       : 2;
    if (json_is_string(json_object_get(meta, "context_type")))
        r->context_type = member_string(meta, "context_type");
    r->abstract = member_string(meta, "abstract");
    r->parent = member_string(meta, "parent");
    r->owner = member_string(meta, "owner");
    r->tags = json_object_get(meta, "tags");
    r->created_ms = member_int(meta, "created_ms");
    r->updated_ms = member_int(meta, "updated_ms");
    r->complete = 1;
    return 0;
}

int retrieval_record_parse(const char *uri, const char *metadata, struct retrieval_record *out)
{
    if (retrieval_record_light(uri, NULL, metadata, out) != 0)
        return -1;
    if (retrieval_record_complete(out) != 0) {
        retrieval_record_clear(out);
        return -1;
    }
    return 0;
}

void retrieval_record_copy(struct retrieval_record *dst, const struct retrieval_record *src)
{
    *dst = *src;
    if (dst->blob)
        dst->blob->refs++;
}

void retrieval_record_clear(struct retrieval_record *r)
{
    struct retrieval_record_blob *b = r->blob;
    if (b && --b->refs == 0) {
        json_decref(b->meta);
        free(b);
    }
    memset(r, 0, sizeof *r);
}

void retrieval_record_display_uri(const struct retrieval_record *r, char *out, size_t cap)
{
    const char *name = r->level == 0 ? ".abstract.md" : r->level == 1 ? ".overview.md" : NULL;
    if (!name)
        snprintf(out, cap, "%s", r->uri);
    else
        snprintf(out, cap, "%s%s%s", r->uri, strcmp(r->uri, "viking://") == 0 ? "" : "/", name);
}

int retrieval_record_has_tags(struct retrieval_record *r, char *const *want, size_t n)
{
    if (n && retrieval_record_complete(r) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        size_t j;
        json_t *t;
        json_array_foreach(r->tags, j, t) {
            const char *s = json_string_value(t);
            if (s && strcmp(s, want[i]) == 0) {
                found = 1;
                break;
            }
        }
        if (!found)
            return 0;
    }
    return 1;
}
