#include "session/session_message.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "uri/viking_uri.h"

static const char *const message_kinds[] = {"user_query", "assistant_step", "tool_transport",
                                            "checkpoint", NULL};
static const char *const context_types[] = {"memory", "resource", "skill", NULL};
static const char *const tool_states[] = {"pending", "running", "completed", "error", NULL};
/* Tool part fields that hold URIs, canonicalised like any URI field. */
static const char *const tool_uri_fields[] = {"tool_uri", "skill_uri", "tool_output_storage_uri",
                                              NULL};

static int one_of(const char *s, const char *const *set)
{
    for (size_t i = 0; set[i]; i++)
        if (strcmp(s, set[i]) == 0)
            return 1;
    return 0;
}

static json_t *msg_fail(struct session_msg_error *e, const char *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *msg_fail(struct session_msg_error *e, const char *loc, const char *fmt, ...)
{
    snprintf(e->loc, sizeof e->loc, "%s", loc);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return NULL;
}

static json_t *msg_oom(struct session_msg_error *e)
{
    return msg_fail(e, "body", "out of memory");
}

static int message_id_valid(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= SESSION_MESSAGE_ID_MAX &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-") == n;
}

static int message_new_id(char out[40])
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    char *p = out + snprintf(out, 40, "msg_");
    for (size_t i = 0; i < sizeof b; i++)
        p += snprintf(p, 3, "%02x", b[i]);
    return 0;
}

void session_iso_time(int64_t ms, char out[32])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    char buf[96];
    gmtime_r(&s, &tm);
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    memcpy(out, buf, 31);
    out[31] = '\0';
}

/* An ISO-8601 date-time as clients send it: "YYYY-MM-DDTHH:MM:SS" then anything (fraction, zone). */
static int iso_valid(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9')
                            : (s[i] != shape[i] && !(shape[i] == 'T' && s[i] == ' ')))
            return 0;
    }
    return 1;
}

/* Canonicalises the URI in field `name` of obj in place (absent or null: nothing to do). */
static int part_uri(json_t *obj, const char *name, const struct identity *who, const char *loc,
                    struct session_msg_error *e, int required)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        if (required) {
            msg_fail(e, loc, "field required: %s", name);
            return -1;
        }
        return 0;
    }
    if (!json_is_string(v)) {
        msg_fail(e, loc, "%s: must be a string", name);
        return -1;
    }
    char canon[VIKING_URI_MAX + 1], reason[256];
    if (viking_uri_canonicalize(json_string_value(v), who, canon, sizeof canon, reason,
                                sizeof reason) != 0) {
        snprintf(e->uri, sizeof e->uri, "%s", json_string_value(v));
        msg_fail(e, loc, "%s", reason);
        return -1;
    }
    return json_object_set_new(obj, name, json_string(canon)) == 0 ? 0 : (msg_oom(e), -1);
}

static int part_string_field(json_t *obj, const char *name, const char *loc,
                             struct session_msg_error *e)
{
    json_t *v = json_object_get(obj, name);
    if (v && !json_is_null(v) && !json_is_string(v)) {
        msg_fail(e, loc, "%s: must be a string", name);
        return -1;
    }
    return 0;
}

static json_t *part_text(const char *text)
{
    return json_pack("{s:s, s:s}", "type", "text", "text", text);
}

static json_t *part_context(json_t *p, const struct identity *who, const char *loc,
                            struct session_msg_error *e)
{
    json_t *out = json_deep_copy(p);
    if (!out)
        return msg_oom(e);
    const char *ctype = json_string_value(json_object_get(out, "context_type"));
    if (json_object_get(out, "context_type") && !json_is_null(json_object_get(out, "context_type")) &&
        (!ctype || !one_of(ctype, context_types))) {
        json_decref(out);
        return msg_fail(e, loc, "context_type: must be one of memory, resource, skill");
    }
    if (part_uri(out, "uri", who, loc, e, 1) != 0 || part_string_field(out, "abstract", loc, e) != 0) {
        json_decref(out);
        return NULL;
    }
    if (json_object_set_new(out, "context_type", json_string(ctype ? ctype : "memory")) != 0 ||
        (!json_is_string(json_object_get(out, "abstract")) &&
         json_object_set_new(out, "abstract", json_string("")) != 0)) {
        json_decref(out);
        return msg_oom(e);
    }
    return out;
}

