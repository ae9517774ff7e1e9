/*
 * vlm_extractive: the embedded default VLM. It does not generate: it extracts. Asked for an
 * abstract (L0) it returns the document's title and first sentence; asked for an overview (L1) it
 * returns the title, the opening sentence and one line per section heading. No model, no network,
 * so a fresh install builds a browsable tree with real (if plain) summaries.
 *
 * Request shape: the document is the last user message, or the part of it between <document> and
 * </document> when present. The mode is "overview" when the system prompt or the last user message
 * (outside the document) says "overview", else "abstract".
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <skald/plugin.h>

#include "plugin_util.h"
#include "vx_outline.h"

struct vlm_extractive {
    const struct skald_host *host; /* borrowed; valid until destroy */
    uint64_t max_abstract_chars;
    uint64_t max_overview_chars;
};

/* Case-insensitive search for needle in the first len bytes of hay. */
static int vx_contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

static const char *vx_find(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

/* What the summary is being built from, filled block by block. */
struct vx_summary {
    struct vx_text *out;
    int overview;
    int have_title;
    int have_lead;     /* the opening sentence is written */
    int want_section;  /* overview: the last heading still needs its first sentence */
    size_t sections;
};

static void vx_append_str(struct vx_text *t, const char *s)
{
    vx_text_append(t, s, strlen(s));
}

static int vx_abstract_block(struct vx_summary *s, int level, const char *text, size_t len)
{
    if (level > 0) {
        if (!s->have_title) {
            vx_text_append(s->out, text, len);
            s->have_title = 1;
        }
        return 0;
    }
    if (s->have_title)
        vx_append_str(s->out, ": ");
    vx_text_append(s->out, text, vx_first_sentence(text, len));
    return 1;
}

static int vx_overview_block(struct vx_summary *s, int level, const char *text, size_t len)
{
    struct vx_text *o = s->out;
    if (level > 0) {
        if (!s->have_title && !s->have_lead) {
            vx_append_str(o, "# ");
            vx_text_append(o, text, len);
            vx_append_str(o, "\n\n");
            s->have_title = 1;
            return o->full;
        }
        if (s->sections == 0)
            vx_append_str(o, s->have_lead ? "\n\n## Sections\n" : "## Sections\n");
        vx_append_str(o, "\n- ");
        vx_text_append(o, text, len);
        s->sections++;
        s->want_section = 1;
        return o->full;
    }
    if (!s->have_lead && s->sections == 0) {
        vx_text_append(o, text, vx_first_sentence(text, len));
        s->have_lead = 1;
    } else if (s->want_section) {
        vx_append_str(o, ": ");
        vx_text_append(o, text, vx_first_sentence(text, len));
        s->want_section = 0;
    }
    return o->full;
}

static int vx_block(void *arg, int level, const char *text, size_t len)
{
    struct vx_summary *s = arg;
    return s->overview ? vx_overview_block(s, level, text, len)
                       : vx_abstract_block(s, level, text, len);
}

static int vlm_extractive_create(const struct skald_host *host, void **instance, char *err,
                                 size_t err_cap)
{
    static const char *const keys[] = {"max_abstract_chars", "max_overview_chars", NULL};
    uint64_t max_abstract, max_overview;
    int rc = plugin_config_check_keys(host, keys, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "max_abstract_chars", 256, 16, 1 << 20, &max_abstract, err,
                               err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "max_overview_chars", 2000, 16, 1 << 20, &max_overview, err,
                               err_cap);
    if (rc != SKALD_OK)
        return rc;
    struct vlm_extractive *v = calloc(1, sizeof *v);
    if (!v)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    v->host = host;
    v->max_abstract_chars = max_abstract;
    v->max_overview_chars = max_overview;
    *instance = v;
    return SKALD_OK;
}

static void vlm_extractive_destroy(void *instance)
{
    free(instance);
}

static int vlm_extractive_complete(void *instance, const struct skald_call_ctx *ctx,
                                   const struct skald_vlm_request *req, skald_text_sink sink,
                                   void *sink_arg)
{
    struct vlm_extractive *v = instance;
    int rc = skald_call_check(ctx, v->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    const struct skald_vlm_message *last = NULL;
    for (size_t i = 0; i < req->n_messages; i++)
        if (req->messages[i].role && strcmp(req->messages[i].role, "user") == 0 &&
            req->messages[i].content)
            last = &req->messages[i];
    if (!last)
        return plugin_call_fail(ctx, SKALD_EINVAL, "no user message to summarise");

    const char *msg = last->content;
    size_t msg_len = strlen(msg);
    const char *doc = msg;
    size_t doc_len = msg_len;
    size_t instr_len = 0; /* the instruction text before <document> */
    const char *open = vx_find(msg, msg_len, "<document>");
    if (open) {
        doc = open + strlen("<document>");
        const char *close = vx_find(doc, msg_len - (size_t)(doc - msg), "</document>");
        doc_len = close ? (size_t)(close - doc) : msg_len - (size_t)(doc - msg);
        instr_len = (size_t)(open - msg);
    }
    int overview = (req->system && vx_contains(req->system, strlen(req->system), "overview")) ||
                   vx_contains(msg, instr_len, "overview");

    struct vx_text out;
    vx_text_init(&out, overview ? v->max_overview_chars : v->max_abstract_chars,
                 req->max_tokens ? req->max_tokens : 1);
    struct vx_summary s = {.out = &out, .overview = overview};
    vx_outline_each(doc, doc_len, vx_block, &s);
    if (out.oom) {
        vx_text_free(&out);
        return plugin_call_fail(ctx, SKALD_ENOMEM, "out of memory");
    }
    /* Trailing newlines of an overview cut short are noise. */
    while (out.len > 0 && out.data[out.len - 1] == '\n')
        out.data[--out.len] = '\0';
    rc = SKALD_OK;
    if (sink(sink_arg, out.data ? out.data : "", out.len) != 0)
        rc = plugin_call_fail(ctx, SKALD_ECANCELLED, "the caller stopped the output");
    vx_text_free(&out);
    v->host->metric_add(v->host, overview ? "overviews" : "abstracts", 1);
    return rc;
}

static const struct skald_vlm_ops vlm_extractive_ops = {
    sizeof(struct skald_vlm_ops),
    vlm_extractive_create,
    vlm_extractive_destroy,
    vlm_extractive_complete,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_VLM, "vlm_extractive", "1.0.0",
                    "extractive summaries (title, lead sentence, section outline), no model",
                    &vlm_extractive_ops)
