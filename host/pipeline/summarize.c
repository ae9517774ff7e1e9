#include "pipeline/summarize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds what a model may return, so a runaway answer cannot fill memory. */
#define SUMMARY_MAX_OUTPUT (64u * 1024u)

int summary_text_collect(void *arg, const char *text, size_t len)
{
    struct summary_text *s = arg;
    if (s->len + len > s->max)
        len = s->max - s->len;
    char *grown = realloc(s->buf, s->len + len + 1);
    if (!grown) {
        s->oom = 1;
        return 1;
    }
    memcpy(grown + s->len, text, len);
    s->buf = grown;
    s->len += len;
    s->buf[s->len] = '\0';
    return 0;
}

int summarize(struct plugin_instance *vlm, const struct skald_call_ctx *ctx, enum summary_kind kind,
              const char *name, const char *text, size_t len, char **out)
{
    *out = NULL;
    if (len > SUMMARY_MAX_INPUT)
        len = SUMMARY_MAX_INPUT;
    char *prompt = NULL;
    if (asprintf(&prompt, "Document: %s\n<document>\n%.*s\n</document>", name, (int)len, text) < 0) {
        snprintf(ctx->err, ctx->err_cap, "out of memory");
        return SKALD_ENOMEM;
    }
    const char *system =
        kind == SUMMARY_OVERVIEW
            ? "Write an overview of the document: its title, what it is about in one or two "
              "sentences, then one line per section. Plain Markdown, at most 4000 characters."
            : "Write an abstract of the document: one or two sentences, at most 256 characters, "
              "saying what it is about.";
    struct skald_vlm_message msg = {"user", prompt, NULL, 0};
    struct skald_vlm_request req = {sizeof req, kind == SUMMARY_OVERVIEW ? 1024u : 128u, -1.0,
                                    system, &msg, 1};
    struct summary_text sink = {.max = SUMMARY_MAX_OUTPUT};
    int rc = plugin_instance_ops(vlm, vlm)->complete(vlm->handle, ctx, &req, summary_text_collect,
                                                     &sink);
    free(prompt);
    if (rc == SKALD_OK && sink.oom)
        rc = SKALD_ENOMEM;
    if (rc != SKALD_OK) {
        if (!ctx->err[0])
            snprintf(ctx->err, ctx->err_cap, "%s", sink.oom ? "out of memory" : "VLM call failed");
        free(sink.buf);
        return rc;
    }
    *out = sink.buf ? sink.buf : strdup("");
    return *out ? SKALD_OK : SKALD_ENOMEM;
}
