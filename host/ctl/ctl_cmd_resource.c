/* add-resource: a local file or directory (zipped) through temp_upload, or a public URL,
 * imported by POST /resources. */
#include "ctl_cmd.h"
#include "ctl_zip.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Uploads file through temp_upload and sets its temp_file_id in body. */
static int upload(const struct ctl *c, const char *file, json_t *body)
{
    char err[1024];
    json_t *up;
    int rc = ctl_upload(c, "/api/v1/resources/temp_upload", file, &up, err, sizeof err);
    if (rc != CTL_OK) {
        fprintf(stderr, "skaldctl: %s\n", err);
        return rc;
    }
    json_t *id = json_object_get(up, "temp_file_id");
    int set = json_is_string(id) ? json_object_set(body, "temp_file_id", id) : -1;
    json_decref(up);
    if (set != 0) {
        fprintf(stderr, "skaldctl: temp_upload answered without a temp_file_id\n");
        return CTL_SERVER_ERROR;
    }
    return CTL_OK;
}

/* Zips dir into a private temporary folder as NAME.zip (NAME: the directory's own name, which
 * the server gives the resource root), uploads it and removes it again. */
static int upload_dir(const struct ctl *c, const char *dir, json_t *body)
{
    char real[PATH_MAX], tmp[PATH_MAX], zip_path[PATH_MAX + 300], err[PATH_MAX + 512];
    if (!realpath(dir, real)) {
        fprintf(stderr, "skaldctl: %s: %s\n", dir, strerror(errno));
        return CTL_USAGE;
    }
    /* realpath's answer is absolute without a trailing slash: its last segment is the name. */
    const char *top = strrchr(real, '/') + 1;
    if (!*top) {
        fprintf(stderr, "skaldctl: %s: cannot name a resource after the root folder\n", dir);
        return CTL_USAGE;
    }
    const char *tmpdir = getenv("TMPDIR");
    int n = snprintf(tmp, sizeof tmp, "%s/skaldctl-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (n < 0 || (size_t)n >= sizeof tmp || !mkdtemp(tmp)) {
        fprintf(stderr, "skaldctl: cannot create a temporary folder: %s\n",
                n < 0 || (size_t)n >= sizeof tmp ? "TMPDIR too long" : strerror(errno));
        return CTL_USAGE;
    }
    /* Fits: tmp is under PATH_MAX and a name under NAME_MAX. */
    snprintf(zip_path, sizeof zip_path, "%s/%s.zip", tmp, top);
    int rc = ctl_zip_dir(real, top, zip_path, err, sizeof err);
    if (rc != CTL_OK)
        fprintf(stderr, "skaldctl: %s\n", err);
    else
        rc = upload(c, zip_path, body);
    if ((unlink(zip_path) != 0 && errno != ENOENT) || rmdir(tmp) != 0)
        fprintf(stderr, "skaldctl: cannot remove %s: %s\n", tmp, strerror(errno));
    return rc;
}

int ctl_cmd_add_resource(const struct ctl *c, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"to", required_argument, NULL, 't'},
                                             {"wait", no_argument, NULL, 'w'},
                                             {NULL, 0, NULL, 0}};
    struct resource_opts o = {0};
    int pos;
    int rc = ctl_args(argc, argv, "add-resource FILE|DIR|URL [--to URI] [--wait]", "t:", longopts,
                      resource_opt, &o, 1, 1, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    const char *src = argv[pos];
    int is_url = strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0;
    json_t *body = json_pack("{s:s*, s:b}", "to", o.to, "wait", o.wait);
    if (!body) {
        fprintf(stderr, "skaldctl: the target URI is not valid UTF-8\n");
        return CTL_USAGE;
    }
    struct stat st;
    if (is_url) {
        if (json_object_set_new(body, "path", json_string(src)) != 0) {
            fprintf(stderr, "skaldctl: the URL is not valid UTF-8\n");
            rc = CTL_USAGE;
        }
    } else if (stat(src, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = upload_dir(c, src, body);
    } else if (stat(src, &st) == 0 && S_ISREG(st.st_mode)) {
        rc = upload(c, src, body);
    } else {
        fprintf(stderr, "skaldctl: %s: not a readable regular file or directory\n", src);
        rc = CTL_USAGE;
    }
    if (rc != CTL_OK) {
        json_decref(body);
        return rc;
    }
    if (o.wait)
        return ctl_run_progress(c, "POST", "/api/v1/resources", body, NULL, NULL);
    return ctl_run(c, "POST", "/api/v1/resources", body, NULL, NULL);
}
