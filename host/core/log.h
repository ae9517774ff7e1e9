/* Process-wide logging to stderr: one line per call, with UTC time and level. Thread-safe. */
#ifndef SKALD_CORE_LOG_H
#define SKALD_CORE_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN = 1, LOG_LEVEL_INFO = 2, LOG_LEVEL_DEBUG = 3 };

/* Lines above `max` are dropped. Default LOG_LEVEL_INFO. */
void log_set_level(enum log_level max);
/* Parses "error|warn|info|debug"; returns 0 and sets *out, or -1. */
int log_level_parse(const char *text, enum log_level *out);

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_writev(enum log_level level, const char *fmt, va_list ap);

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
