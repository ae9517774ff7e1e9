/* The [sessions] config section: defaults, the derived abort threshold, -o overrides, and errors
 * that name the file, line, section and key. */
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

static const char backends[] = "[embedding]\nplugin = embed_hash\n[vlm]\nplugin = vlm_extractive\n"
                               "[vector]\nplugin = vector_flat\n[queue]\nplugin = queue_sqlite\n";

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/skald-sessions-config-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/skald.ini", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return rmdir(dir);
}

static int load(const char *sessions, const struct config_override *o, size_t n_o,
                struct config **cfg, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s%s", sessions, backends);
    fclose(f);
    *cfg = NULL;
    return config_load(path, o, n_o, cfg, err, err_cap);
}

static void defaults(void **state)
{
    (void)state;
    struct config *cfg;
    char err[512];
    assert_int_equal(load("", NULL, 0, &cfg, err, sizeof err), 0);
    const struct session_config *s = &cfg->sessions;
    assert_int_equal(s->watch_interval_ms, 30000);
    assert_int_equal(s->stuck_warn_ms, 120000);
    assert_int_equal(s->stuck_abort_ms, 360000); /* max(5 min, 3 x warn) */
    assert_int_equal(s->abort_settle_ms, 15000);
    assert_int_equal(s->max_extractions, 2);
    assert_int_equal(s->max_attempts, 5);
    config_free(cfg);
}

static void thresholds(void **state)
{
    (void)state;
    struct config *cfg;
    char err[512];
    assert_int_equal(load("[sessions]\nstuck_warn_ms = 200000\nwatch_interval_ms = 100\n", NULL, 0,
                          &cfg, err, sizeof err),
                     0);
    assert_int_equal(cfg->sessions.stuck_abort_ms, 600000);
    assert_int_equal(cfg->sessions.watch_interval_ms, 100);
    config_free(cfg);
    /* An explicit abort threshold below the warning is raised to it. */
    assert_int_equal(load("[sessions]\nstuck_warn_ms = 5000\nstuck_abort_ms = 1000\n", NULL, 0, &cfg,
                          err, sizeof err),
                     0);
    assert_int_equal(cfg->sessions.stuck_abort_ms, 5000);
    config_free(cfg);
    struct config_override o = {"sessions", "max_extractions", "7"};
    assert_int_equal(load("", &o, 1, &cfg, err, sizeof err), 0);
    assert_int_equal(cfg->sessions.max_extractions, 7);
    config_free(cfg);
}

static void errors_name_the_key(void **state)
{
    (void)state;
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"[sessions]\nnope = 1\n", "skald.ini:2: [sessions] nope: unknown key"},
        {"[sessions]\nmax_extractions = 0\n", "[sessions] max_extractions: '0' is not a whole number from 1 to 64"},
        {"\n[sessions]\nwatch_interval_ms = 10\n", "skald.ini:3: [sessions] watch_interval_ms"},
        {"[sessions]\nstuck_warn_ms = 2s\n", "[sessions] stuck_warn_ms: '2s'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config *cfg;
        char err[512] = "";
        assert_int_equal(load(cases[i].text, NULL, 0, &cfg, err, sizeof err), -1);
        assert_null(cfg);
        if (!strstr(err, cases[i].needle))
            fail_msg("error '%s' lacks '%s'", err, cases[i].needle);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(thresholds, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_name_the_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
