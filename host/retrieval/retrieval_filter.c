#include "retrieval/retrieval_filter.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrieval/retrieval_time.h"

/* Bounds on a filter's size: it is user input evaluated for every candidate. */
#define FILTER_MAX_DEPTH 16
#define FILTER_MAX_NODES 256

enum rf_op { RF_AND, RF_OR, RF_MUST, RF_MUST_NOT, RF_RANGE, RF_RANGE_OUT, RF_CONTAINS, RF_PREFIX };
enum rf_field {
    RF_CONTEXT_TYPE, RF_LEVEL, RF_URI, RF_PARENT, RF_CREATED, RF_UPDATED, RF_TAGS, RF_OWNER,
    RF_ABSTRACT
};
enum rf_kind { RF_KIND_TEXT, RF_KIND_NUMBER, RF_KIND_TIME, RF_KIND_TAGS };

static const struct {
    const char *name;
    enum rf_field field;
    enum rf_kind kind;
} rf_fields[] = {
    {"context_type", RF_CONTEXT_TYPE, RF_KIND_TEXT}, {"level", RF_LEVEL, RF_KIND_NUMBER},
    {"uri", RF_URI, RF_KIND_TEXT},                   {"parent_uri", RF_PARENT, RF_KIND_TEXT},
    {"parent", RF_PARENT, RF_KIND_TEXT},             {"created_at", RF_CREATED, RF_KIND_TIME},
    {"updated_at", RF_UPDATED, RF_KIND_TIME},        {"tags", RF_TAGS, RF_KIND_TAGS},
    {"search_tags", RF_TAGS, RF_KIND_TAGS},          {"owner_user_id", RF_OWNER, RF_KIND_TEXT},
    {"owner", RF_OWNER, RF_KIND_TEXT},               {"abstract", RF_ABSTRACT, RF_KIND_TEXT},
};

static const struct {
    const char *name;
    enum rf_op op;
} rf_ops[] = {
    {"and", RF_AND},     {"or", RF_OR},           {"must", RF_MUST},         {"must_not", RF_MUST_NOT},
    {"range", RF_RANGE}, {"range_out", RF_RANGE_OUT}, {"contains", RF_CONTAINS}, {"prefix", RF_PREFIX},
};

struct rf_value {
    char *text;    /* text and tags values */
    double number; /* number values; times as ms */
};

struct retrieval_filter {
    enum rf_op op;
    enum rf_field field;
    enum rf_kind kind;
    struct retrieval_filter **kids; /* and / or */
    size_t n_kids;
    struct rf_value *values;        /* must, must_not (any of); contains, prefix (one) */
    size_t n_values;
    double lo, hi;                  /* range bounds */
    int has_lo, has_hi, lo_open, hi_open;
};

struct rf_compile {
    int64_t now_ms;
    size_t nodes;
    char *err;
    size_t err_cap;
};

static int rf_fail(struct rf_compile *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rf_fail(struct rf_compile *c, const char *path, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->err_cap, "%s%s%s", path, *path ? ": " : "", what);
    return -1;
}

/* A value of a field of kind k: text for text and tags, a number for numbers, ms for times. */
static int rf_value(struct rf_compile *c, const char *path, enum rf_kind k, const json_t *j,
                    struct rf_value *out)
{
    if (k == RF_KIND_TEXT || k == RF_KIND_TAGS) {
        if (!json_is_string(j))
            return rf_fail(c, path, "%s must be a string", "value");
        out->text = strdup(json_string_value(j));
        return out->text ? 0 : rf_fail(c, path, "%s", "out of memory");
    }
    if (k == RF_KIND_NUMBER) {
        if (!json_is_number(j))
            return rf_fail(c, path, "%s must be a number", "value");
        out->number = json_number_value(j);
        return 0;
    }
    if (json_is_number(j)) {
        out->number = json_number_value(j) * 1000.0;
        return isfinite(out->number) ? 0 : rf_fail(c, path, "%s is not finite", "time");
    }
    int64_t ms;
    if (!json_is_string(j) || retrieval_time_parse(json_string_value(j), c->now_ms, 0, &ms) != 0)
        return rf_fail(c, path, "%s must be epoch seconds, an ISO-8601 time, a date or e.g. '7d'",
                       "time");
    out->number = (double)ms;
    return 0;
}

static int rf_compile_node(struct rf_compile *c, const json_t *j, const char *path, int depth,
                           struct retrieval_filter **out);

