/* skaldctl: global options, then one command of the table below. */
#include "ctl_cmd.h"
#include "ctl_config.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
    const char *name;
    ctl_cmd_fn fn;
    const char *summary;
};

static const struct command commands[] = {
    {"health", ctl_cmd_health, "whether the server lives"},
    {"status", ctl_cmd_status, "version, uptime, plugins, queue, last reload"},
    {"reload", ctl_cmd_reload, "reload the server's configuration"},
    {"queue", ctl_cmd_queue, "pending, leased and dead items per topic"},
    {"lanes", ctl_cmd_lanes, "busy session lanes"},
    {"wait", ctl_cmd_wait, "wait until queued background work is done"},
    {"task", ctl_cmd_task, "list, show or cancel tasks"},
    {"reindex", ctl_cmd_reindex, "rebuild summaries and vectors under a URI"},
    {"consistency", ctl_cmd_consistency, "compare a subtree's vectors with the index"},
    {"session", ctl_cmd_session, "create, list, show, add to, commit or delete sessions"},
    {"ls", ctl_cmd_ls, "list a directory"},
    {"tree", ctl_cmd_tree, "a directory and everything below it"},
    {"stat", ctl_cmd_stat, "metadata of one node"},
    {"read", ctl_cmd_read, "the content of a file"},
    {"abstract", ctl_cmd_abstract, "the abstract (L0) of a node"},
    {"overview", ctl_cmd_overview, "the overview (L1) of a node"},
    {"mkdir", ctl_cmd_mkdir, "create a directory"},
    {"rm", ctl_cmd_rm, "remove a node"},
    {"mv", ctl_cmd_mv, "move or rename"},
    {"write", ctl_cmd_write, "write a file from -f FILE or stdin"},
    {"add-resource", ctl_cmd_add_resource, "import a local file or directory, or a URL"},
    {"find", ctl_cmd_find, "semantic retrieval"},
    {"search", ctl_cmd_search, "retrieval with session context"},
    {"grep", ctl_cmd_grep, "lines matching a pattern under a URI"},
    {"glob", ctl_cmd_glob, "URIs matching a glob pattern"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: skaldctl [-u URL] [-k KEY] [-o table|json] COMMAND [ARGS]\n"
               "       skaldctl COMMAND --help\n\n"
               "  -u, --url URL       server (default $SKALD_URL, url in skaldctl.ini, or\n"
               "                      http://127.0.0.1:1933)\n"
               "  -k, --api-key KEY   API key sent as X-API-Key (default $SKALD_API_KEY or\n"
               "                      api_key in skaldctl.ini)\n"
               "  -o, --output FMT    table (default) or json\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"url", required_argument, NULL, 'u'},
                                             {"api-key", required_argument, NULL, 'k'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    /* Precedence: options, then the environment, then the INI file, then the default. */
    char ini_url[2048], ini_key[1024], err[4200];
    if (ctl_config_load(ini_url, sizeof ini_url, ini_key, sizeof ini_key, err, sizeof err) != 0) {
        fprintf(stderr, "skaldctl: %s\n", err);
        return CTL_USAGE;
    }
    const char *env_url = getenv("SKALD_URL");
    const char *env_key = getenv("SKALD_API_KEY");
    struct ctl c = {.url = env_url && *env_url ? env_url : ini_url[0] ? ini_url : "http://127.0.0.1:1933",
                    .api_key = env_key && *env_key ? env_key : ini_key[0] ? ini_key : NULL,
                    .json = 0};
    int opt;
    opterr = 0;
    /* '+' stops at the command name: what follows belongs to the command's own parser. */
    while ((opt = getopt_long(argc, argv, "+u:k:o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'u':
            c.url = optarg;
            break;
        case 'k':
            c.api_key = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "json") == 0)
                c.json = 1;
            else if (strcmp(optarg, "table") == 0)
                c.json = 0;
            else {
                fprintf(stderr, "skaldctl: -o takes table or json\n");
                return CTL_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return CTL_OK;
        default:
            usage(stderr);
            return CTL_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return CTL_USAGE;
    }
    /* The routes are appended to the URL, so a trailing slash would double theirs. */
    char url[2048];
    size_t len = strlen(c.url);
    while (len > 0 && c.url[len - 1] == '/')
        len--;
    if (len == 0 || len >= sizeof url) {
        fprintf(stderr, "skaldctl: bad server URL\n");
        return CTL_USAGE;
    }
    memcpy(url, c.url, len);
    url[len] = '\0';
    c.url = url;

    const char *name = argv[optind];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name) != 0)
            continue;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            fprintf(stderr, "skaldctl: cannot initialise libcurl\n");
            return CTL_NO_CONNECT;
        }
        int rc = commands[i].fn(&c, argc - optind, argv + optind);
        curl_global_cleanup();
        return rc;
    }
    fprintf(stderr, "skaldctl: unknown command '%s'\n", name);
    usage(stderr);
    return CTL_USAGE;
}
