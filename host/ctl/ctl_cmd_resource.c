/* add-resource: a local file through temp_upload, or a public URL, imported by POST /resources. */
#include "ctl_cmd.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct resource_opts {
    const char *to;
    int wait;
};

static int resource_opt(int opt, const char *arg, void *ctx)
{
    struct resource_opts *o = ctx;
    if (opt == 't')
        o->to = arg;
    else if (opt == 'w')
        o->wait = 1;
    else
        return -1;
    return 0;
}

int ctl_cmd_add_resource(const struct ctl *c, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"to", required_argument, NULL, 't'},
                                             {"wait", no_argument, NULL, 'w'},
                                             {NULL, 0, NULL, 0}};
    struct resource_opts o = {0};
    int pos;
    int rc = ctl_args(argc, argv, "add-resource FILE|URL [--to URI] [--wait]", "t:", longopts, resource_opt, &o,
                      1, 1, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    const char *src = argv[pos];
    int is_url = strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0;
    json_t *body = json_pack("{s:s*, s:b}", "to", o.to, "wait", o.wait);
    if (!body) {
        fprintf(stderr, "skaldctl: the target URI is not valid UTF-8\n");
        return CTL_USAGE;
    }
    char err[1024];
    if (is_url) {
        if (json_object_set_new(body, "path", json_string(src)) != 0) {
            json_decref(body);
            fprintf(stderr, "skaldctl: the URL is not valid UTF-8\n");
            return CTL_USAGE;
        }
    } else {
        struct stat st;
        /* Only regular files are uploaded as they are; a directory would have to be zipped first. */
        if (stat(src, &st) != 0 || !S_ISREG(st.st_mode)) {
            json_decref(body);
            fprintf(stderr, "skaldctl: %s: not a readable regular file\n", src);
            return CTL_USAGE;
        }
        json_t *up;
        rc = ctl_upload(c, "/api/v1/resources/temp_upload", src, &up, err, sizeof err);
        if (rc != CTL_OK) {
            json_decref(body);
            fprintf(stderr, "skaldctl: %s\n", err);
            return rc;
        }
        json_t *id = json_object_get(up, "temp_file_id");
        int set = json_is_string(id) ? json_object_set(body, "temp_file_id", id) : -1;
        json_decref(up);
        if (set != 0) {
            json_decref(body);
            fprintf(stderr, "skaldctl: temp_upload answered without a temp_file_id\n");
            return CTL_SERVER_ERROR;
        }
    }
    return ctl_run(c, "POST", "/api/v1/resources", body, NULL, NULL);
}
