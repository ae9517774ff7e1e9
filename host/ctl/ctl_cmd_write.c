/* write: a file's content from -f FILE, else standard input, sent whole to content/write. */
#include "ctl_cmd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct write_opts {
    const char *file;
    const char *mode;
    int wait;
};

static int write_opt(int opt, const char *arg, void *ctx)
{
    struct write_opts *o = ctx;
    if (opt == 'f')
        o->file = arg;
    else if (opt == 'm')
        o->mode = arg;
    else if (opt == 'w')
        o->wait = 1;
    else
        return -1;
    return 0;
}

/* The whole stream into one buffer (the API takes the content in one request); *len is its
 * size. NULL with err set on failure. */
static char *slurp(FILE *f, size_t *len, char *err, size_t errlen)
{
    size_t cap = 65536, used = 0;
    char *data = malloc(cap);
    if (!data) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (;;) {
        size_t n = fread(data + used, 1, cap - used, f);
        used += n;
        if (used < cap) {
            if (ferror(f)) {
                snprintf(err, errlen, "read error: %s", strerror(errno));
                free(data);
                return NULL;
            }
            break;
        }
        char *grown = cap > SIZE_MAX / 2 ? NULL : realloc(data, cap * 2);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            free(data);
            return NULL;
        }
        data = grown;
        cap *= 2;
    }
    *len = used;
    return data;
}

int ctl_cmd_write(const struct ctl *c, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"file", required_argument, NULL, 'f'},
                                             {"mode", required_argument, NULL, 'm'},
                                             {"wait", no_argument, NULL, 'w'},
                                             {NULL, 0, NULL, 0}};
    struct write_opts o = {0};
    int pos;
    int rc = ctl_args(argc, argv, "write URI [-f FILE] [--mode replace|append|create] [--wait]", "f:m:", longopts,
                      write_opt, &o, 1, 1, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    char err[512];
    FILE *in = o.file ? fopen(o.file, "rb") : stdin;
    if (!in) {
        fprintf(stderr, "skaldctl: %s: %s\n", o.file, strerror(errno));
        return CTL_USAGE;
    }
    size_t len = 0;
    char *data = slurp(in, &len, err, sizeof err);
    if (o.file && fclose(in) != 0 && data) {
        snprintf(err, sizeof err, "close error: %s", strerror(errno));
        free(data);
        data = NULL;
    }
    if (!data) {
        fprintf(stderr, "skaldctl: %s: %s\n", o.file ? o.file : "stdin", err);
        return CTL_USAGE;
    }
    /* json_stringn refuses invalid UTF-8: the API stores text, so that is the user's error. */
    json_t *content = json_stringn(data, len);
    free(data);
    if (!content) {
        fprintf(stderr, "skaldctl: the content is not valid UTF-8 text\n");
        return CTL_USAGE;
    }
    json_t *body = json_pack("{s:s, s:o, s:s*, s:b}", "uri", argv[pos], "content", content, "mode", o.mode,
                             "wait", o.wait);
    if (!body) {
        fprintf(stderr, "skaldctl: the URI or mode is not valid UTF-8\n");
        return CTL_USAGE;
    }
    return ctl_run(c, "POST", "/api/v1/content/write", body, NULL, NULL);
}