static json_t *part_tool(json_t *p, const struct identity *who, const char *loc,
                         struct session_msg_error *e)
{
    json_t *out = json_deep_copy(p);
    if (!out)
        return msg_oom(e);
    json_t *input = json_object_get(out, "tool_input");
    const char *state = json_string_value(json_object_get(out, "tool_status"));
    const char *bad = NULL;
    if (input && !json_is_null(input) && !json_is_object(input))
        bad = "tool_input: must be an object";
    else if (json_object_get(out, "tool_status") && !json_is_null(json_object_get(out, "tool_status")) &&
             (!state || !one_of(state, tool_states)))
        bad = "tool_status: must be one of pending, running, completed, error";
    if (bad) {
        json_decref(out);
        return msg_fail(e, loc, "%s", bad);
    }
    static const char *const strings[] = {"tool_id", "tool_name", "tool_output", NULL};
    for (size_t i = 0; strings[i]; i++)
        if (part_string_field(out, strings[i], loc, e) != 0) {
            json_decref(out);
            return NULL;
        }
    for (size_t i = 0; tool_uri_fields[i]; i++)
        if (part_uri(out, tool_uri_fields[i], who, loc, e, 0) != 0) {
            json_decref(out);
            return NULL;
        }
    if (!state && json_object_set_new(out, "tool_status", json_string("pending")) != 0) {
        json_decref(out);
        return msg_oom(e);
    }
    return out;
}

static json_t *part_image(json_t *p, const struct identity *who, const char *loc,
                          struct session_msg_error *e)
{
    json_t *img = json_object_get(p, "image_url");
    json_t *out = json_object();
    json_t *obj = json_is_string(img) ? json_pack("{s:O}", "url", img)
                  : json_is_object(img) ? json_deep_copy(img)
                                        : NULL;
    if (!out || (!obj && (json_is_string(img) || json_is_object(img)))) {
        json_decref(out);
        json_decref(obj);
        return msg_oom(e);
    }
    const char *url = obj ? json_string_value(json_object_get(obj, "url")) : NULL;
    if (!obj || !url || !*url) {
        json_decref(out);
        json_decref(obj);
        return msg_fail(e, loc, "image_url: a non-empty url is required");
    }
    if (strncmp(url, "viking://", 9) == 0 && part_uri(obj, "url", who, loc, e, 1) != 0) {
        json_decref(out);
        json_decref(obj);
        return NULL;
    }
    if (json_object_set_new(out, "type", json_string("image_url")) != 0 ||
        json_object_set_new(out, "image_url", obj) != 0) {
        json_decref(out);
        return msg_oom(e);
    }
    return out;
}

/* One part in its stored form; loc names it for messages. */
static json_t *part_build(json_t *p, const struct identity *who, const char *loc,
                          struct session_msg_error *e)
{
    json_t *out = NULL;
    if (json_is_string(p))
        return (out = part_text(json_string_value(p))) ? out : msg_oom(e);
    if (!json_is_object(p))
        return msg_fail(e, loc, "a part must be an object");
    json_t *type_v = json_object_get(p, "type");
    if (type_v && !json_is_null(type_v) && !json_is_string(type_v))
        return msg_fail(e, loc, "type: must be a string");
    const char *type = json_is_string(type_v) ? json_string_value(type_v) : "text";
    if (strcmp(type, "context") == 0)
        return part_context(p, who, loc, e);
    if (strcmp(type, "tool") == 0)
        return part_tool(p, who, loc, e);
    if (strcmp(type, "image_url") == 0)
        return part_image(p, who, loc, e);
    json_t *text = json_object_get(p, "text");
    if (strcmp(type, "text") == 0 && text && !json_is_null(text) && !json_is_string(text))
        return msg_fail(e, loc, "text: must be a string");
    if (json_is_string(text) || strcmp(type, "text") == 0)
        return (out = part_text(json_is_string(text) ? json_string_value(text) : "")) ? out
                                                                                     : msg_oom(e);
    /* An unknown kind keeps its meaning as text: the whole part rendered. */
    char *rendered = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
    out = rendered ? part_text(rendered) : NULL;
    free(rendered);
    return out ? out : msg_oom(e);
}

