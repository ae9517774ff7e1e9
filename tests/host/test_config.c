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

#include "auth/auth_table.h"
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
    assert_int_equal(cfg->server.pipeline_threads, 4);
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
    snprintf(text, sizeof text, "[server]\npipeline_threads = 1\n%s", good_backends);
    expect_error(text, NULL, 0,
                 (const char *[]){"skald.ini:2:", "[server]", "pipeline_threads", "2 to 64", NULL});
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

static void write_file(const char *name, const char *text)
{
    char path[192];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static struct config *load_ok(const char *text)
{
    struct config *cfg = NULL;
    char err[1024] = "";
    if (config_load(write_config(text), NULL, 0, &cfg, err, sizeof err) != 0)
        fail_msg("config rejected: %s", err);
    assert_non_null(cfg->auth);
    return cfg;
}

/* Resolves an X-API-Key against the loaded table; returns the user name or NULL for a 401. */
static const char *who_has_key(const struct config *cfg, const char *key, struct identity *id)
{
    struct auth_headers h = {.api_key = key};
    const char *code;
    char msg[256];
    return auth_resolve(cfg->auth, &h, id, &code, msg, sizeof msg) == 0 ? id->user : NULL;
}

static void auth_dev_by_default(void **state)
{
    (void)state;
    struct config *cfg = load_ok(good_backends);
    assert_int_equal(auth_table_mode(cfg->auth), AUTH_MODE_DEV);
    assert_int_equal(cfg->server.auth_mode, AUTH_MODE_DEV);
    config_free(cfg);
    const char *loopbacks[] = {"localhost:1933", "127.0.0.1:1", "127.9.8.7:1933", "[::1]:1933",
                               "[::ffff:127.0.0.1]:1933"};
    for (size_t i = 0; i < sizeof loopbacks / sizeof loopbacks[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "[server]\nlisten = %s\n[auth]\nmode = dev\n%s", loopbacks[i],
                 good_backends);
        cfg = load_ok(text);
        assert_int_equal(auth_table_mode(cfg->auth), AUTH_MODE_DEV);
        config_free(cfg);
    }
}

static void auth_dev_refuses_non_loopback(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, "[server]\nlisten = 0.0.0.0:1933\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "[server] listen", "dev mode serves "
                 "without keys; listen on a loopback address or set [auth] root_api_key", NULL});
    snprintf(text, sizeof text, "[server]\nlisten = [::]:1933\n[auth]\nmode = dev\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:4:", "[auth] mode", "loopback", NULL});
    snprintf(text, sizeof text, "[server]\nlisten = 10.1.2.3:80\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"[server] listen", "dev mode", NULL});
    struct config_override o;
    char *storage, err[256];
    assert_int_equal(config_override_parse("server.listen=192.168.1.5:1933", &o, &storage, err,
                                           sizeof err), 0);
    expect_error(good_backends, &o, 1, (const char *[]){"(-o override)", "[server] listen", NULL});
    free(storage);
    /* A root key makes a public address fine. */
    snprintf(text, sizeof text, "[server]\nlisten = 0.0.0.0:1933\n[auth]\nroot_api_key = s3cret-root\n%s",
             good_backends);
    struct config *cfg = load_ok(text);
    assert_int_equal(auth_table_mode(cfg->auth), AUTH_MODE_API_KEY);
    assert_int_equal(cfg->server.auth_mode, AUTH_MODE_API_KEY);
    config_free(cfg);
}

