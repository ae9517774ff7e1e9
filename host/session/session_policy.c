#include "session/session_policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int refuse(struct session_policy_error *e, const char *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(struct session_policy_error *e, const char *loc, const char *fmt, ...)
{
    snprintf(e->loc, sizeof e->loc, "%s", loc);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Refuses a field of obj not in allowed (NULL-terminated). */
static int only_fields(json_t *obj, const char *const *allowed, const char *loc,
                       struct session_policy_error *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i]) {
            char at[96];
            snprintf(at, sizeof at, "%s.%s", loc, key);
            return refuse(e, at, "extra fields not permitted");
        }
    }
    return 0;
}

static int tags_list(json_t *tags, const char *loc, struct session_policy_error *e)
{
    if (!tags || json_is_null(tags))
        return 0;
    if (!json_is_array(tags))
        return refuse(e, loc, "must be a list of strings");
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v) {
        if (!json_is_string(v))
            return refuse(e, loc, "must be a list of strings");
    }
    return 0;
}

json_t *session_policy_auto_commit(json_t *in, const char *loc, struct session_policy_error *e)
{
    static const struct {
        const char *name;
        json_int_t def, max;
    } fields[] = {{"pending_token_threshold", 150000, 1000000},
                  {"message_count_threshold", 100, 1000},
                  {"idle_timeout_seconds", 86400, 604800},
                  {"keep_recent_count", 0, 500},
                  {"min_commit_interval_seconds", 0, 604800}};
    static const char *const names[] = {"pending_token_threshold", "message_count_threshold",
                                        "idle_timeout_seconds", "keep_recent_count",
                                        "min_commit_interval_seconds", NULL};
    if (!json_is_object(in))
        return refuse(e, loc, "must be an object or null"), NULL;
    if (only_fields(in, names, loc, e) != 0)
        return NULL;
    json_t *out = json_object();
    for (size_t i = 0; out && i < sizeof fields / sizeof fields[0]; i++) {
        json_t *v = json_object_get(in, fields[i].name);
        json_int_t n = fields[i].def;
        if (v && !json_is_null(v)) {
            if (!json_is_integer(v)) {
                char at[96];
                snprintf(at, sizeof at, "%s.%s", loc, fields[i].name);
                json_decref(out);
                return refuse(e, at, "must be an integer"), NULL;
            }
            n = json_integer_value(v);
            n = n < 0 ? 0 : n > fields[i].max ? fields[i].max : n;
        }
        if (json_object_set_new(out, fields[i].name, json_integer(n)) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    if (!out)
        refuse(e, loc, "out of memory");
    return out;
}

json_t *session_policy_extraction_config(json_t *in, const char *loc,
                                         struct session_policy_error *e)
{
    static const char *const top[] = {"events", NULL};
    static const char *const events[] = {"tags", NULL};
    char at[96];
    if (!json_is_object(in))
        return refuse(e, loc, "must be an object"), NULL;
    if (only_fields(in, top, loc, e) != 0)
        return NULL;
    json_t *ev = json_object_get(in, "events");
    snprintf(at, sizeof at, "%s.events", loc);
    if (ev && !json_is_null(ev)) {
        if (!json_is_object(ev))
            return refuse(e, at, "must be an object"), NULL;
        if (only_fields(ev, events, at, e) != 0)
            return NULL;
        snprintf(at, sizeof at, "%s.events.tags", loc);
        if (tags_list(json_object_get(ev, "tags"), at, e) != 0)
            return NULL;
    }
    json_t *tags = json_object_get(ev, "tags");
    json_t *copy = json_is_array(tags) ? json_deep_copy(tags) : json_array();
    json_t *out = copy ? json_pack("{s:{s:o}}", "events", "tags", copy) : NULL;
    if (!out)
        refuse(e, loc, "out of memory");
    return out;
}

int session_policy_extraction_metadata(json_t *in, const char *loc, struct session_policy_error *e)
{
    static const char *const top[] = {"event", NULL};
    static const char *const event[] = {"tags", NULL};
    char at[96];
    if (!json_is_object(in))
        return refuse(e, loc, "must be an object");
    if (only_fields(in, top, loc, e) != 0)
        return -1;
    json_t *ev = json_object_get(in, "event");
    if (!ev || json_is_null(ev))
        return 0;
    snprintf(at, sizeof at, "%s.event", loc);
    if (!json_is_object(ev))
        return refuse(e, at, "must be an object");
    if (only_fields(ev, event, at, e) != 0)
        return -1;
    snprintf(at, sizeof at, "%s.event.tags", loc);
    return tags_list(json_object_get(ev, "tags"), at, e);
}

int session_policy_memory(json_t *in, const char *loc, struct session_policy_error *e)
{
    static const char *const flags[] = {"self", "peer", "working_memory"};
    char at[96];
    if (!json_is_object(in))
        return refuse(e, loc, "must be an object");
    for (size_t i = 0; i < 3; i++) {
        json_t *o = json_object_get(in, flags[i]);
        if (!o || json_is_null(o))
            continue;
        snprintf(at, sizeof at, "%s.%s", loc, flags[i]);
        if (!json_is_object(o))
            return refuse(e, at, "must be an object");
        json_t *en = json_object_get(o, "enabled");
        snprintf(at, sizeof at, "%s.%s.enabled", loc, flags[i]);
        if (en && !json_is_null(en) && !json_is_boolean(en))
            return refuse(e, at, "must be a boolean");
    }
    snprintf(at, sizeof at, "%s.memory_types", loc);
    return tags_list(json_object_get(in, "memory_types"), at, e);
}
