#include "core/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_max_level = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level max) { atomic_store(&log_max_level, (int)max); }

int log_level_parse(const char *text, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, log_level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_writev(enum log_level level, const char *fmt, va_list ap)
{
    if ((int)level > atomic_load(&log_max_level))
        return;
    struct timespec ts;
    struct tm tm;
    char line[2048];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, ".%03ldZ %-5s ", ts.tv_nsec / 1000000L,
                  log_level_names[level]);
    int body = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t len = (size_t)n + (body > 0 ? (size_t)body : 0);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    /* One write() per line keeps lines from different threads whole. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_writev(level, fmt, ap);
    va_end(ap);
}
