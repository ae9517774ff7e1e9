/* Helpers shared by the in-tree plugins: config checks and error messages. Static-linked into each
 * plugin, so no plugin depends on a host symbol. */
#ifndef SKALD_PLUGIN_UTIL_H
#define SKALD_PLUGIN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <skald/plugin.h>

/* snprintf into err (NULL-safe, always NUL-terminated); returns `rc` for one-line error returns. */
int plugin_fail(char *err, size_t err_cap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Same, into a call context's error buffer. */
int plugin_call_fail(const struct skald_call_ctx *ctx, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sleeps until host's monotonic clock reaches until_ns (INT64_MAX: until stopped), in naps of at
 * most 10 ms, returning early with ctx's status once its deadline passes or it is cancelled.
 * SKALD_OK when until_ns was reached. */
int plugin_call_sleep_until(const struct skald_host *host, const struct skald_call_ctx *ctx,
                            int64_t until_ns);

/* Fails with SKALD_EINVAL naming the first key of host->config not in `allowed` (NULL-terminated). */
int plugin_config_check_keys(const struct skald_host *host, const char *const *allowed, char *err,
                             size_t err_cap);

/* Reads an unsigned integer key; absent = def. Out of [min, max] or not a number: SKALD_EINVAL
 * with a message naming the key. */
int plugin_config_u64(const struct skald_host *host, const char *key, uint64_t def, uint64_t min,
                      uint64_t max, uint64_t *out, char *err, size_t err_cap);

/* Reads a decimal number key; absent = def. Out of [min, max] or not a number: SKALD_EINVAL. */
int plugin_config_double(const struct skald_host *host, const char *key, double def, double min,
                         double max, double *out, char *err, size_t err_cap);

/* Reads a boolean key (on/off, true/false, yes/no, 1/0); absent = def. */
int plugin_config_bool(const struct skald_host *host, const char *key, int def, int *out, char *err,
                       size_t err_cap);

/* Reads a string key; absent = def (may be NULL). The result is borrowed from host->config. */
const char *plugin_config_str(const struct skald_host *host, const char *key, const char *def);

/* Joins data_dir and a relative file name (an absolute name is kept) into a malloc'ed string the
 * caller frees; NULL on allocation failure. */
char *plugin_path_in_data_dir(const struct skald_host *host, const char *name);

#endif