static void auth_root_key_forms(void **state)
{
    (void)state;
    char text[1024];
    struct identity id;
    snprintf(text, sizeof text, "[auth]\nroot_api_key = s3cret-root\n%s", good_backends);
    struct config *cfg = load_ok(text);
    assert_true(auth_table_has_root(cfg->auth));
    assert_non_null(who_has_key(cfg, "s3cret-root", &id));
    assert_int_equal(id.role, AUTH_ROLE_ROOT);
    assert_null(who_has_key(cfg, "s3cret-roo", &id));
    config_free(cfg);

    /* sha256("abc") */
    snprintf(text, sizeof text, "[auth]\nroot_api_key_sha256 = "
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n%s", good_backends);
    cfg = load_ok(text);
    assert_non_null(who_has_key(cfg, "abc", &id));
    assert_int_equal(id.role, AUTH_ROLE_ROOT);
    config_free(cfg);

    assert_int_equal(setenv("SKALD_TEST_ROOT_KEY", "from-the-env", 1), 0);
    snprintf(text, sizeof text, "[auth]\nroot_api_key_env = SKALD_TEST_ROOT_KEY\n%s", good_backends);
    cfg = load_ok(text);
    assert_non_null(who_has_key(cfg, "from-the-env", &id));
    config_free(cfg);
    unsetenv("SKALD_TEST_ROOT_KEY");
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "[auth] root_api_key_env",
                                                 "SKALD_TEST_ROOT_KEY is not set", NULL});
    snprintf(text, sizeof text, "[auth]\nroot_api_key_env = 1BAD-NAME\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"[auth] root_api_key_env", "not an environment "
                                                 "variable name", NULL});

    snprintf(text, sizeof text, "[auth]\nroot_api_key = s3cret-root\nroot_api_key_sha256 = "
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:3:", "set only one of", NULL});
    snprintf(text, sizeof text, "[auth]\nroot_api_key_sha256 = abc123\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "[auth] root_api_key_sha256",
                                                 "64 hex", NULL});
    snprintf(text, sizeof text, "[auth]\nroot_api_key =\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"[auth] root_api_key", "must not be empty", NULL});

    /* -o can set the key too; it is then the one in force. */
    struct config_override o;
    char *storage, err[256];
    assert_int_equal(config_override_parse("auth.root_api_key=cli-key", &o, &storage, err, sizeof err), 0);
    struct config *c2 = NULL;
    char lerr[512];
    assert_int_equal(config_load(write_config(good_backends), &o, 1, &c2, lerr, sizeof lerr), 0);
    assert_non_null(who_has_key(c2, "cli-key", &id));
    config_free(c2);
    free(storage);
}

static void auth_user_keys_and_key_file(void **state)
{
    (void)state;
    char text[2048];
    struct identity id;
    write_file("keys.conf", "; team keys\n[keys]\n"
               "carol = account=acme user=carol role=admin key=carol-plain-key\n"
               "# ci\nci = account=ops user=ci key_sha256="
               "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n");
    snprintf(text, sizeof text,
             "[auth]\nroot_api_key = s3cret-root\nkey_file = keys.conf\n"
             "[keys]\nalice = account=acme user=alice role=user key=alice-plain-key\n"
             "bob = account=other user=bob key=bob-plain-key\n%s", good_backends);
    struct config *cfg = load_ok(text);
    assert_int_equal(auth_table_user_count(cfg->auth), 4);
    assert_string_equal(who_has_key(cfg, "alice-plain-key", &id), "alice");
    assert_string_equal(id.account, "acme");
    assert_int_equal(id.role, AUTH_ROLE_USER);
    assert_string_equal(who_has_key(cfg, "bob-plain-key", &id), "bob");
    assert_string_equal(id.account, "other");
    assert_string_equal(who_has_key(cfg, "carol-plain-key", &id), "carol");
    assert_int_equal(id.role, AUTH_ROLE_ADMIN);
    assert_string_equal(who_has_key(cfg, "abc", &id), "ci");
    assert_string_equal(id.account, "ops");
    assert_null(who_has_key(cfg, "nobody", &id));
    config_free(cfg);

    /* User keys alone select api_key mode. */
    snprintf(text, sizeof text, "[keys]\nalice = account=acme user=alice key=alice-plain-key\n%s",
             good_backends);
    cfg = load_ok(text);
    assert_int_equal(auth_table_mode(cfg->auth), AUTH_MODE_API_KEY);
    assert_false(auth_table_has_root(cfg->auth));
    config_free(cfg);
}

