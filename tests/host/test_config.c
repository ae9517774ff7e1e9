/* Config parsing: defaults, path resolution, overrides, and errors that name file, line, section
 * and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

static const char good_backends[] = "[embedding]\nplugin = embed_hash\ndims = 64\n"
                                    "[vlm]\nplugin = vlm_extractive\n"
                                    "[vector]\nplugin = vector_flat\n"
                                    "[queue]\nplugin = queue_sqlite\n";

static char tmp_dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/skald-config-XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_config(const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/skald.ini", tmp_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads text and expects failure whose message contains every needle. */
static void expect_error(const char *text, const struct config_override *o, size_t n_o,
                         const char *const *needles)
{
    struct config *cfg = NULL;
    char err[1024] = "";
    assert_int_equal(config_load(write_config(text), o, n_o, &cfg, err, sizeof err), -1);
    assert_null(cfg);
    for (const char *const *n = needles; *n; n++) {
        if (!strstr(err, *n))
            fail_msg("error '%s' lacks '%s'", err, *n);
    }
}

static void defaults_and_relative_paths(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[512];
    char text[1024];
    snprintf(text, sizeof text, "[server]\ndata_dir = state\n%s", good_backends);
    assert_int_equal(config_load(write_config(text), NULL, 0, &cfg, err, sizeof err), 0);
    char expect[256];
    snprintf(expect, sizeof expect, "%s/state", tmp_dir);
    assert_string_equal(cfg->server.data_dir, expect);
    assert_string_equal(cfg->server.listen_host, "127.0.0.1");
    assert_int_equal(cfg->server.listen_port, 1933);
    assert_int_equal(cfg->server.workers, 4);
    assert_int_equal(cfg->server.shutdown_timeout_s, 10);
    assert_false(cfg->backends[BACKEND_RERANK].present);
    const struct backend_config *e = &cfg->backends[BACKEND_EMBEDDING];
    assert_string_equal(e->plugin, "embed_hash");
    assert_int_equal(e->n_entries, 1);
    assert_string_equal(e->entries[0].key, "dims");
    assert_string_equal(e->entries[0].value, "64");
    assert_non_null(strstr(e->plugin_path, "/embed_hash.so"));
    config_free(cfg);
}

static void overrides_replace_and_add(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[512];
    struct config_override o[3];
    char *storage[3];
    assert_int_equal(config_override_parse("embedding.dims=128", &o[0], &storage[0], err, sizeof err), 0);
    assert_int_equal(config_override_parse("server.listen=[::1]:8080", &o[1], &storage[1], err, sizeof err), 0);
    assert_int_equal(config_override_parse("queue.file=q.db", &o[2], &storage[2], err, sizeof err), 0);
    assert_int_equal(config_load(write_config(good_backends), o, 3, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg->backends[BACKEND_EMBEDDING].entries[0].value, "128");
    assert_string_equal(cfg->server.listen_host, "::1");
    assert_int_equal(cfg->server.listen_port, 8080);
    assert_string_equal(cfg->backends[BACKEND_QUEUE].entries[0].key, "file");
    config_free(cfg);
    for (int i = 0; i < 3; i++)
        free(storage[i]);
    assert_int_equal(config_override_parse("nodot=1", &o[0], &storage[0], err, sizeof err), -1);
}

static void errors_name_file_line_section_key(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, "[server]\nworkers = abc\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "[server]", "workers", "abc", NULL});
    snprintf(text, sizeof text, "[server]\nfoo = 1\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "[server]", "foo", "unknown key", NULL});
    snprintf(text, sizeof text, "%s[bogus]\nx = 1\n", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"[bogus]", "unknown section", NULL});
    snprintf(text, sizeof text, "[server]\nlisten = nowhere\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"[server]", "listen", NULL});
    expect_error("[embedding]\nplugin = embed_hash\n", NULL, 0, (const char *[]){"[vlm]", "missing", NULL});
    snprintf(text, sizeof text, "%s[rerank]\nk1 = 2\n", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"[rerank]", "plugin", NULL});
    snprintf(text, sizeof text, "%s", good_backends);
    expect_error("this is not ini\n", NULL, 0, (const char *[]){"skald.ini:1:", "syntax", NULL});
    struct config_override o;
    char *storage, err[256];
    assert_int_equal(config_override_parse("server.workers=0", &o, &storage, err, sizeof err), 0);
    expect_error(good_backends, &o, 1, (const char *[]){"-o", "[server]", "workers", NULL});
    free(storage);
}

static void missing_file(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[512];
    assert_int_equal(config_load("/nonexistent/skald.ini", NULL, 0, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/skald.ini"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults_and_relative_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(overrides_replace_and_add, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_name_file_line_section_key, setup, teardown),
        cmocka_unit_test(missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
