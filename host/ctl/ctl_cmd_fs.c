/* The viking:// tree: ls, tree, stat, read, abstract, overview, mkdir, rm, mv. */
#include "ctl_cmd.h"

#include <stdio.h>
#include <string.h>

static const char *const entry_cols[] = {"uri", "isDir", "size", "modTime", NULL};

/* COMMAND URI as a GET with ?uri=. */
static int get_uri(const struct ctl *c, int argc, char **argv, const char *usage, const char *route,
                   const char *const *columns)
{
    int pos;
    int rc = ctl_args(argc, argv, usage, NULL, NULL, NULL, NULL, 1, 1, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    char path[8192];
    if (ctl_path_query(path, sizeof path, route, "uri", argv[pos], NULL) != CTL_OK) {
        fprintf(stderr, "skaldctl: URI too long\n");
        return CTL_USAGE;
    }
    return ctl_run(c, "GET", path, NULL, NULL, columns);
}

int ctl_cmd_ls(const struct ctl *c, int argc, char **argv)
{
    return get_uri(c, argc, argv, "ls URI", "/api/v1/fs/ls", entry_cols);
}

int ctl_cmd_tree(const struct ctl *c, int argc, char **argv)
{
    return get_uri(c, argc, argv, "tree URI", "/api/v1/fs/tree", entry_cols);
}

int ctl_cmd_stat(const struct ctl *c, int argc, char **argv)
{
    return get_uri(c, argc, argv, "stat URI", "/api/v1/fs/stat", NULL);
}

int ctl_cmd_read(const struct ctl *c, int argc, char **argv)
{
    return get_uri(c, argc, argv, "read URI", "/api/v1/content/read", NULL);
}

int ctl_cmd_abstract(const struct ctl *c, int argc, char **argv)
{
    return get_uri(c, argc, argv, "abstract URI", "/api/v1/content/abstract", NULL);
}

int ctl_cmd_overview(const struct ctl *c, int argc, char **argv)
{
    return get_uri(c, argc, argv, "overview URI", "/api/v1/content/overview", NULL);
}

int ctl_cmd_mkdir(const struct ctl *c, int argc, char **argv)
{
    int pos;
    int rc = ctl_args(argc, argv, "mkdir URI", NULL, NULL, NULL, NULL, 1, 1, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    json_t *body = json_pack("{s:s}", "uri", argv[pos]);
    if (!body) {
        fprintf(stderr, "skaldctl: the URI is not valid UTF-8\n");
        return CTL_USAGE;
    }
    return ctl_run(c, "POST", "/api/v1/fs/mkdir", body, NULL, NULL);
}

static int rm_opt(int opt, const char *arg, void *ctx)
{
    (void)arg;
    if (opt != 'r')
        return -1;
    *(int *)ctx = 1;
    return 0;
}

int ctl_cmd_rm(const struct ctl *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, {"recursive", no_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
    int recursive = 0, pos;
    int rc = ctl_args(argc, argv, "rm [-r|--recursive] URI", "r", longopts, rm_opt, &recursive, 1, 1, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    char path[8192];
    if (ctl_path_query(path, sizeof path, "/api/v1/fs", "uri", argv[pos], "recursive",
                       recursive ? "true" : NULL, NULL) != CTL_OK) {
        fprintf(stderr, "skaldctl: URI too long\n");
        return CTL_USAGE;
    }
    return ctl_run(c, "DELETE", path, NULL, NULL, NULL);
}

int ctl_cmd_mv(const struct ctl *c, int argc, char **argv)
{
    int pos;
    int rc = ctl_args(argc, argv, "mv FROM TO", NULL, NULL, NULL, NULL, 2, 2, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    json_t *body = json_pack("{s:s, s:s}", "from_uri", argv[pos], "to_uri", argv[pos + 1]);
    if (!body) {
        fprintf(stderr, "skaldctl: the URIs are not valid UTF-8\n");
        return CTL_USAGE;
    }
    return ctl_run(c, "POST", "/api/v1/fs/mv", body, NULL, NULL);
}
