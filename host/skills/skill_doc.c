#include "skills/skill_doc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a YAML subset for front matter ---- */

struct yaml_line {
    const char *start; /* after the indentation */
    size_t len;        /* without the line break */
    int indent;
    int blank;         /* empty or a comment */
};

struct yaml_doc {
    struct yaml_line *lines;
    size_t n;
};

static int yaml_split(const char *s, size_t len, struct yaml_doc *d)
{
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += s[i] == '\n';
    d->lines = calloc(cap, sizeof *d->lines);
    if (!d->lines)
        return -1;
    d->n = 0;
    for (const char *p = s, *end = s + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t l = n;
        while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == ' ' || p[l - 1] == '\t'))
            l--;
        int indent = 0;
        while ((size_t)indent < l && p[indent] == ' ')
            indent++;
        struct yaml_line *y = &d->lines[d->n++];
        y->start = p + indent;
        y->len = l - (size_t)indent;
        y->indent = indent;
        y->blank = y->len == 0 || y->start[0] == '#';
        p += n + 1;
    }
    return 0;
}

/* A scalar: quoted ("..." with escapes, '...' with '') or plain (a " #" comment cut). */
static json_t *yaml_scalar(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= 2 && (s[0] == '"' || s[0] == '\'')) {
        char q = s[0];
        char *out = malloc(len);
        if (!out)
            return NULL;
        size_t o = 0;
        for (size_t i = 1; i < len; i++) {
            if (q == '"' && s[i] == '\\' && i + 1 < len) {
                char e = s[++i];
                out[o++] = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            } else if (s[i] == q && q == '\'' && i + 1 < len && s[i + 1] == '\'') {
                out[o++] = s[i++]; /* '' is a quote inside '...' */
            } else if (s[i] == q) {
                break;
            } else {
                out[o++] = s[i];
            }
        }
        json_t *j = json_stringn(out, o);
        free(out);
        return j;
    }
    for (size_t i = 0; i + 1 < len; i++)
        if (isspace((unsigned char)s[i]) && s[i + 1] == '#') {
            len = i;
            break;
        }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    return json_stringn(s, len);
}

/* [a, "b, c", d] */
static json_t *yaml_flow_list(const char *s, size_t len)
{
    json_t *arr = json_array();
    size_t i = 1, end = len;
    while (end > 0 && s[end - 1] != ']')
        end--;
    if (end == 0)
        end = len;
    else
        end--;
    while (arr && i < end) {
        size_t j = i;
        char q = 0;
        for (; j < end && (q || s[j] != ','); j++)
            if ((s[j] == '"' || s[j] == '\'') && (!q || q == s[j]))
                q = q ? 0 : s[j];
        json_t *item = yaml_scalar(s + i, j - i);
        if (item && json_string_length(item) > 0)
            json_array_append_new(arr, item);
        else
            json_decref(item);
        i = j + 1;
    }
    return arr;
}

static json_t *yaml_mapping(const struct yaml_doc *d, size_t *pos, int indent);

