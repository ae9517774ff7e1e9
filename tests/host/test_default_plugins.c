/* What the embedded default plugins produce, as a user of a fresh install would see it: related
 * texts embed closer than unrelated ones, abstracts and overviews are the document's own title,
 * lead sentence and section outline, within their limits. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/instance.h"
#include "plugin/module.h"

static atomic_int never;
static char call_err[256];

static struct skald_call_ctx live_ctx(void)
{
    struct skald_call_ctx ctx = {sizeof ctx, 0, 0, &never, call_err, sizeof call_err};
    return ctx;
}

static struct plugin_instance *open_instance(const char *file, const char *section,
                                             const struct skald_config_entry *cfg, size_t n)
{
    char err[512] = "";
    struct plugin_module *m = plugin_module_open(file, "/tmp/skald-test-default-cache", err, sizeof err);
    if (!m)
        fail_msg("%s", err);
    struct plugin_instance *inst = NULL;
    if (plugin_instance_create(m, section, cfg, n, "/tmp", &inst, err, sizeof err) != 0)
        fail_msg("%s", err);
    plugin_module_unref(m);
    return inst;
}

static double dot(const float *a, const float *b, uint32_t dims)
{
    double s = 0;
    for (uint32_t i = 0; i < dims; i++)
        s += (double)a[i] * b[i];
    return s;
}

static void embed_hash_relates_similar_texts(void **state)
{
    (void)state;
    struct skald_config_entry cfg[] = {{"dims", "256"}};
    struct plugin_instance *inst =
        open_instance(SKALD_TEST_PLUGIN_DIR "/embed_hash.so", "embedding", cfg, 1);
    const struct skald_embedding_ops *ops = plugin_instance_ops(inst, embedding);
    const char *texts[] = {"Crash recovery of the database after a restart",
                           "recovering a database when it restarts after a crash",
                           "A recipe for banana bread with walnuts", "", "!!! ..."};
    float v[5 * 256];
    struct skald_call_ctx ctx = live_ctx();
    assert_int_equal(ops->embed(inst->handle, &ctx, texts, 5, v), SKALD_OK);
    assert_true(fabs(dot(v, v, 256) - 1.0) < 1e-4);
    double related = dot(v, v + 256, 256), unrelated = dot(v, v + 512, 256);
    if (!(related > unrelated + 0.3))
        fail_msg("related %.3f, unrelated %.3f", related, unrelated);
    assert_true(dot(v + 768, v + 768, 256) == 0.0);
    assert_true(dot(v + 1024, v + 1024, 256) == 0.0);
    plugin_instance_destroy(inst);
}

struct collected {
    char text[4096];
    size_t len;
};

static int collect(void *arg, const char *text, size_t len)
{
    struct collected *c = arg;
    if (c->len + len < sizeof c->text) {
        memcpy(c->text + c->len, text, len);
        c->len += len;
        c->text[c->len] = '\0';
    }
    return 0;
}

static const char *tides_doc =
    "Summarise.\n<document>\n# Tides\n\nTides are the rise and fall of sea levels. They are caused "
    "by the Moon.\n\n```\nignored code. Really.\n```\n\n## High tide\n\nHigh tide floods the beach. "
    "It comes twice a day.\n\n## Low tide\n\nLow tide uncovers the rock pools.\n</document>";

static void complete(struct plugin_instance *inst, const char *system, const char *user,
                     uint32_t max_tokens, struct collected *out)
{
    const struct skald_vlm_ops *ops = plugin_instance_ops(inst, vlm);
    struct skald_vlm_message msg = {"user", user, NULL, 0};
    struct skald_vlm_request req = {sizeof req, max_tokens, -1, system, &msg, 1};
    memset(out, 0, sizeof *out);
    struct skald_call_ctx ctx = live_ctx();
    assert_int_equal(ops->complete(inst->handle, &ctx, &req, collect, out), SKALD_OK);
}

static void vlm_extractive_summarises(void **state)
{
    (void)state;
    struct skald_config_entry cfg[] = {{"max_abstract_chars", "200"}};
    struct plugin_instance *inst =
        open_instance(SKALD_TEST_PLUGIN_DIR "/vlm_extractive.so", "vlm", cfg, 1);
    struct collected out;

    complete(inst, "Write the abstract.", tides_doc, 100, &out);
    assert_string_equal(out.text, "Tides: Tides are the rise and fall of sea levels.");

    complete(inst, "Write the overview.", tides_doc, 500, &out);
    assert_string_equal(out.text, "# Tides\n\nTides are the rise and fall of sea levels.\n\n"
                                  "## Sections\n\n- High tide: High tide floods the beach.\n"
                                  "- Low tide: Low tide uncovers the rock pools.");

    /* The word limit (max_tokens) cuts at a word boundary. */
    complete(inst, "Write the abstract.", tides_doc, 4, &out);
    assert_string_equal(out.text, "Tides: Tides are the");

    /* The byte limit never splits a UTF-8 character: 100 three-byte characters in one word. */
    char big[512] = "<document>";
    for (int i = 0; i < 100; i++)
        strcat(big, "\xe6\xbd\xae");
    strcat(big, "</document>");
    complete(inst, NULL, big, 100, &out);
    assert_true(out.len <= 200 && out.len % 3 == 0 && out.len > 0);
    plugin_instance_destroy(inst);
}

static void rerank_lexical_prefers_matching_documents(void **state)
{
    (void)state;
    struct plugin_instance *inst =
        open_instance(SKALD_TEST_PLUGIN_DIR "/rerank_lexical.so", "rerank", NULL, 0);
    const struct skald_rerank_ops *ops = plugin_instance_ops(inst, rerank);
    const char *docs[] = {"session commit and memory extraction", "vector search",
                          "memory extraction runs after the session commit; memory is deduplicated"};
    float s[3];
    struct skald_call_ctx ctx = live_ctx();
    assert_int_equal(ops->score(inst->handle, &ctx, "Memory extraction", docs, 3, s), SKALD_OK);
    assert_true(s[1] == 0.0f);
    assert_true(s[0] > 0.0f && s[2] > 0.0f);
    plugin_instance_destroy(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(embed_hash_relates_similar_texts),
        cmocka_unit_test(vlm_extractive_summarises),
        cmocka_unit_test(rerank_lexical_prefers_matching_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
