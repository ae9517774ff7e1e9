#include "retrieval/retrieval_spec.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrieval/retrieval_time.h"

static int spec_fail(struct retrieval_error *e, const char *code, const char *loc,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int spec_fail(struct retrieval_error *e, const char *code, const char *loc,
                     const char *fmt, ...)
{
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->loc, sizeof e->loc, "%s", loc);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* A body field; JSON null counts as absent. */
static const json_t *spec_field(const json_t *body, const char *name)
{
    const json_t *v = json_object_get(body, name);
    return json_is_null(v) ? NULL : v;
}

unsigned retrieval_ctype_bit(const char *name)
{
    if (!name)
        return 0;
    if (strcmp(name, "memory") == 0)
        return RETRIEVAL_CT_MEMORY;
    if (strcmp(name, "resource") == 0)
        return RETRIEVAL_CT_RESOURCE;
    if (strcmp(name, "skill") == 0)
        return RETRIEVAL_CT_SKILL;
    return 0;
}

static int spec_ctypes(const json_t *v, unsigned *out, struct retrieval_error *e)
{
    *out = RETRIEVAL_CT_ALL;
    if (!v || (json_is_string(v) && !*json_string_value(v)))
        return 0;
    if (json_is_string(v)) {
        *out = retrieval_ctype_bit(json_string_value(v));
        if (*out)
            return 0;
        return spec_fail(e, "INVALID_ARGUMENT", "body.context_type",
                         "'%s' is not one of 'memory', 'resource', 'skill'", json_string_value(v));
    }
    if (!json_is_array(v))
        return spec_fail(e, "INVALID_ARGUMENT", "body.context_type",
                         "must be 'memory', 'resource', 'skill' or a list of them");
    if (json_array_size(v) == 0)
        return 0;
    *out = 0;
    size_t i;
    const json_t *t;
    json_array_foreach(v, i, t) {
        unsigned bit = retrieval_ctype_bit(json_string_value(t));
        if (!bit)
            return spec_fail(e, "INVALID_ARGUMENT", "body.context_type",
                             "element %zu is not one of 'memory', 'resource', 'skill'", i);
        *out |= bit;
    }
    return 0;
}

static int spec_level_bit(long long level, unsigned *out)
{
    if (level < 0 || level > 2)
        return -1;
    *out |= 1u << level;
    return 0;
}

/* level: 1, "0,1" or [0, 1]. */
static int spec_levels(const json_t *v, unsigned *out, struct retrieval_error *e)
{
    *out = RETRIEVAL_LEVELS_ALL;
    if (!v)
        return 0;
    unsigned bits = 0;
    int bad = 0;
    if (json_is_integer(v)) {
        bad = spec_level_bit(json_integer_value(v), &bits);
    } else if (json_is_string(v)) {
        const char *p = json_string_value(v);
        while (*p && !bad) {
            while (isspace((unsigned char)*p))
                p++;
            char *end = NULL;
            long long n = strtoll(p, &end, 10);
            if (end == p) {
                bad = 1;
                break;
            }
            bad = spec_level_bit(n, &bits);
            p = end;
            while (isspace((unsigned char)*p))
                p++;
            if (*p == ',')
                p++;
            else if (*p)
                bad = 1;
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *t;
        json_array_foreach(v, i, t) bad |= !json_is_integer(t) || spec_level_bit(json_integer_value(t), &bits);
    } else {
        bad = 1;
    }
    if (bad || !bits)
        return spec_fail(e, "INVALID_ARGUMENT", "body.level",
                         "must be 0, 1 or 2, a list of them, or a string like \"0,1\"");
    *out = bits;
    return 0;
}

static int spec_tags(const json_t *v, struct retrieval_spec *s, struct retrieval_error *e)
{
    if (!v)
        return 0;
    if (!json_is_array(v))
        return spec_fail(e, "INVALID_ARGUMENT", "body.tags", "must be an array of 'key=value' strings");
    size_t n = json_array_size(v);
    s->tags = calloc(n ? n : 1, sizeof *s->tags);
    if (!s->tags)
        return spec_fail(e, "INTERNAL", "body.tags", "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *t = json_string_value(json_array_get(v, i));
        const char *eq = t ? strchr(t, '=') : NULL;
        if (!eq || eq == t || !eq[1])
            return spec_fail(e, "INVALID_ARGUMENT", "body.tags",
                             "must be an array of 'key=value' strings");
        if (!(s->tags[i] = strdup(t)))
            return spec_fail(e, "INTERNAL", "body.tags", "out of memory");
        s->n_tags = i + 1;
    }
    return 0;
}

static int spec_time(const json_t *v, const char *name, int64_t now_ms, int end_of_day,
                     int *has, int64_t *out, struct retrieval_error *e)
{
    char loc[32];
    snprintf(loc, sizeof loc, "body.%s", name);
    if (!v || (json_is_string(v) && !*json_string_value(v)))
        return 0;
    if (!json_is_string(v) || retrieval_time_parse(json_string_value(v), now_ms, end_of_day, out) != 0)
        return spec_fail(e, "INVALID_ARGUMENT", loc,
                         "must be a duration like '2h' or '7d', an ISO-8601 time or a date (YYYY-MM-DD)");
    *has = 1;
    return 0;
}

static int spec_limit(const json_t *body, int *out, struct retrieval_error *e)
{
    *out = RETRIEVAL_LIMIT_DEFAULT;
    static const char *const names[] = {"limit", "node_limit"}; /* node_limit wins */
    for (int i = 0; i < 2; i++) {
        const json_t *v = spec_field(body, names[i]);
        if (!v)
            continue;
        char loc[32];
        snprintf(loc, sizeof loc, "body.%s", names[i]);
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > RETRIEVAL_LIMIT_MAX)
            return spec_fail(e, "INVALID_ARGUMENT", loc, "must be a whole number from 1 to %d",
                             RETRIEVAL_LIMIT_MAX);
        *out = (int)json_integer_value(v);
    }
    return 0;
}

static int spec_query(const json_t *body, struct retrieval_spec *s, struct retrieval_error *e)
{
    const json_t *q = spec_field(body, "query"), *img = spec_field(body, "image_url");
    if (q && !json_is_string(q))
        return spec_fail(e, "INVALID_ARGUMENT", "body.query", "must be a string");
    if (img && !json_is_string(img))
        return spec_fail(e, "INVALID_ARGUMENT", "body.image_url", "must be a string");
    if (img && *json_string_value(img))
        return spec_fail(e, "UNIMPLEMENTED", "body.image_url",
                         "image queries are not supported by this server");
    const char *text = q ? json_string_value(q) : "";
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p)
        return spec_fail(e, "INVALID_ARGUMENT", "body.query", "query must not be empty");
    s->query = strdup(text);
    return s->query ? 0 : spec_fail(e, "INTERNAL", "body.query", "out of memory");
}