static void auth_errors(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, "[auth]\nmode = open\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "[auth] mode", "'open' is not dev or api_key", NULL});
    snprintf(text, sizeof text, "[auth]\nroot_key = x\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "[auth] root_key", "unknown key", NULL});
    snprintf(text, sizeof text, "[auth]\nmode = api_key\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "[auth] mode", "api_key mode needs", NULL});
    snprintf(text, sizeof text, "[auth]\nmode = dev\nroot_api_key = hush-hush\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "[auth] mode", "dev mode checks no key", NULL});

    const char *bad_lines[][2] = {
        {"alice = account=acme user=alice role=owner key=hush-hush", "role= must be user or admin"},
        {"alice = user=alice key=hush-hush", "account= is missing"},
        {"alice = account=_acme user=alice key=hush-hush", "account= is not"},
        {"alice = account=acme user=alice key_sha256=hush", "64 hex digits"},
        {"alice = account=acme user=alice key=hush hush-hush", "field 4"},
        {"al/ice = account=acme user=alice key=hush-hush", "label"},
    };
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        snprintf(text, sizeof text, "[auth]\nroot_api_key = hush-root\n\n[keys]\n%s\n%s",
                 bad_lines[i][0], good_backends);
        struct config *cfg = NULL;
        char err[1024];
        assert_int_equal(config_load(write_config(text), NULL, 0, &cfg, err, sizeof err), -1);
        if (!strstr(err, "skald.ini:5: [keys] ") || !strstr(err, bad_lines[i][1]))
            fail_msg("'%s' gave '%s'", bad_lines[i][0], err);
        if (strstr(err, "hush"))
            fail_msg("error '%s' shows a secret", err);
    }
    snprintf(text, sizeof text, "[keys]\nalice = account=acme user=alice key=same-key\n"
             "bob = account=acme user=bob key=same-key\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:3:", "[keys] bob", "same key as [keys] alice", NULL});
    snprintf(text, sizeof text, "[auth]\nroot_api_key = same-key\n[keys]\n"
             "bob = account=acme user=bob key=same-key\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:4:", "[keys] bob", "same key as the root key", NULL});

    /* Key file problems name the key file and its line. */
    write_file("keys.conf", "alice = account=acme user=alice key=k1\nalice = account=acme user=a2 key=k2\n");
    snprintf(text, sizeof text, "[auth]\nkey_file = keys.conf\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"keys.conf:2:", "[keys] alice", "label used twice",
                                                 "keys.conf:1", NULL});
    write_file("keys.conf", "alice = account=acme user=alice key=k1\n");
    snprintf(text, sizeof text, "[auth]\nkey_file = keys.conf\n[keys]\n"
             "alice = account=acme user=alice key=k3\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"keys.conf:1:", "label used twice", "skald.ini:4", NULL});
    write_file("keys.conf", "\nalice = account=acme user=alice role=boss key=hush-hush\n");
    snprintf(text, sizeof text, "[auth]\nkey_file = keys.conf\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"keys.conf:2:", "[keys] alice", "role=", NULL});
    write_file("keys.conf", "[server]\nlisten = 0.0.0.0:1\n");
    expect_error(text, NULL, 0, (const char *[]){"keys.conf:2: [server]: only [keys]", NULL});
    write_file("keys.conf", "just words\n");
    expect_error(text, NULL, 0, (const char *[]){"keys.conf:1:", "syntax error", NULL});
    snprintf(text, sizeof text, "[auth]\nkey_file = missing.conf\n%s", good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "[auth] key_file", "missing.conf",
                                                 "No such file", NULL});

    /* A line too long for the INI reader is an error, not two lines. */
    char long_line[400];
    memset(long_line, 'x', 250);
    long_line[250] = '\0';
    snprintf(text, sizeof text, "[keys]\nalice = account=acme user=alice key=%s\n%s", long_line,
             good_backends);
    expect_error(text, NULL, 0, (const char *[]){"skald.ini:2:", "longer than 199 characters", NULL});
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
        cmocka_unit_test_setup_teardown(auth_dev_by_default, setup, teardown),
        cmocka_unit_test_setup_teardown(auth_dev_refuses_non_loopback, setup, teardown),
        cmocka_unit_test_setup_teardown(auth_root_key_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(auth_user_keys_and_key_file, setup, teardown),
        cmocka_unit_test_setup_teardown(auth_errors, setup, teardown),
        cmocka_unit_test(missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