static json_t *build_parts(json_t *body, const struct identity *who, const char *prefix,
                           struct session_msg_error *e)
{
    char loc[96];
    json_t *parts = json_object_get(body, "parts");
    json_t *content = json_object_get(body, "content");
    if (parts && !json_is_null(parts)) {
        snprintf(loc, sizeof loc, "%s.parts", prefix);
        if (!json_is_array(parts))
            return msg_fail(e, loc, "must be a list");
        json_t *out = json_array();
        if (!out)
            return msg_oom(e);
        size_t i;
        json_t *p;
        json_array_foreach(parts, i, p) {
            snprintf(loc, sizeof loc, "%s.parts.%zu", prefix, i);
            json_t *built = part_build(p, who, loc, e);
            if (!built || json_array_append_new(out, built) != 0) {
                json_decref(out);
                return built ? msg_oom(e) : NULL;
            }
        }
        return out;
    }
    if (content && !json_is_null(content)) {
        snprintf(loc, sizeof loc, "%s.content", prefix);
        if (!json_is_string(content))
            return msg_fail(e, loc, "must be a string");
        json_t *out = json_pack("[o]", part_text(json_string_value(content)));
        return out ? out : msg_oom(e);
    }
    snprintf(loc, sizeof loc, "%s", prefix);
    return msg_fail(e, loc, "either content or parts is required");
}

/* Copies the optional metadata fields, checked. */
static int copy_optional(json_t *body, json_t *msg, const char *prefix, struct session_msg_error *e)
{
    char loc[96];
    static const char *const strings[] = {"peer_id", "turn_id", "message_kind", NULL};
    for (size_t i = 0; strings[i]; i++) {
        json_t *v = json_object_get(body, strings[i]);
        if (!v || json_is_null(v))
            continue;
        snprintf(loc, sizeof loc, "%s.%s", prefix, strings[i]);
        if (!json_is_string(v))
            return msg_fail(e, loc, "must be a string"), -1;
        if (strcmp(strings[i], "message_kind") == 0 && !one_of(json_string_value(v), message_kinds))
            return msg_fail(e, loc, "must be one of user_query, assistant_step, tool_transport, "
                                    "checkpoint"), -1;
        if (strcmp(strings[i], "peer_id") == 0 && !auth_id_valid(json_string_value(v), 0))
            return msg_fail(e, loc, "'%s' is not a valid peer id", json_string_value(v)), -1;
        if (json_object_set(msg, strings[i], v) != 0)
            return msg_oom(e), -1;
    }
    json_t *src = json_object_get(body, "source_message_ids");
    if (src && !json_is_null(src)) {
        snprintf(loc, sizeof loc, "%s.source_message_ids", prefix);
        size_t i;
        json_t *v;
        if (!json_is_array(src))
            return msg_fail(e, loc, "must be a list of strings"), -1;
        json_array_foreach(src, i, v) {
            if (!json_is_string(v))
                return msg_fail(e, loc, "must be a list of strings"), -1;
        }
        if (json_object_set(msg, "source_message_ids", src) != 0)
            return msg_oom(e), -1;
    }
    return 0;
}