static int spec_scalars(const json_t *body, struct retrieval_spec *s, struct retrieval_error *e)
{
    const json_t *v = spec_field(body, "score_threshold");
    if (v) {
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            return spec_fail(e, "INVALID_ARGUMENT", "body.score_threshold", "must be a number");
        s->has_threshold = 1;
        s->threshold = json_number_value(v);
    }
    v = spec_field(body, "include_provenance");
    if (v && !json_is_boolean(v))
        return spec_fail(e, "INVALID_ARGUMENT", "body.include_provenance", "must be a boolean");
    s->provenance = json_is_true(v);
    v = spec_field(body, "time_field");
    if (v) {
        const char *tf = json_string_value(v);
        if (!tf || (strcmp(tf, "updated_at") != 0 && strcmp(tf, "created_at") != 0))
            return spec_fail(e, "INVALID_ARGUMENT", "body.time_field",
                             "must be 'updated_at' or 'created_at'");
        s->time_created = strcmp(tf, "created_at") == 0;
    }
    return 0;
}

int retrieval_spec_parse(const json_t *body, const struct identity *who, int64_t now_ms,
                         struct retrieval_spec *out, struct retrieval_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    int rc = spec_query(body, out, err);
    if (rc == 0)
        rc = spec_limit(body, &out->limit, err);
    if (rc == 0)
        rc = spec_scalars(body, out, err);
    if (rc == 0)
        rc = spec_ctypes(spec_field(body, "context_type"), &out->ctypes, err);
    if (rc == 0)
        rc = spec_levels(spec_field(body, "level"), &out->levels, err);
    if (rc == 0)
        rc = spec_tags(spec_field(body, "tags"), out, err);
    if (rc == 0)
        rc = spec_time(spec_field(body, "since"), "since", now_ms, 0, &out->has_since,
                       &out->since_ms, err);
    if (rc == 0)
        rc = spec_time(spec_field(body, "until"), "until", now_ms, 1, &out->has_until,
                       &out->until_ms, err);
    const json_t *filter = spec_field(body, "filter");
    if (rc == 0 && filter) {
        char why[400];
        if (!json_is_object(filter))
            rc = spec_fail(err, "INVALID_FILTER", "body.filter", "the filter must be an object");
        else if (retrieval_filter_compile(filter, now_ms, &out->filter, why, sizeof why) != 0)
            rc = spec_fail(err, "INVALID_FILTER", "body.filter", "invalid filter: %s", why);
    }
    if (rc == 0)
        rc = retrieval_targets_resolve(spec_field(body, "target_uri"), who, &out->targets,
                                       &out->n_targets, err);
    if (rc != 0)
        retrieval_spec_clear(out);
    return rc;
}

void retrieval_spec_clear(struct retrieval_spec *s)
{
    free(s->query);
    retrieval_targets_free(s->targets, s->n_targets);
    for (size_t i = 0; i < s->n_tags; i++)
        free(s->tags[i]);
    free(s->tags);
    retrieval_filter_free(s->filter);
    memset(s, 0, sizeof *s);
}

int retrieval_spec_in_scope(const struct retrieval_spec *s, const struct identity *who,
                            const struct retrieval_record *r)
{
    if (viking_uri_access(who, r->uri) != 0)
        return 0;
    if (s->n_targets == 0)
        return 1;
    for (size_t i = 0; i < s->n_targets; i++)
        if (viking_uri_is_under(r->uri, s->targets[i]))
            return 1;
    return 0;
}

int retrieval_spec_accepts(const struct retrieval_spec *s, struct retrieval_record *r)
{
    if (!(retrieval_ctype_bit(r->context_type) & s->ctypes))
        return 0;
    if (!((1u << r->level) & s->levels))
        return 0;
    if ((s->n_tags || s->has_since || s->has_until || s->filter) && retrieval_record_complete(r) != 0)
        return 0;
    if (s->n_tags && !retrieval_record_has_tags(r, s->tags, s->n_tags))
        return 0;
    int64_t t = s->time_created ? r->created_ms : r->updated_ms;
    if ((s->has_since && t < s->since_ms) || (s->has_until && t > s->until_ms))
        return 0;
    return retrieval_filter_match(s->filter, r);
}

int retrieval_spec_score_ok(const struct retrieval_spec *s, double score)
{
    return s->has_threshold ? score >= s->threshold : score > 0.0;
}
