/*
 * test_vlm_memory: a test-only VLM for the session tests. Asked for memory extraction (the
 * system prompt names "skald memory extraction"), it reads the "[user] ..." lines of the
 * conversation and answers with JSON by plain rules: "my name is X" is a profile memory, "I
 * prefer X" / "I like X" a preference, "I work on X" an entity, any other user line of three or
 * more words an event. Asked for anything else, it returns the document's first line, like a
 * summary. Keys:
 *   hang_marker (HANG): a request containing it never gets an answer: the call waits until its
 *     deadline or its cancel flag, like a provider that accepted the request and went silent;
 *   malformed_marker (MALFORMED): an extraction whose conversation contains it is answered with
 *     one valid memory per line followed by a truncated line and a memory of an unknown category;
 *   delay_ms (0): every answer takes this long (honouring deadline and cancel).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <skald/plugin.h>

#include "plugin_util.h"

#define MEMORY_SUMMARY_MAX 200

struct test_vlm_memory {
    const struct skald_host *host; /* borrowed */
    char *hang_marker;
    char *malformed_marker;
    uint64_t delay_ms;
};

static int memory_create(const struct skald_host *host, void **instance, char *err, size_t err_cap)
{
    static const char *const keys[] = {"hang_marker", "malformed_marker", "delay_ms", NULL};
    uint64_t delay_ms = 0;
    int rc = plugin_config_check_keys(host, keys, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "delay_ms", 0, 0, 3600000, &delay_ms, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    struct test_vlm_memory *m = calloc(1, sizeof *m);
    if (!m || !(m->hang_marker = strdup(plugin_config_str(host, "hang_marker", "HANG"))) ||
        !(m->malformed_marker = strdup(plugin_config_str(host, "malformed_marker", "MALFORMED")))) {
        if (m)
            free(m->hang_marker);
        free(m);
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    }
    m->host = host;
    m->delay_ms = delay_ms;
    *instance = m;
    return SKALD_OK;
}

static void memory_destroy(void *instance)
{
    struct test_vlm_memory *m = instance;
    free(m->hang_marker);
    free(m->malformed_marker);
    free(m);
}

/* A growing output buffer. */
struct out {
    char *buf;
    size_t len, cap;
    int oom;
};

static void out_add(struct out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = (o->len + n + 1) * 2;
        char *grown = realloc(o->buf, cap);
        if (!grown) {
            o->oom = 1;
            return;
        }
        o->buf = grown;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
    out_add(o, s, strlen(s));
}

/* A JSON string of s[0..n). */
static void out_json(struct out *o, const char *s, size_t n)
{
    out_str(o, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            out_add(o, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            out_str(o, esc);
        } else {
            out_add(o, (const char *)&s[i], 1);
        }
    }
    out_str(o, "\"");
}

static void out_memory(struct out *o, const char *category, const char *title, size_t tlen,
                       const char *prefix, const char *content, size_t clen)
{
    char body[1200];
    int n = snprintf(body, sizeof body, "%s%.*s", prefix, (int)(clen < 1000 ? clen : 1000), content);
    out_str(o, "{\"category\":");
    out_json(o, category, strlen(category));
    out_str(o, ",\"title\":");
    out_json(o, title, tlen);
    out_str(o, ",\"content\":");
    out_json(o, body, n > 0 ? (size_t)n : 0);
    out_str(o, "}");
}

/* Case-insensitive search for needle within the first len bytes of hay. */
static const char *find_ci(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

/* One user line into at most one memory. Returns 1 when one was written. */
static int memory_of_line(struct out *o, const char *line, size_t len)
{
    static const struct {
        const char *cue, *category, *prefix;
    } rules[] = {{"my name is ", "profile", "The user's name is "},
                 {"i prefer ", "preferences", "The user prefers "},
                 {"i like ", "preferences", "The user likes "},
                 {"i work on ", "entities", "The user works on "}};
    while (len > 0 && (line[len - 1] == '.' || line[len - 1] == ' ' || line[len - 1] == '\r'))
        len--;
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        const char *at = find_ci(line, len, rules[r].cue);
        if (!at)
            continue;
        const char *what = at + strlen(rules[r].cue);
        size_t wlen = len - (size_t)(what - line);
        if (wlen == 0)
            return 0;
        out_memory(o, rules[r].category, what, wlen, rules[r].prefix, what, wlen);
        return 1;
    }
    size_t words = 0;
    for (size_t i = 0; i < len; i++)
        if (line[i] != ' ' && (i == 0 || line[i - 1] == ' '))
            words++;
    if (words < 3)
        return 0;
    size_t tlen = 0, seen = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == ' ' && i > 0 && line[i - 1] != ' ' && ++seen == 6)
            break;
        tlen = i + 1;
    }
    out_memory(o, "events", line, tlen, "", line, len);
    return 1;
}