static int rf_compile_kids(struct rf_compile *c, const json_t *j, const char *path, int depth,
                           struct retrieval_filter *f)
{
    const json_t *conds = json_object_get(j, "conds");
    size_t n = json_array_size(conds);
    if (!json_is_array(conds) || n == 0)
        return rf_fail(c, path, "%s must be a non-empty array of filters", "conds");
    f->kids = calloc(n, sizeof *f->kids);
    if (!f->kids)
        return rf_fail(c, path, "%s", "out of memory");
    for (size_t i = 0; i < n; i++) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s%sconds[%zu]", path, *path ? "." : "", i);
        /* Counted first: a child that fails half-built is freed with its parent. */
        f->n_kids = i + 1;
        if (rf_compile_node(c, json_array_get(conds, i), sub, depth + 1, &f->kids[i]) != 0)
            return -1;
    }
    return 0;
}

static int rf_compile_values(struct rf_compile *c, const json_t *j, const char *path,
                             struct retrieval_filter *f)
{
    const json_t *conds = json_object_get(j, "conds");
    size_t n = json_array_size(conds);
    if (!json_is_array(conds) || n == 0)
        return rf_fail(c, path, "%s must be a non-empty array of values", "conds");
    f->values = calloc(n, sizeof *f->values);
    if (!f->values)
        return rf_fail(c, path, "%s", "out of memory");
    for (size_t i = 0; i < n; i++) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s%sconds[%zu]", path, *path ? "." : "", i);
        if (rf_value(c, sub, f->kind, json_array_get(conds, i), &f->values[i]) != 0)
            return -1;
        f->n_values = i + 1;
    }
    return 0;
}

static int rf_compile_range(struct rf_compile *c, const json_t *j, const char *path,
                            struct retrieval_filter *f)
{
    if (f->kind != RF_KIND_NUMBER && f->kind != RF_KIND_TIME)
        return rf_fail(c, path, "%s", "range needs a number or time field");
    static const char *const keys[] = {"gte", "gt", "lte", "lt"};
    for (int i = 0; i < 4; i++) {
        const json_t *v = json_object_get(j, keys[i]);
        if (!v)
            continue;
        char sub[256];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", keys[i]);
        struct rf_value val = {0};
        if (rf_value(c, sub, f->kind, v, &val) != 0)
            return -1;
        if (i < 2) {
            if (f->has_lo)
                return rf_fail(c, path, "%s", "give only one of gte and gt");
            f->has_lo = 1;
            f->lo = val.number;
            f->lo_open = i == 1;
        } else {
            if (f->has_hi)
                return rf_fail(c, path, "%s", "give only one of lte and lt");
            f->has_hi = 1;
            f->hi = val.number;
            f->hi_open = i == 3;
        }
    }
    if (!f->has_lo && !f->has_hi)
        return rf_fail(c, path, "%s", "range needs gte, gt, lte or lt");
    return 0;
}

/* contains / prefix: one text operand, under its own name or as the only element of conds. */
static int rf_compile_text_operand(struct rf_compile *c, const json_t *j, const char *path,
                                   const char *key, struct retrieval_filter *f)
{
    if (f->kind == RF_KIND_NUMBER || f->kind == RF_KIND_TIME)
        return rf_fail(c, path, "%s needs a text or tags field", key);
    const json_t *v = json_object_get(j, key);
    const json_t *conds = json_object_get(j, "conds");
    if (!v && json_array_size(conds) == 1)
        v = json_array_get(conds, 0);
    if (!json_is_string(v))
        return rf_fail(c, path, "needs \"%s\": a string", key);
    f->values = calloc(1, sizeof *f->values);
    if (!f->values || !(f->values[0].text = strdup(json_string_value(v))))
        return rf_fail(c, path, "%s", "out of memory");
    f->n_values = 1;
    return 0;
}

static int rf_compile_node(struct rf_compile *c, const json_t *j, const char *path, int depth,
                           struct retrieval_filter **out)
{
    *out = NULL;
    if (depth > FILTER_MAX_DEPTH)
        return rf_fail(c, path, "nested deeper than %d levels", FILTER_MAX_DEPTH);
    if (++c->nodes > FILTER_MAX_NODES)
        return rf_fail(c, path, "more than %d conditions", FILTER_MAX_NODES);
    if (!json_is_object(j))
        return rf_fail(c, path, "%s", "a filter must be an object");
    const char *op = json_string_value(json_object_get(j, "op"));
    if (!op)
        return rf_fail(c, path, "%s", "missing \"op\"");
    struct retrieval_filter *f = calloc(1, sizeof *f);
    if (!f)
        return rf_fail(c, path, "%s", "out of memory");
    *out = f;
    size_t i = 0;
    while (i < sizeof rf_ops / sizeof rf_ops[0] && strcmp(rf_ops[i].name, op) != 0)
        i++;
    if (i == sizeof rf_ops / sizeof rf_ops[0])
        return rf_fail(c, path, "unknown op '%s'", op);
    f->op = rf_ops[i].op;
    if (f->op == RF_AND || f->op == RF_OR)
        return rf_compile_kids(c, j, path, depth, f);
    const char *field = json_string_value(json_object_get(j, "field"));
    if (!field)
        return rf_fail(c, path, "op '%s' needs a \"field\"", op);
    size_t k = 0;
    while (k < sizeof rf_fields / sizeof rf_fields[0] && strcmp(rf_fields[k].name, field) != 0)
        k++;
    if (k == sizeof rf_fields / sizeof rf_fields[0])
        return rf_fail(c, path, "unknown field '%s'", field);
    f->field = rf_fields[k].field;
    f->kind = rf_fields[k].kind;
    switch (f->op) {
    case RF_MUST:
    case RF_MUST_NOT:
        return rf_compile_values(c, j, path, f);
    case RF_RANGE:
    case RF_RANGE_OUT:
        return rf_compile_range(c, j, path, f);
    case RF_CONTAINS:
        return rf_compile_text_operand(c, j, path, "substring", f);
    default:
        return rf_compile_text_operand(c, j, path, "prefix", f);
    }
}

