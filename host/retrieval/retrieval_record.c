#include "retrieval/retrieval_record.h"

#include <stdio.h>
#include <string.h>

#include "uri/viking_uri.h"

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

int retrieval_record_parse(const char *uri, const char *metadata, struct retrieval_record *out)
{
    memset(out, 0, sizeof *out);
    json_t *meta = metadata ? json_loads(metadata, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(meta)) {
        json_decref(meta);
        meta = json_object();
        if (!meta)
            return -1;
    }
    /* The URI goes into the holder too, so one reference owns every string of the record; the
     * key starts with a control character, which no metadata key does. */
    if (json_object_set_new(meta, "\x01uri", json_string(uri ? uri : "")) != 0) {
        json_decref(meta);
        return -1;
    }
    if (!json_is_array(json_object_get(meta, "tags")) &&
        json_object_set_new(meta, "tags", json_array()) != 0) {
        json_decref(meta);
        return -1;
    }
    out->holder = meta;
    out->uri = member_string(meta, "\x01uri");
    json_t *level = json_object_get(meta, "level");
    out->level = json_is_integer(level) ? (int)json_integer_value(level) : 2;
    if (out->level < 0 || out->level > 2)
        out->level = 2;
    out->context_type = json_is_string(json_object_get(meta, "context_type"))
                            ? member_string(meta, "context_type")
                            : viking_uri_context_type(out->uri);
    out->abstract = member_string(meta, "abstract");
    out->parent = member_string(meta, "parent");
    out->owner = member_string(meta, "owner");
    out->tags = json_object_get(meta, "tags");
    out->created_ms = member_int(meta, "created_ms");
    out->updated_ms = member_int(meta, "updated_ms");
    return 0;
}

void retrieval_record_copy(struct retrieval_record *dst, const struct retrieval_record *src)
{
    *dst = *src;
    json_incref(dst->holder);
}

void retrieval_record_clear(struct retrieval_record *r)
{
    json_decref(r->holder);
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

int retrieval_record_has_tags(const struct retrieval_record *r, char *const *want, size_t n)
{
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