static void extraction(struct out *o, const char *conv, int malformed)
{
    int first = 1;
    if (!malformed)
        out_str(o, "{\"memories\":[");
    for (const char *p = conv; *p;) {
        size_t n = strcspn(p, "\n");
        if (n > 7 && strncmp(p, "[user] ", 7) == 0) {
            size_t before = o->len;
            if (!first && !malformed)
                out_str(o, ",");
            if (memory_of_line(o, p + 7, n - 7)) {
                first = 0;
                if (malformed)
                    out_str(o, "\n");
            } else {
                o->len = before;
                if (o->buf)
                    o->buf[o->len] = '\0';
            }
        }
        p += n;
        if (*p == '\n')
            p++;
    }
    if (!malformed) {
        out_str(o, "]}");
        return;
    }
    out_str(o, "{\"category\": \"events\", \"title\": \"cut off in the mid\n");
    out_str(o, "{\"category\":\"gossip\",\"title\":\"rumour\",\"content\":\"not a category\"}\n");
}

static int memory_complete(void *instance, const struct skald_call_ctx *ctx,
                           const struct skald_vlm_request *req, skald_text_sink sink,
                           void *sink_arg)
{
    struct test_vlm_memory *m = instance;
    int rc = skald_call_check(ctx, m->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    const char *doc = NULL;
    for (size_t i = 0; i < req->n_messages; i++)
        if (req->messages[i].content)
            doc = req->messages[i].content;
    if (!doc)
        return plugin_call_fail(ctx, SKALD_EINVAL, "no message");
    int hang = strstr(doc, m->hang_marker) != NULL;
    rc = plugin_call_sleep_until(m->host, ctx,
                                 hang ? INT64_MAX
                                      : m->host->now_monotonic_ns() + (int64_t)m->delay_ms * 1000000);
    if (rc != SKALD_OK)
        return rc;
    struct out o = {0};
    if (req->system && strstr(req->system, "skald memory extraction")) {
        const char *conv = strstr(doc, "<conversation>\n");
        extraction(&o, conv ? conv + strlen("<conversation>\n") : doc,
                   strstr(doc, m->malformed_marker) != NULL);
    } else {
        const char *start = strstr(doc, "<document>");
        start = start ? start + strlen("<document>") : doc;
        while (*start == '\n' || *start == ' ' || *start == '#')
            start++;
        size_t len = strcspn(start, "\n");
        out_add(&o, start, len > MEMORY_SUMMARY_MAX ? MEMORY_SUMMARY_MAX : len);
        if (o.len == 0)
            out_str(&o, "(empty)");
    }
    if (o.oom) {
        free(o.buf);
        return plugin_call_fail(ctx, SKALD_ENOMEM, "out of memory");
    }
    rc = sink(sink_arg, o.buf ? o.buf : "", o.len) != 0
             ? plugin_call_fail(ctx, SKALD_ECANCELLED, "the caller stopped the output")
             : SKALD_OK;
    free(o.buf);
    return rc;
}

static const struct skald_vlm_ops memory_ops = {
    sizeof(struct skald_vlm_ops),
    memory_create,
    memory_destroy,
    memory_complete,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_VLM, "test_vlm_memory", "1.0.0",
                    "test-only VLM: rule-based memory extraction, a hang marker and a malformed one",
                    &memory_ops)