int retrieval_filter_compile(const json_t *dsl, int64_t now_ms, struct retrieval_filter **out,
                             char *err, size_t err_cap)
{
    struct rf_compile c = {now_ms, 0, err, err_cap};
    if (rf_compile_node(&c, dsl, "", 0, out) == 0)
        return 0;
    retrieval_filter_free(*out);
    *out = NULL;
    return -1;
}

void retrieval_filter_free(struct retrieval_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_kids; i++)
        retrieval_filter_free(f->kids[i]);
    free(f->kids);
    for (size_t i = 0; i < f->n_values; i++)
        free(f->values[i].text);
    free(f->values);
    free(f);
}

static const char *rf_text(const struct retrieval_filter *f, const struct retrieval_record *r)
{
    switch (f->field) {
    case RF_CONTEXT_TYPE: return r->context_type;
    case RF_URI: return r->uri;
    case RF_PARENT: return r->parent;
    case RF_OWNER: return r->owner;
    default: return r->abstract;
    }
}

static double rf_number(const struct retrieval_filter *f, const struct retrieval_record *r)
{
    switch (f->field) {
    case RF_LEVEL: return r->level;
    case RF_CREATED: return (double)r->created_ms;
    default: return (double)r->updated_ms;
    }
}

/* Whether one text (a field, or one tag) satisfies a must/contains/prefix condition. */
static int rf_text_holds(const struct retrieval_filter *f, const char *s)
{
    for (size_t i = 0; i < f->n_values; i++) {
        const char *v = f->values[i].text;
        switch (f->op) {
        case RF_CONTAINS:
            if (strstr(s, v))
                return 1;
            break;
        case RF_PREFIX:
            if (strncmp(s, v, strlen(v)) == 0)
                return 1;
            break;
        default:
            if (strcmp(s, v) == 0)
                return 1;
            /* A bare key matches a tag "key=..." */
            if (f->kind == RF_KIND_TAGS && !strchr(v, '=')) {
                size_t n = strlen(v);
                if (strncmp(s, v, n) == 0 && s[n] == '=')
                    return 1;
            }
            break;
        }
    }
    return 0;
}

static int rf_positive(const struct retrieval_filter *f, const struct retrieval_record *r)
{
    if (f->kind == RF_KIND_TAGS) {
        size_t i;
        json_t *t;
        json_array_foreach(r->tags, i, t) {
            const char *s = json_string_value(t);
            if (s && rf_text_holds(f, s))
                return 1;
        }
        return 0;
    }
    if (f->kind == RF_KIND_TEXT)
        return rf_text_holds(f, rf_text(f, r));
    double x = rf_number(f, r);
    if (f->op == RF_MUST || f->op == RF_MUST_NOT) {
        for (size_t i = 0; i < f->n_values; i++)
            if (x == f->values[i].number)
                return 1;
        return 0;
    }
    if (f->has_lo && (f->lo_open ? !(x > f->lo) : !(x >= f->lo)))
        return 0;
    if (f->has_hi && (f->hi_open ? !(x < f->hi) : !(x <= f->hi)))
        return 0;
    return 1;
}

int retrieval_filter_match(const struct retrieval_filter *f, const struct retrieval_record *r)
{
    if (!f)
        return 1;
    switch (f->op) {
    case RF_AND:
        for (size_t i = 0; i < f->n_kids; i++)
            if (!retrieval_filter_match(f->kids[i], r))
                return 0;
        return 1;
    case RF_OR:
        for (size_t i = 0; i < f->n_kids; i++)
            if (retrieval_filter_match(f->kids[i], r))
                return 1;
        return 0;
    case RF_MUST_NOT:
    case RF_RANGE_OUT:
        return !rf_positive(f, r);
    default:
        return rf_positive(f, r);
    }
}
