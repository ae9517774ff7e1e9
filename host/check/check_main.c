/*
 * skald-plugin-check: loads one plugin the way the daemon does and checks it against the ABI
 * contract of its kind, so a plugin author learns what is wrong before a user's daemon refuses it.
 *
 *   skald-plugin-check [-o key=value]... [-d data_dir] PLUGIN.so [key=value]...
 *
 * Prints one line per check and `N passed, N failed` last. Exit 0 when everything passed, 1 when
 * a check failed, 2 on a usage error.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check_session.h"
#include "core/log.h"

static void check_usage(void)
{
    fprintf(stderr, "usage: skald-plugin-check [-o key=value]... [-d data_dir] PLUGIN.so "
                    "[key=value]...\n"
                    "  key=value     a key of the plugin's config section (-o key=value alike)\n"
                    "  -d data_dir   data dir handed to the plugin (default: a fresh temporary one,"
                    " removed afterwards)\n");
}

static int check_remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    if (remove(path) != 0)
        perror(path);
    return 0;
}

/* Parses "key=value" into a config entry pointing into arg (argv lives for the whole run). */
static int check_parse_option(char *arg, struct skald_config_entry *e)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return -1;
    *eq = '\0';
    e->key = arg;
    e->value = eq + 1;
    return 0;
}

static void check_kind(struct check_session *s, struct plugin_instance *inst)
{
    switch (s->module->kind) {
    case SKALD_KIND_EMBEDDING: check_embedding(s, inst); break;
    case SKALD_KIND_VLM: check_vlm(s, inst); break;
    case SKALD_KIND_RERANK: check_rerank(s, inst); break;
    case SKALD_KIND_VECTOR: check_vector(s, inst); break;
    case SKALD_KIND_QUEUE: check_queue(s, inst); break;
    default: break;
    }
}

int main(int argc, char **argv)
{
    static struct check_session s;
    struct skald_config_entry *opts = calloc((size_t)argc, sizeof *opts);
    const char *data_dir = NULL;
    int opt;
    if (!opts) {
        fprintf(stderr, "skald-plugin-check: out of memory\n");
        return 2;
    }
    while ((opt = getopt(argc, argv, "o:d:h")) != -1) {
        if (opt == 'o' && check_parse_option(optarg, &opts[s.config_count]) == 0) {
            s.config_count++;
        } else if (opt == 'd') {
            data_dir = optarg;
        } else {
            if (opt == 'o')
                fprintf(stderr, "skald-plugin-check: -o wants key=value, got '%s'\n", optarg);
            check_usage();
            free(opts);
            return 2;
        }
    }
    int bad_usage = optind >= argc;
    for (int i = optind + 1; i < argc && !bad_usage; i++) {
        if (check_parse_option(argv[i], &opts[s.config_count]) == 0) {
            s.config_count++;
        } else {
            fprintf(stderr, "skald-plugin-check: '%s' is not key=value\n", argv[i]);
            bad_usage = 1;
        }
    }
    if (bad_usage) {
        check_usage();
        free(opts);
        return 2;
    }
    s.config = opts;
    log_set_level(LOG_LEVEL_WARN);

    char scratch[] = "/tmp/skald-check.XXXXXX";
    if (!mkdtemp(scratch)) {
        perror("skald-plugin-check: mkdtemp");
        free(opts);
        return 2;
    }
    s.data_dir = data_dir ? data_dir : scratch;
    char cache_dir[sizeof scratch + 16];
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", scratch);

    char path[PATH_MAX];
    char err[1024] = "";
    if (!realpath(argv[optind], path)) {
        snprintf(err, sizeof err, "%s: %s", argv[optind], strerror(errno));
    } else {
        s.module = plugin_module_open(path, cache_dir, err, sizeof err);
    }
    if (check_result(&s.report, s.module != NULL, "load", "%s", err)) {
        s.section = plugin_kind_name(s.module->kind);
        printf("plugin %s %s: %s, ABI %u.%u, \"%s\"\n", s.module->name, s.module->version,
               s.section, s.module->abi_major, s.module->abi_minor,
               s.module->description ? s.module->description : "");

        static const char *const unknown_key[] = {"skald_check_no_such_key", "1", NULL};
        struct plugin_instance *bad = check_instance_create(&s, unknown_key, err, sizeof err);
        check_result(&s.report, bad == NULL, "create refuses an unknown config key",
                     "create succeeded with key 'skald_check_no_such_key'");
        if (bad)
            plugin_instance_destroy(bad);
        else
            check_result(&s.report, strstr(err, "skald_check_no_such_key") != NULL,
                         "the refusal names the key", "message was '%s'", err);

        struct plugin_instance *inst = check_instance_create(&s, NULL, err, sizeof err);
        if (check_result(&s.report, inst != NULL, "create", "%s", err)) {
            check_kind(&s, inst);
            plugin_instance_destroy(inst);
            check_result(&s.report, 1, "destroy", "%s", "");
        }
        plugin_module_unref(s.module);
    }
    nftw(scratch, check_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(opts);
    return check_report_finish(&s.report);
}
