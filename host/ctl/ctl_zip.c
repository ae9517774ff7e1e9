#include "ctl_zip.h"

#include "ctl_http.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

struct zip_walk {
    zip_t *za;
    char *err;
    size_t errlen;
};

/* Adds dir (on disk) under name (in the archive, ending in '/') and everything below it. */
static int zip_tree(struct zip_walk *w, const char *dir, const char *name)
{
    if (zip_dir_add(w->za, name, ZIP_FL_ENC_UTF_8) < 0) {
        snprintf(w->err, w->errlen, "%s: %s", dir, zip_strerror(w->za));
        return CTL_USAGE;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(w->err, w->errlen, "%s: %s", dir, strerror(errno));
        return CTL_USAGE;
    }
    int rc = CTL_OK;
    struct dirent *e;
    errno = 0;
    while (rc == CTL_OK && (e = readdir(d)) != NULL) {
        /* Hidden names are reserved for sidecars: the server skips them, so they are not sent. */
        if (e->d_name[0] == '.') {
            errno = 0;
            continue;
        }
        char path[4096], member[4096];
        int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        int m = snprintf(member, sizeof member, "%s%s", name, e->d_name);
        struct stat st;
        if (n < 0 || (size_t)n >= sizeof path || m < 0 || (size_t)m >= sizeof member) {
            snprintf(w->err, w->errlen, "%s/%s: path too long", dir, e->d_name);
            rc = CTL_USAGE;
        } else if (lstat(path, &st) != 0) {
            snprintf(w->err, w->errlen, "%s: %s", path, strerror(errno));
            rc = CTL_USAGE;
        } else if (S_ISDIR(st.st_mode)) {
            if ((size_t)m + 1 >= sizeof member) {
                snprintf(w->err, w->errlen, "%s: path too long", path);
                rc = CTL_USAGE;
            } else {
                strcat(member, "/");
                rc = zip_tree(w, path, member);
            }
        } else if (S_ISREG(st.st_mode)) {
            /* libzip reads the file (to its end: length -1) when the archive is closed; the
             * type bits say "regular file" to the server, which refuses members of any other. */
            zip_source_t *src = zip_source_file(w->za, path, 0, -1);
            zip_int64_t idx = src ? zip_file_add(w->za, member, src, ZIP_FL_ENC_UTF_8) : -1;
            if (idx < 0) {
                zip_source_free(src);
                snprintf(w->err, w->errlen, "%s: %s", path, zip_strerror(w->za));
                rc = CTL_USAGE;
            } else if (zip_file_set_external_attributes(w->za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
                                                        (zip_uint32_t)(S_IFREG | 0644) << 16) != 0) {
                snprintf(w->err, w->errlen, "%s: %s", path, zip_strerror(w->za));
                rc = CTL_USAGE;
            }
        } else {
            fprintf(stderr, "skaldctl: skipped %s: %s\n", path,
                    S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file or directory");
        }
        errno = 0;
    }
    if (rc == CTL_OK && errno != 0) {
        snprintf(w->err, w->errlen, "%s: %s", dir, strerror(errno));
        rc = CTL_USAGE;
    }
    closedir(d);
    return rc;
}

int ctl_zip_dir(const char *dir, const char *top, const char *zip_path, char *err, size_t errlen)
{
    int zerr;
    zip_t *za = zip_open(zip_path, ZIP_CREATE | ZIP_EXCL, &zerr);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        snprintf(err, errlen, "%s: %s", zip_path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return CTL_USAGE;
    }
    char name[1024];
    int n = snprintf(name, sizeof name, "%s/", top);
    struct zip_walk w = {za, err, errlen};
    int rc = n < 0 || (size_t)n >= sizeof name ? CTL_USAGE : zip_tree(&w, dir, name);
    if (n < 0 || (size_t)n >= sizeof name)
        snprintf(err, errlen, "%s: name too long", dir);
    if (rc != CTL_OK) {
        zip_discard(za);
        return rc;
    }
    if (zip_close(za) != 0) {
        snprintf(err, errlen, "writing %s: %s", zip_path, zip_strerror(za));
        zip_discard(za);
        return CTL_USAGE;
    }
    return CTL_OK;
}
