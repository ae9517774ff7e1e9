/* Plugin loading: good plugins load and are shared while referenced, every broken fixture is
 * refused with a message naming the file and the defect, and a plugin rebuilt on disk while
 * loaded is opened from a fresh copy instead of replacing the running code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/instance.h"
#include "plugin/module.h"

static char scratch[64];

static int setup(void **state)
{
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/skald-test-module.XXXXXX");
    return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

static void cache_dir(char *out, size_t cap)
{
    snprintf(out, cap, "%s/cache", scratch);
}

static void good_plugin_loads_and_is_shared(void **state)
{
    (void)state;
    char err[512] = "", cache[128];
    cache_dir(cache, sizeof cache);
    struct plugin_module *a = plugin_module_open(SKALD_TEST_PLUGIN_DIR "/embed_hash.so", cache, err,
                                                 sizeof err);
    assert_non_null(a);
    assert_int_equal(a->kind, SKALD_KIND_EMBEDDING);
    assert_string_equal(a->name, "embed_hash");
    struct plugin_module *b = plugin_module_open(SKALD_TEST_PLUGIN_DIR "/embed_hash.so", cache, err,
                                                 sizeof err);
    assert_ptr_equal(a, b);

    struct skald_config_entry cfg[] = {{"dims", "16"}};
    struct plugin_instance *inst = NULL;
    assert_int_equal(plugin_instance_create(a, "embedding", cfg, 1, scratch, &inst, err, sizeof err), 0);
    plugin_module_unref(a);
    plugin_module_unref(b);
    /* The instance's reference keeps the library mapped: calling it must still work. */
    const struct skald_embedding_ops *ops = plugin_instance_ops(inst, embedding);
    assert_int_equal(ops->dimensions(inst->handle), 16);
    plugin_instance_destroy(inst);
}

static void bad_config_is_refused_with_the_key(void **state)
{
    (void)state;
    char err[512] = "", cache[128];
    cache_dir(cache, sizeof cache);
    struct plugin_module *m = plugin_module_open(SKALD_TEST_PLUGIN_DIR "/embed_hash.so", cache, err,
                                                 sizeof err);
    assert_non_null(m);
    struct skald_config_entry cfg[] = {{"dimz", "16"}};
    struct plugin_instance *inst = NULL;
    assert_int_not_equal(plugin_instance_create(m, "embedding", cfg, 1, scratch, &inst, err, sizeof err), 0);
    assert_null(inst);
    assert_non_null(strstr(err, "dimz"));
    plugin_module_unref(m);
}

static void expect_refused(const char *file, const char *defect)
{
    char err[512] = "", cache[128], path[512];
    cache_dir(cache, sizeof cache);
    snprintf(path, sizeof path, "%s/%s", SKALD_TEST_BROKEN_DIR, file);
    struct plugin_module *m = plugin_module_open(path, cache, err, sizeof err);
    assert_null(m);
    assert_non_null(strstr(err, path));
    if (!strstr(err, defect))
        fail_msg("refusal of %s was '%s', want it to mention '%s'", file, err, defect);
}

static void broken_plugins_are_refused(void **state)
{
    (void)state;
    expect_refused("bad_magic.so", "bad magic");
    expect_refused("abi_major_next.so", "plugin ABI 2.0 is not supported by this skald (ABI 1.0)");
    expect_refused("abi_minor_next.so", "plugin ABI 1.1 is newer than this skald (ABI 1.0)");
    expect_refused("missing_fn.so", "incomplete (score)");
    expect_refused("no_entry.so", "no skald_plugin_entry symbol");
    expect_refused("does_not_exist.so", "does_not_exist.so");
}

static void rebuilt_plugin_is_loaded_from_a_copy(void **state)
{
    (void)state;
    char err[512] = "", cache[128], path[256], cmd[2048];
    cache_dir(cache, sizeof cache);
    snprintf(path, sizeof path, "%s/rerank.so", scratch);
    snprintf(cmd, sizeof cmd, "cp '%s/rerank_lexical.so' '%s'", SKALD_TEST_PLUGIN_DIR, path);
    assert_int_equal(system(cmd), 0);
    struct plugin_module *old = plugin_module_open(path, cache, err, sizeof err);
    assert_non_null(old);
    /* "Rebuild" it: a different file at the same path (new inode, size and time). */
    snprintf(cmd, sizeof cmd, "rm '%s' && cp '%s/rerank_lexical.so' '%s' && printf x >> '%s'", path,
             SKALD_TEST_PLUGIN_DIR, path, path);
    assert_int_equal(system(cmd), 0);
    struct plugin_module *fresh = plugin_module_open(path, cache, err, sizeof err);
    if (!fresh)
        fail_msg("reopening the rebuilt plugin failed: %s", err);
    assert_ptr_not_equal(old, fresh);
    assert_string_not_equal(fresh->loaded_path, path);
    plugin_module_unref(fresh);
    plugin_module_unref(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_plugin_loads_and_is_shared),
        cmocka_unit_test(bad_config_is_refused_with_the_key),
        cmocka_unit_test(broken_plugins_are_refused),
        cmocka_unit_test(rebuilt_plugin_is_loaded_from_a_copy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
