#include "ctl_cmd.h"
#include "ctl_output.h"

#include <getopt.h>
#include <stdio.h>

int ctl_args(int argc, char **argv, const char *usage, const char *shortopts, const struct option *longopts,
             int (*on_opt)(int opt, const char *arg, void *ctx), void *ctx, int min, int max, int *pos)
{
    static const struct option help_only[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    char spec[64];
    /* GNU getopt permutes, so options may follow the positionals ("find Q --limit 3"); a leading
     * ':' reports a missing option argument as ':' instead of printing getopt's own message. */
    int n = snprintf(spec, sizeof spec, ":h%s", shortopts ? shortopts : "");
    if (n < 0 || (size_t)n >= sizeof spec)
        return CTL_USAGE;
    /* 0 rather than 1 makes glibc reinitialise its state for this new argv. */
    optind = 0;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, spec, longopts ? longopts : help_only, NULL)) != -1) {
        if (opt == 'h') {
            printf("usage: skaldctl %s\n", usage);
            return -1;
        }
        if (opt == '?' || opt == ':' || !on_opt || on_opt(opt, optarg, ctx) != 0) {
            fprintf(stderr, "usage: skaldctl %s\n", usage);
            return CTL_USAGE;
        }
    }
    int count = argc - optind;
    if (count < min || count > max) {
        fprintf(stderr, "usage: skaldctl %s\n", usage);
        return CTL_USAGE;
    }
    *pos = optind;
    return CTL_OK;
}

int ctl_report(const struct ctl *c, int rc, json_t *result, const char *err, const char *pick,
               const char *const *columns)
{
    if (rc != CTL_OK) {
        fprintf(stderr, "skaldctl: %s\n", err);
        return rc;
    }
    json_t *shown = pick && json_is_object(result) && json_object_get(result, pick) && !c->json
                        ? json_object_get(result, pick)
                        : result;
    if (ctl_print(shown, c->json, columns) != 0) {
        fprintf(stderr, "skaldctl: cannot write the output\n");
        rc = CTL_SERVER_ERROR;
    }
    json_decref(result);
    return rc;
}

int ctl_run(const struct ctl *c, const char *method, const char *path, json_t *body, const char *pick,
            const char *const *columns)
{
    json_t *result;
    char err[1024];
    int rc = ctl_call(c, method, path, body, &result, err, sizeof err);
    json_decref(body);
    return ctl_report(c, rc, result, err, pick, columns);
}
