#include "plugin_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void plugin_vformat(char *err, size_t err_cap, const char *fmt, va_list ap)
{
    if (err && err_cap > 0)
        vsnprintf(err, err_cap, fmt, ap);
}

int plugin_fail(char *err, size_t err_cap, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    plugin_vformat(err, err_cap, fmt, ap);
    va_end(ap);
    return rc;
}

int plugin_call_fail(const struct skald_call_ctx *ctx, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    plugin_vformat(ctx->err, ctx->err_cap, fmt, ap);
    va_end(ap);
    return rc;
}

int plugin_config_check_keys(const struct skald_host *host, const char *const *allowed, char *err,
                             size_t err_cap)
{
    for (size_t i = 0; i < host->config_count; i++) {
        int known = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, host->config[i].key) == 0)
                known = 1;
        if (!known)
            return plugin_fail(err, err_cap, SKALD_EINVAL, "unknown key '%s'", host->config[i].key);
    }
    return SKALD_OK;
}

int plugin_config_u64(const struct skald_host *host, const char *key, uint64_t def, uint64_t min,
                      uint64_t max, uint64_t *out, char *err, size_t err_cap)
{
    const char *v = skald_config_get(host, key);
    if (!v) {
        *out = def;
        return SKALD_OK;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end != '\0' || v[0] == '-' || n < min || n > max)
        return plugin_fail(err, err_cap, SKALD_EINVAL,
                           "key '%s': '%s' is not a whole number from %llu to %llu", key, v,
                           (unsigned long long)min, (unsigned long long)max);
    *out = (uint64_t)n;
    return SKALD_OK;
}

int plugin_config_double(const struct skald_host *host, const char *key, double def, double min,
                         double max, double *out, char *err, size_t err_cap)
{
    const char *v = skald_config_get(host, key);
    if (!v) {
        *out = def;
        return SKALD_OK;
    }
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end != '\0' || !(d >= min && d <= max))
        return plugin_fail(err, err_cap, SKALD_EINVAL, "key '%s': '%s' is not a number from %g to %g",
                           key, v, min, max);
    *out = d;
    return SKALD_OK;
}

int plugin_config_bool(const struct skald_host *host, const char *key, int def, int *out, char *err,
                       size_t err_cap)
{
    static const char *const yes[] = {"1", "on", "true", "yes"};
    static const char *const no[] = {"0", "off", "false", "no"};
    const char *v = skald_config_get(host, key);
    if (!v) {
        *out = def;
        return SKALD_OK;
    }
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return SKALD_OK;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return SKALD_OK;
        }
    }
    return plugin_fail(err, err_cap, SKALD_EINVAL, "key '%s': '%s' is not on/off", key, v);
}

const char *plugin_config_str(const struct skald_host *host, const char *key, const char *def)
{
    const char *v = skald_config_get(host, key);
    return v ? v : def;
}

char *plugin_path_in_data_dir(const struct skald_host *host, const char *name)
{
    if (name[0] == '/')
        return strdup(name);
    size_t len = strlen(host->data_dir) + 1 + strlen(name) + 1;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", host->data_dir, name);
    return p;
}

int plugin_call_sleep_until(const struct skald_host *host, const struct skald_call_ctx *ctx,
                            int64_t until_ns)
{
    for (;;) {
        int64_t now = host->now_monotonic_ns();
        int rc = skald_call_check(ctx, now);
        if (rc != SKALD_OK || now >= until_ns)
            return rc;
        int64_t left = until_ns - now;
        struct timespec nap = {0, left < 10000000 ? (long)left : 10000000L};
        nanosleep(&nap, NULL);
    }
}
