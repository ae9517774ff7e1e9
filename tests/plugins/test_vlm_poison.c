/*
 * test_vlm_poison: a test-only VLM that refuses any request whose text contains a marker, the
 * way a provider refuses a document it will not process, and otherwise answers with a plain
 * summary (the document's first non-empty line, cut to 200 bytes). Keys: marker (POISON).
 * The refusal is SKALD_EINVAL, so the host parks the job at once instead of retrying it.
 */
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

#include "plugin_util.h"

#define POISON_SUMMARY_MAX 200

struct test_vlm_poison {
    const struct skald_host *host; /* borrowed */
    char *marker;
};

static int poison_create(const struct skald_host *host, void **instance, char *err, size_t err_cap)
{
    static const char *const keys[] = {"marker", NULL};
    int rc = plugin_config_check_keys(host, keys, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    const char *marker = plugin_config_str(host, "marker", "POISON");
    if (!*marker)
        return plugin_fail(err, err_cap, SKALD_EINVAL, "marker: must not be empty");
    struct test_vlm_poison *p = calloc(1, sizeof *p);
    if (!p || !(p->marker = strdup(marker))) {
        free(p);
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    }
    p->host = host;
    *instance = p;
    return SKALD_OK;
}

static void poison_destroy(void *instance)
{
    struct test_vlm_poison *p = instance;
    free(p->marker);
    free(p);
}

static int poison_complete(void *instance, const struct skald_call_ctx *ctx,
                           const struct skald_vlm_request *req, skald_text_sink sink,
                           void *sink_arg)
{
    struct test_vlm_poison *p = instance;
    int rc = skald_call_check(ctx, p->host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    const char *doc = NULL;
    for (size_t i = 0; i < req->n_messages; i++) {
        const char *text = req->messages[i].content;
        if (text && strstr(text, p->marker))
            return plugin_call_fail(ctx, SKALD_EINVAL, "refused: the document contains '%s'",
                                    p->marker);
        if (text)
            doc = text;
    }
    if (!doc)
        return plugin_call_fail(ctx, SKALD_EINVAL, "no message to summarise");
    const char *start = strstr(doc, "<document>");
    start = start ? start + strlen("<document>") : doc;
    while (*start == '\n' || *start == ' ' || *start == '#')
        start++;
    size_t len = strcspn(start, "\n");
    if (len > POISON_SUMMARY_MAX)
        len = POISON_SUMMARY_MAX;
    if (len == 0) {
        start = "(empty)";
        len = strlen(start);
    }
    if (sink(sink_arg, start, len) != 0)
        return plugin_call_fail(ctx, SKALD_ECANCELLED, "the caller stopped the output");
    return SKALD_OK;
}

static const struct skald_vlm_ops poison_ops = {
    sizeof(struct skald_vlm_ops),
    poison_create,
    poison_destroy,
    poison_complete,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_VLM, "test_vlm_poison", "1.0.0",
                    "test-only VLM that refuses documents containing a marker", &poison_ops)
