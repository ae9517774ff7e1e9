#include "session/session_extract.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline/summarize.h"

#define EXTRACT_MAX_INPUT (32u * 1024u)
#define EXTRACT_MAX_ANSWER (256u * 1024u)
#define EXTRACT_MAX_ITEMS 64

const char *const session_extract_categories[EXTRACT_N_CATEGORIES] = {
    "profile", "preferences", "entities", "events", "cases"};

static const char extract_system[] =
    "skald memory extraction v1. You read a conversation between a user and an assistant and "
    "extract the long-term memories worth keeping about the user. Categories: profile (who the "
    "user is: name, role, background), preferences (what the user likes, wants or avoids), "
    "entities (people, projects, tools and places the user deals with), events (things that "
    "happened or are planned, with their time when known), cases (a problem and how it was "
    "solved). Answer with JSON only, no prose: {\"memories\":[{\"category\":\"...\",\"title\":"
    "\"a short name\",\"content\":\"one to three sentences\"}]}. Answer {\"memories\":[]} when "
    "there is nothing worth keeping.";

int session_extract_category(const char *name)
{
    static const char *const singular[EXTRACT_N_CATEGORIES] = {"profile", "preference", "entity",
                                                               "event", "case"};
    for (int i = 0; i < EXTRACT_N_CATEGORIES; i++)
        if (strcasecmp(name, session_extract_categories[i]) == 0 ||
            strcasecmp(name, singular[i]) == 0)
            return i;
    return -1;
}

void session_extract_clear(struct extract_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].title);
        free(r->items[i].content);
    }
    free(r->items);
    json_decref(r->warnings);
    memset(r, 0, sizeof *r);
}

