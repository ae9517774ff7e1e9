/* Index maintenance: reindex and consistency of a subtree. */
#include "ctl_cmd.h"

#include <stdio.h>

struct reindex_opts {
    const char *mode;
    int wait;
};

static int reindex_opt(int opt, const char *arg, void *ctx)
{
    struct reindex_opts *o = ctx;
    if (opt == 'm')
        o->mode = arg;
    else if (opt == 'w')
        o->wait = 1;
    else
        return -1;
    return 0;
}

int ctl_cmd_reindex(const struct ctl *c, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"mode", required_argument, NULL, 'm'},
                                             {"wait", no_argument, NULL, 'w'},
                                             {NULL, 0, NULL, 0}};
    struct reindex_opts o = {0};
    int pos;
    int rc = ctl_args(argc, argv,
                      "reindex URI [--mode vectors_only|semantic_and_vectors|prune_orphans] [--wait]", "m:",
                      longopts, reindex_opt, &o, 1, 1, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    json_t *body = json_pack("{s:s, s:s*, s:b}", "uri", argv[pos], "mode", o.mode, "wait", o.wait);
    if (!body) {
        fprintf(stderr, "skaldctl: the URI or mode is not valid UTF-8\n");
        return CTL_USAGE;
    }
    if (o.wait)
        return ctl_run_progress(c, "POST", "/api/v1/content/reindex", body, NULL, NULL);
    return ctl_run(c, "POST", "/api/v1/content/reindex", body, NULL, NULL);
}

int ctl_cmd_consistency(const struct ctl *c, int argc, char **argv)
{
    int pos;
    int rc = ctl_args(argc, argv, "consistency URI", NULL, NULL, NULL, NULL, 1, 1, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    json_t *body = json_pack("{s:s}", "uri", argv[pos]);
    if (!body) {
        fprintf(stderr, "skaldctl: the URI is not valid UTF-8\n");
        return CTL_USAGE;
    }
    return ctl_run(c, "POST", "/api/v1/system/consistency", body, NULL, NULL);
}
