/* Tag lists: a JSON array of strings, stored in compact form without duplicates, in the order
 * in which tags were first given; append merges into the stored list. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store/store_db.h"

/* Parses a tag list; NULL with err set when it is not an array of strings. */
static json_t *tags_parse(const char *tags_json, char *err, size_t err_cap, int *rc)
{
    json_error_t jerr;
    json_t *arr = json_loads(tags_json, 0, &jerr);
    if (!arr) {
        *rc = store_errf(err, err_cap, STORE_EINVAL, "tags: invalid JSON: %s", jerr.text);
        return NULL;
    }
    if (!json_is_array(arr)) {
        json_decref(arr);
        *rc = store_errf(err, err_cap, STORE_EINVAL, "tags: not a JSON array");
        return NULL;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v)) {
            json_decref(arr);
            *rc = store_errf(err, err_cap, STORE_EINVAL, "tags: item %zu is not a string", i);
            return NULL;
        }
    }
    *rc = STORE_OK;
    return arr;
}

static int tags_dump(json_t *arr, char **out, char *err, size_t err_cap)
{
    *out = json_dumps(arr, JSON_COMPACT);
    if (!*out)
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    return STORE_OK;
}

static int tags_contain(json_t *arr, const char *tag)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (strcmp(json_string_value(v), tag) == 0)
            return 1;
    }
    return 0;
}

int store_tags_merge(const char *old_json, const char *add_json, char **out, char *err,
                     size_t err_cap)
{
    *out = NULL;
    int rc;
    json_t *add = tags_parse(add_json, err, err_cap, &rc);
    if (!add)
        return rc;
    /* A stored list that no longer parses is replaced rather than blocking every change. */
    json_t *merged = tags_parse(old_json ? old_json : "[]", NULL, 0, &rc);
    if (!merged)
        merged = json_array();
    rc = merged ? STORE_OK : store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    size_t i;
    json_t *v;
    json_array_foreach(add, i, v)
    {
        if (rc == STORE_OK && !tags_contain(merged, json_string_value(v)) &&
            json_array_append(merged, v) != 0)
            rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    }
    if (rc == STORE_OK)
        rc = tags_dump(merged, out, err, err_cap);
    json_decref(merged);
    json_decref(add);
    return rc;
}

int store_tags_normalize(const char *tags_json, char **out, char *err, size_t err_cap)
{
    return store_tags_merge(NULL, tags_json, out, err, err_cap);
}