/* The value after "key:" on line *pos, consuming the lines that belong to it. */
static json_t *yaml_value(const struct yaml_doc *d, size_t *pos, int indent, const char *rest,
                          size_t rest_len)
{
    (*pos)++;
    while (rest_len > 0 && isspace((unsigned char)*rest)) {
        rest++;
        rest_len--;
    }
    if (rest_len > 0 && (rest[0] == '|' || rest[0] == '>')) {
        int fold = rest[0] == '>';
        size_t total = 1, first = *pos, i = *pos;
        int block_indent = -1;
        for (; i < d->n && (d->lines[i].len == 0 || d->lines[i].indent > indent); i++) {
            if (d->lines[i].len && block_indent < 0)
                block_indent = d->lines[i].indent;
            total += d->lines[i].len + (size_t)d->lines[i].indent + 1;
        }
        char *buf = malloc(total);
        if (!buf)
            return NULL;
        size_t o = 0;
        for (size_t k = first; k < i; k++) {
            const struct yaml_line *l = &d->lines[k];
            if (o)
                buf[o++] = fold && l->len ? ' ' : '\n';
            int extra = l->len && block_indent >= 0 ? l->indent - block_indent : 0;
            for (int e = 0; e < extra; e++)
                buf[o++] = ' ';
            memcpy(buf + o, l->start, l->len);
            o += l->len;
        }
        while (o > 0 && (buf[o - 1] == '\n' || buf[o - 1] == ' '))
            o--;
        *pos = i;
        json_t *j = json_stringn(buf, o);
        free(buf);
        return j;
    }
    if (rest_len > 0 && rest[0] == '[')
        return yaml_flow_list(rest, rest_len);
    if (rest_len > 0 && rest[0] != '#')
        return yaml_scalar(rest, rest_len);
    size_t next = *pos;
    while (next < d->n && d->lines[next].blank)
        next++;
    if (next >= d->n || d->lines[next].indent <= indent)
        return json_null();
    const struct yaml_line *l = &d->lines[next];
    if (l->start[0] == '-' && (l->len == 1 || l->start[1] == ' ')) {
        json_t *arr = json_array();
        int item_indent = l->indent;
        for (*pos = next; arr && *pos < d->n; (*pos)++) {
            const struct yaml_line *it = &d->lines[*pos];
            if (it->blank)
                continue;
            if (it->indent != item_indent || it->start[0] != '-')
                break;
            json_t *v = yaml_scalar(it->start + 1, it->len - 1);
            if (!v || json_array_append_new(arr, v) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    *pos = next;
    return yaml_mapping(d, pos, l->indent);
}

/* "key: value" lines at exactly `indent`, until a line indented less. */
static json_t *yaml_mapping(const struct yaml_doc *d, size_t *pos, int indent)
{
    json_t *obj = json_object();
    while (obj && *pos < d->n) {
        const struct yaml_line *l = &d->lines[*pos];
        if (l->blank) {
            (*pos)++;
            continue;
        }
        if (l->indent < indent)
            break;
        const char *colon = NULL;
        for (size_t i = 0; i < l->len; i++)
            if (l->start[i] == ':' && (i + 1 == l->len || l->start[i + 1] == ' ')) {
                colon = l->start + i;
                break;
            }
        if (l->indent > indent || !colon) {
            (*pos)++; /* a line this subset does not understand is skipped */
            continue;
        }
        json_t *key = yaml_scalar(l->start, (size_t)(colon - l->start));
        const char *rest = colon + 1;
        json_t *value = yaml_value(d, pos, indent, rest, l->len - (size_t)(rest - l->start));
        if (!key || !value || json_object_set_new(obj, json_string_value(key), value) != 0) {
            json_decref(value);
            json_decref(obj);
            obj = NULL;
        }
        json_decref(key);
    }
    return obj;
}

/* ---- SKILL.md ---- */

/* Where a line that is exactly "---" starts, at or after p; NULL when none. */
static const char *fence_line(const char *p, const char **after)
{
    for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, "---", 3) != 0)
            continue;
        const char *q = p + 3;
        while (*q == ' ' || *q == '\t' || *q == '\r')
            q++;
        if (*q == '\n' || *q == '\0') {
            *after = *q ? q + 1 : q;
            return p;
        }
    }
    return NULL;
}

static char *trimmed_copy(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    return strndup(s, len);
}

/* allowed-tools: a list, or a string split on spaces and commas outside parentheses. */
static json_t *tool_list(json_t *v)
{
    if (json_is_array(v))
        return json_incref(v);
    json_t *arr = json_array();
    const char *s = json_string_value(v);
    if (!arr || !s)
        return arr;
    int depth = 0;
    const char *start = NULL;
    for (const char *p = s;; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')' && depth > 0)
            depth--;
        int sep = *p == '\0' || (depth == 0 && (isspace((unsigned char)*p) || *p == ','));
        if (sep && start) {
            json_array_append_new(arr, json_stringn(start, (size_t)(p - start)));
            start = NULL;
        } else if (!sep && !start) {
            start = p;
        }
        if (!*p)
            break;
    }
    return arr;
}

/* Fills the derived fields from meta (tags and tools as arrays, kept in meta). */
static int skill_doc_fields(struct skill_doc *d)
{
    d->name = json_string_value(json_object_get(d->meta, "name"));
    d->description = json_string_value(json_object_get(d->meta, "description"));
    json_t *tags = json_object_get(d->meta, "tags");
    json_t *t = json_is_array(tags) ? json_incref(tags)
                : json_is_string(tags) ? json_pack("[O]", tags)
                                       : json_array();
    json_t *tools_raw = json_object_get(d->meta, "allowed-tools");
    if (!tools_raw)
        tools_raw = json_object_get(d->meta, "allowed_tools");
    json_t *tools = tool_list(tools_raw);
    if (!t || !tools || json_object_set_new(d->meta, "\x01tags", t) != 0 ||
        json_object_set_new(d->meta, "\x01tools", tools) != 0)
        return -1;
    d->tags = t;
    d->allowed_tools = tools;
    return 0;
}

int skill_doc_parse(const char *text, struct skill_doc *out, char *why, size_t why_cap)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    const char *front, *end_front, *body;
    if (fence_line(p, &front) != p || !(end_front = fence_line(front, &body))) {
        snprintf(why, why_cap, "SKILL.md must start with YAML front matter between '---' lines");
        return -1;
    }
    struct yaml_doc y;
    if (yaml_split(front, (size_t)(end_front - front), &y) != 0) {
        snprintf(why, why_cap, "out of memory");
        return -1;
    }
    size_t pos = 0;
    out->meta = yaml_mapping(&y, &pos, 0);
    free(y.lines);
    out->body = trimmed_copy(body, strlen(body));
    out->text = strdup(text);
    if (!out->meta || !out->body || !out->text || skill_doc_fields(out) != 0) {
        skill_doc_clear(out);
        snprintf(why, why_cap, "out of memory");
        return -1;
    }
    return 0;
}

/* A double-quoted YAML scalar. */
static void yaml_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else if (*s == '\t')
            fputs("\\t", f);
        else if (*s != '\r')
            fputc(*s, f);
    }
    fputc('"', f);
}

