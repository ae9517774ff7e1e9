/*
 * Shared by the config loader's files (config.c, config_auth.c); not for the rest of the daemon.
 */
#ifndef SKALD_CONFIG_INTERNAL_H
#define SKALD_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include <ini.h>

#include "config/config.h"

/* One key/value line before validation, with its line (0 for a -o override). */
struct raw_entry {
    char *section;
    char *key;
    char *value;
    int line;
};

/* Where error messages point: the file being read and the caller's buffer. */
struct err_ctx {
    const char *path;
    char *err;
    size_t cap;
};

/* Writes "FILE:LINE: [section] key: why" into ec->err (line 0: "(-o override)"; line < 0 and
 * section or key NULL leave those parts out). Returns -1. */
int config_error(const struct err_ctx *ec, int line, const char *section, const char *key,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* inih over an open file, counting lines into *line (inih reports none in this Debian build).
 * Returns inih's result, or -2 with *too_long_line set when a line does not fit inih's buffer. */
int config_ini_parse(FILE *f, int *line, int *too_long_line, ini_handler handler, void *user);

/* name if absolute, else dir/name; NULL when out of memory. The caller frees. */
char *config_path_join(const char *dir, const char *name);

/* Builds cfg->auth and cfg->server.auth_mode from the [auth] and [keys] entries of raw (and the
 * key file [auth] names). listen_line is where [server] listen was set (-1: the default). */
int config_auth_build(const struct raw_entry *raw, size_t n_raw, const char *cfg_dir,
                      int listen_line, struct config *cfg, const struct err_ctx *ec);

/* Builds cfg->sessions from the [sessions] entries of raw (defaults for absent keys). */
int config_sessions_build(const struct raw_entry *raw, size_t n_raw, struct config *cfg,
                          const struct err_ctx *ec);

#endif