json_t *session_message_build(json_t *body, const struct identity *who, const char *loc_prefix,
                              int64_t now_ms, struct session_msg_error *e)
{
    memset(e, 0, sizeof *e);
    char loc[96];
    if (!json_is_object(body))
        return msg_fail(e, loc_prefix, "a message must be an object");
    json_t *role = json_object_get(body, "role");
    snprintf(loc, sizeof loc, "%s.role", loc_prefix);
    if (!role || json_is_null(role))
        return msg_fail(e, loc, "field required");
    if (!json_is_string(role) || !*json_string_value(role))
        return msg_fail(e, loc, "must be a non-empty string");
    char id[SESSION_MESSAGE_ID_MAX + 8];
    json_t *id_v = json_object_get(body, "id");
    if (id_v && !json_is_null(id_v)) {
        snprintf(loc, sizeof loc, "%s.id", loc_prefix);
        if (!json_is_string(id_v) || !message_id_valid(json_string_value(id_v)))
            return msg_fail(e, loc, "must be 1 to %d of A-Z a-z 0-9 _ . : -", SESSION_MESSAGE_ID_MAX);
        snprintf(id, sizeof id, "%s", json_string_value(id_v));
    } else if (message_new_id(id) != 0) {
        return msg_fail(e, loc_prefix, "no random bytes for a message id");
    }
    char created[64];
    json_t *created_v = json_object_get(body, "created_at");
    if (created_v && !json_is_null(created_v)) {
        snprintf(loc, sizeof loc, "%s.created_at", loc_prefix);
        if (!json_is_string(created_v) || !iso_valid(json_string_value(created_v)) ||
            strlen(json_string_value(created_v)) >= sizeof created)
            return msg_fail(e, loc, "must be an ISO-8601 date-time");
        snprintf(created, sizeof created, "%s", json_string_value(created_v));
    } else {
        session_iso_time(now_ms, created);
    }
    json_t *parts = build_parts(body, who, loc_prefix, e);
    if (!parts)
        return NULL;
    json_t *msg = json_pack("{s:s, s:O, s:o, s:s}", "id", id, "role", role, "parts", parts,
                            "created_at", created);
    if (!msg)
        return msg_oom(e);
    if (copy_optional(body, msg, loc_prefix, e) != 0) {
        json_decref(msg);
        return NULL;
    }
    return msg;
}

static size_t text_bytes(json_t *v)
{
    return json_is_string(v) ? json_string_length(v) : 0;
}

size_t session_message_tokens(json_t *msg)
{
    size_t bytes = 0, i;
    json_t *p;
    json_array_foreach(json_object_get(msg, "parts"), i, p) {
        bytes += text_bytes(json_object_get(p, "text")) + text_bytes(json_object_get(p, "abstract")) +
                 text_bytes(json_object_get(p, "tool_output"));
        json_t *input = json_object_get(p, "tool_input");
        if (json_is_object(input)) {
            char *dumped = json_dumps(input, JSON_COMPACT);
            bytes += dumped ? strlen(dumped) : 0;
            free(dumped);
        }
    }
    return (bytes + 3) / 4;
}

json_t *session_jsonl_parse(const char *text, size_t len, size_t *bad)
{
    json_t *out = json_array();
    if (bad)
        *bad = 0;
    size_t pos = 0;
    while (out && pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t start = pos;
        pos = end + 1;
        while (start < end && (text[start] == ' ' || text[start] == '\t' || text[start] == '\r'))
            start++;
        if (start == end)
            continue;
        json_error_t jerr;
        json_t *line = json_loadb(text + start, end - start, 0, &jerr);
        if (!json_is_object(line)) {
            json_decref(line);
            if (bad)
                (*bad)++;
            continue;
        }
        if (json_array_append_new(out, line) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

char *session_jsonl_dump(json_t *array, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    size_t i;
    json_t *v;
    int failed = 0;
    json_array_foreach(array, i, v) {
        if (json_dumpf(v, f, JSON_COMPACT) != 0 || fputc('\n', f) == EOF) {
            failed = 1;
            break;
        }
    }
    if (fclose(f) != 0 || failed) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

static const char *str_or(json_t *v, const char *fallback)
{
    return json_is_string(v) ? json_string_value(v) : fallback;
}

char *session_transcript(json_t *messages, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    size_t i, k;
    json_t *m, *part;
    json_array_foreach(messages, i, m) {
        fprintf(f, "[%s]", str_or(json_object_get(m, "role"), "?"));
        json_array_foreach(json_object_get(m, "parts"), k, part) {
            const char *type = str_or(json_object_get(part, "type"), "text");
            if (strcmp(type, "tool") == 0)
                fprintf(f, " (tool %s: %s)", str_or(json_object_get(part, "tool_name"), "?"),
                        str_or(json_object_get(part, "tool_output"), ""));
            else if (strcmp(type, "context") == 0)
                fprintf(f, " (context %s)", str_or(json_object_get(part, "uri"), "?"));
            else if (json_is_string(json_object_get(part, "text")))
                fprintf(f, " %s", json_string_value(json_object_get(part, "text")));
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}
