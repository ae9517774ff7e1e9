/*
 * Process-wide logging to stderr: one line per call, with UTC time and level, as text or as one
 * JSON object per line. Thread-safe. Once log_async_start() has run, lines go through a bounded
 * in-memory ring drained by a writer thread, so no caller (the HTTP threads above all) ever waits
 * on stderr; a full ring drops lines and counts them instead of blocking.
 */
#ifndef SKALD_CORE_LOG_H
#define SKALD_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN = 1, LOG_LEVEL_INFO = 2, LOG_LEVEL_DEBUG = 3 };
enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON = 1 };

/* Lines above `max` are dropped. Default LOG_LEVEL_INFO. */
void log_set_level(enum log_level max);
/* Whether a line at `level` would be written (skip building fields when not). */
int log_enabled(enum log_level level);
/* Parses "error|warn|info|debug"; returns 0 and sets *out, or -1. */
int log_level_parse(const char *text, enum log_level *out);

/* Default LOG_FORMAT_TEXT. */
void log_set_format(enum log_format format);
/* Parses "text|json"; returns 0 and sets *out, or -1. */
int log_format_parse(const char *text, enum log_format *out);

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_writev(enum log_level level, const char *fmt, va_list ap);

/* A named value attached to a line: `key=value` in text, a member of the object in JSON. */
enum log_field_type { LOG_FIELD_STR, LOG_FIELD_INT, LOG_FIELD_NUM };
struct log_field {
    const char *key;
    enum log_field_type type;
    const char *str; /* LOG_FIELD_STR; NULL is written as null / "-" */
    long long i;     /* LOG_FIELD_INT */
    double num;      /* LOG_FIELD_NUM */
};
#define LOG_STR(k, v) ((struct log_field){.key = (k), .type = LOG_FIELD_STR, .str = (v)})
#define LOG_INT(k, v) ((struct log_field){.key = (k), .type = LOG_FIELD_INT, .i = (long long)(v)})
#define LOG_NUM(k, v) ((struct log_field){.key = (k), .type = LOG_FIELD_NUM, .num = (double)(v)})

/* One line with a fixed message and fields (keys: [a-z_]+, never secrets). */
void log_fields(enum log_level level, const char *msg, const struct log_field *fields, size_t n);

/* Starts the writer thread (lines are queued from then on). Returns 0, or -1 with err. */
int log_async_start(char *err, size_t err_cap);
/* Writes out what is queued, stops the writer and goes back to direct writes. */
void log_async_stop(void);
/* Lines dropped because the ring was full. */
uint64_t log_dropped(void);

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