static void yaml_list(FILE *f, const char *key, const json_t *list)
{
    if (json_array_size(list) == 0)
        return;
    fprintf(f, "%s:\n", key);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!json_is_string(v))
            continue;
        fputs("  - ", f);
        yaml_quote(f, json_string_value(v));
        fputc('\n', f);
    }
}

int skill_doc_from_object(const json_t *obj, struct skill_doc *out, char *why, size_t why_cap)
{
    memset(out, 0, sizeof *out);
    const char *name = json_string_value(json_object_get(obj, "name"));
    const char *desc = json_string_value(json_object_get(obj, "description"));
    const char *content = json_string_value(json_object_get(obj, "content"));
    json_t *tools = json_object_get(obj, "allowed_tools");
    if (!tools)
        tools = json_object_get(obj, "allowed-tools");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(why, why_cap, "out of memory");
        return -1;
    }
    fputs("---\nname: ", f);
    yaml_quote(f, name ? name : "");
    fputs("\ndescription: ", f);
    yaml_quote(f, desc ? desc : "");
    fputc('\n', f);
    yaml_list(f, "tags", json_object_get(obj, "tags"));
    json_t *tool_arr = tool_list(tools);
    yaml_list(f, "allowed-tools", tool_arr);
    json_decref(tool_arr);
    fprintf(f, "---\n\n%s\n", content ? content : "");
    if (fclose(f) != 0 || !text) {
        free(text);
        snprintf(why, why_cap, "out of memory");
        return -1;
    }
    int rc = skill_doc_parse(text, out, why, why_cap);
    free(text);
    return rc;
}

void skill_doc_clear(struct skill_doc *d)
{
    json_decref(d->meta);
    free(d->body);
    free(d->text);
    memset(d, 0, sizeof *d);
}

int skill_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > SKILL_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
            return 0;
    return 1;
}

const char *skill_doc_invalid(const struct skill_doc *d)
{
    if (!d->name || !*d->name)
        return "the skill has no name";
    if (!skill_name_valid(d->name))
        return "a skill name is 1 to 64 letters, digits, '_' or '-'";
    if (!d->description || !*d->description)
        return "the skill has no description";
    if (strlen(d->description) > SKILL_DESCRIPTION_MAX)
        return "a skill description is at most 1024 bytes";
    return NULL;
}

/* ---- validation ---- */

static void issue(json_t *list, const char *rule, const char *message, const char *field)
{
    json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "rule", rule, "message", message,
                                          "field", field));
}

json_t *skill_doc_validate(const json_t *data, int strict, const char *skill_dir_name,
                           const char *source_path)
{
    json_t *errors = json_array(), *warnings = json_array();
    struct skill_doc d = {0};
    char why[256];
    int parsed = json_is_string(data) ? skill_doc_parse(json_string_value(data), &d, why, sizeof why)
                 : json_is_object(data) ? skill_doc_from_object(data, &d, why, sizeof why)
                                        : (snprintf(why, sizeof why, "data must be a SKILL.md "
                                                    "string or an object"), -1);
    if (parsed != 0) {
        issue(errors, "yaml_format", why, "data");
        return json_pack("{s:b, s:b, s:o, s:o, s:s}", "valid", 0, "strict", strict, "errors",
                         errors, "warnings", warnings, "source_path", source_path ? source_path : "");
    }
    json_t *style = strict ? errors : warnings;
    const char *name = d.name ? d.name : "";
    if (!*name)
        issue(errors, "name_required", "name is required", "name");
    if (!d.description || !*d.description)
        issue(errors, "description_required", "description is required", "description");
    if (*name && skill_dir_name && *skill_dir_name && strcmp(name, skill_dir_name) != 0)
        issue(style, "name_matches_directory", "name does not match the directory name", "name");
    if (strlen(name) > SKILL_NAME_MAX)
        issue(style, "name_max_length", "name must not exceed 64 characters", "name");
    if (*name && !skill_name_valid(name) && strlen(name) <= SKILL_NAME_MAX)
        issue(style, "name_allowed_characters",
              "name may only contain letters, numbers, underscores, and hyphens", "name");
    if (d.description && strlen(d.description) > SKILL_DESCRIPTION_MAX)
        issue(style, "description_max_length", "description must not exceed 1024 characters",
              "description");
    size_t lines = 0;
    for (const char *p = d.body; p && *p; p++)
        lines += *p == '\n';
    lines += d.body && *d.body;
    if (strict && lines > 500)
        issue(warnings, "body_max_lines", "SKILL.md body exceeds 500 lines", "content");
    json_t *out = json_pack("{s:b, s:b, s:s, s:s, s:O, s:O, s:I, s:s, s:s, s:o, s:o}", "valid",
                            json_array_size(errors) == 0, "strict", strict, "name", name,
                            "description", d.description ? d.description : "", "tags", d.tags,
                            "allowed_tools", d.allowed_tools, "body_lines", (json_int_t)lines,
                            "source_path", source_path ? source_path : "", "skill_dir_name",
                            skill_dir_name ? skill_dir_name : "", "errors", errors, "warnings",
                            warnings);
    skill_doc_clear(&d);
    return out;
}
