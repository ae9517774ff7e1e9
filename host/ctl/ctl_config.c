#include "ctl_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int config_path(char *out, size_t len)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;
    /* The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored. */
    if (xdg && xdg[0] == '/')
        n = snprintf(out, len, "%s/skald/skaldctl.ini", xdg);
    else if (home && *home)
        n = snprintf(out, len, "%s/.config/skald/skaldctl.ini", home);
    else
        return -1;
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int ctl_config_load(char *url, size_t url_len, char *key, size_t key_len, char *err, size_t errlen)
{
    url[0] = key[0] = '\0';
    char path[4096];
    if (config_path(path, sizeof path) != 0)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int line_no = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line_no++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';' || *s == '[')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected key = value", path, line_no);
            rc = -1;
            break;
        }
        *eq = '\0';
        const char *k = trim(s);
        const char *v = trim(eq + 1);
        char *dst = strcmp(k, "url") == 0 ? url : strcmp(k, "api_key") == 0 ? key : NULL;
        size_t cap = dst == url ? url_len : key_len;
        /* Unknown keys are skipped so that the file can grow without breaking older clients. */
        if (dst && (size_t)snprintf(dst, cap, "%s", v) >= cap) {
            snprintf(err, errlen, "%s:%d: value too long", path, line_no);
            rc = -1;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}