static int warn(struct extract_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int warn(struct extract_result *r, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return json_array_append_new(r->warnings, json_string(msg)) == 0 ? 0 : -1;
}

/* Trims spaces in place; returns the start. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Validates one candidate memory (part number idx, 1-based) and keeps it. */
static int take_item(struct extract_result *r, json_t *obj, size_t idx, unsigned allowed_mask)
{
    if (!json_is_object(obj))
        return warn(r, "memory %zu is not an object", idx);
    const char *cat = json_string_value(json_object_get(obj, "category"));
    const char *title = json_string_value(json_object_get(obj, "title"));
    const char *content = json_string_value(json_object_get(obj, "content"));
    if (!cat)
        return warn(r, "memory %zu has no category", idx);
    int c = session_extract_category(cat);
    if (c < 0)
        return warn(r, "memory %zu has an unknown category '%.40s'", idx, cat);
    if (!(allowed_mask & (1u << c)))
        return warn(r, "memory %zu: category %s is not enabled for this session", idx,
                    session_extract_categories[c]);
    if (!title || !*title)
        return warn(r, "memory %zu has no title", idx);
    if (!content || !*content)
        return warn(r, "memory %zu has no content", idx);
    if (strlen(content) > EXTRACT_CONTENT_MAX)
        return warn(r, "memory %zu: content longer than %u bytes", idx, EXTRACT_CONTENT_MAX);
    if (r->n == EXTRACT_MAX_ITEMS)
        return warn(r, "memory %zu: more than %d memories in one answer", idx, EXTRACT_MAX_ITEMS);
    struct extract_item *grown = realloc(r->items, (r->n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    r->items = grown;
    struct extract_item *it = &r->items[r->n];
    size_t tlen = strlen(title);
    if (tlen > EXTRACT_TITLE_MAX) {
        tlen = EXTRACT_TITLE_MAX;
        while (tlen > 0 && ((unsigned char)title[tlen] & 0xC0) == 0x80)
            tlen--;
    }
    it->category = c;
    it->title = strndup(title, tlen);
    it->content = strdup(content);
    if (!it->title || !it->content) {
        free(it->title);
        free(it->content);
        return -1;
    }
    r->n++;
    return 0;
}

static int take_list(struct extract_result *r, json_t *list, unsigned allowed_mask)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (take_item(r, v, i + 1, allowed_mask) != 0)
            return -1;
    }
    return 0;
}

/* The answer without a Markdown code fence around it. */
static char *strip_fence(char *s)
{
    s = trim(s);
    if (strncmp(s, "```", 3) != 0)
        return s;
    char *body = strchr(s, '\n');
    if (!body)
        return s + 3;
    char *end = strstr(body, "```");
    if (end)
        *end = '\0';
    return trim(body + 1);
}

static int parse_lines(struct extract_result *r, char *text, unsigned allowed_mask)
{
    size_t line_no = 0, found = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        line = trim(line);
        size_t n = strlen(line);
        while (n > 0 && line[n - 1] == ',')
            line[--n] = '\0';
        if (!*line || strcmp(line, "[") == 0 || strcmp(line, "]") == 0 || strncmp(line, "```", 3) == 0)
            continue;
        json_error_t jerr;
        json_t *obj = json_loads(line, 0, &jerr);
        int rc;
        if (json_is_object(obj) && json_is_array(json_object_get(obj, "memories")))
            rc = take_list(r, json_object_get(obj, "memories"), allowed_mask);
        else if (json_is_object(obj))
            rc = take_item(r, obj, ++found, allowed_mask);
        else
            rc = warn(r, "answer line %zu is not valid JSON: %.80s", line_no, line);
        json_decref(obj);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int session_extract_parse(const char *text, size_t len, unsigned allowed_mask,
                          struct extract_result *out)
{
    if (!out->warnings && !(out->warnings = json_array()))
        return -1;
    char *copy = strndup(text, len);
    if (!copy)
        return -1;
    char *body = strip_fence(copy);
    int rc = 0;
    if (!*body) {
        rc = warn(out, "the model's answer is empty");
        free(copy);
        return rc;
    }
    json_error_t jerr;
    json_t *doc = json_loads(body, 0, &jerr);
    if (json_is_object(doc) && json_is_array(json_object_get(doc, "memories")))
        rc = take_list(out, json_object_get(doc, "memories"), allowed_mask);
    else if (json_is_array(doc))
        rc = take_list(out, doc, allowed_mask);
    else if (json_is_object(doc) && json_object_get(doc, "category"))
        rc = take_item(out, doc, 1, allowed_mask);
    else if (json_is_object(doc))
        rc = warn(out, "the model's answer is a JSON object without \"memories\"");
    else
        rc = parse_lines(out, body, allowed_mask); /* not one document: salvage line by line */
    json_decref(doc);
    free(copy);
    return rc;
}

int session_extract_run(struct plugin_instance *vlm, const struct skald_call_ctx *ctx,
                        const char *transcript, size_t len, unsigned allowed_mask,
                        struct extract_result *out)
{
    memset(out, 0, sizeof *out);
    /* The latest part of a long conversation is what the memories come from. */
    if (len > EXTRACT_MAX_INPUT) {
        transcript += len - EXTRACT_MAX_INPUT;
        len = EXTRACT_MAX_INPUT;
    }
    char *prompt = NULL;
    if (asprintf(&prompt, "<conversation>\n%.*s\n</conversation>", (int)len, transcript) < 0 ||
        !(out->warnings = json_array())) {
        free(prompt);
        snprintf(ctx->err, ctx->err_cap, "out of memory");
        return SKALD_ENOMEM;
    }
    struct skald_vlm_message msg = {"user", prompt, NULL, 0};
    struct skald_vlm_request req = {sizeof req, 2048, 0.0, extract_system, &msg, 1};
    struct summary_text sink = {.max = EXTRACT_MAX_ANSWER};
    out->prompt_bytes = strlen(prompt) + sizeof extract_system - 1;
    int rc = plugin_instance_ops(vlm, vlm)->complete(vlm->handle, ctx, &req, summary_text_collect,
                                                     &sink);
    free(prompt);
    if (rc == SKALD_OK && sink.oom)
        rc = SKALD_ENOMEM;
    if (rc == SKALD_OK) {
        out->answer_bytes = sink.len;
        if (session_extract_parse(sink.buf ? sink.buf : "", sink.len, allowed_mask, out) != 0)
            rc = SKALD_ENOMEM;
    }
    if (rc != SKALD_OK && !ctx->err[0])
        snprintf(ctx->err, ctx->err_cap, "%s", rc == SKALD_ENOMEM ? "out of memory" : "VLM call failed");
    free(sink.buf);
    return rc;
}
