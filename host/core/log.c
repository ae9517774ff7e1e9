#include "core/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log_sink.h"

#define LOG_MSG_CAP 2048
#define LOG_LINE_CAP 8192

static atomic_int log_max_level = LOG_LEVEL_INFO;
static atomic_int log_format_current = LOG_FORMAT_TEXT;

static const char *const log_level_names[] = {"error", "warn", "info", "debug"};
static const char *const log_format_names[] = {"text", "json"};

void log_set_level(enum log_level max) { atomic_store(&log_max_level, (int)max); }

int log_enabled(enum log_level level) { return (int)level <= atomic_load(&log_max_level); }

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

void log_set_format(enum log_format format) { atomic_store(&log_format_current, (int)format); }

int log_format_parse(const char *text, enum log_format *out)
{
    for (int i = 0; i < 2; i++) {
        if (strcmp(text, log_format_names[i]) == 0) {
            *out = (enum log_format)i;
            return 0;
        }
    }
    return -1;
}

/* A line under construction; output past the capacity is cut, never overrun. */
struct line {
    char buf[LOG_LINE_CAP];
    size_t len;
};

static size_t room(const struct line *l) { return sizeof l->buf - l->len; }

static void put(struct line *l, const char *s, size_t n)
{
    size_t free_bytes = room(l) - 2; /* "}\n" always fits */
    if (n > free_bytes)
        n = free_bytes;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(struct line *l, const char *s) { put(l, s, strlen(s)); }

static void putf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct line *l, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(l, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
    size_t n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Room a JSON string keeps free so it can always be closed and the object ended. */
#define LOG_JSON_RESERVE 64

/* A JSON string: control characters escaped, invalid UTF-8 replaced, cut (still closed) when the
 * line is full, so every line parses. */
static void put_json_string(struct line *l, const char *s)
{
    put(l, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p && room(l) > LOG_JSON_RESERVE;) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            put(l, esc, 2);
            p++;
        } else if (*p < 0x20) {
            putf(l, "\\u%04x", *p);
            p++;
        } else {
            size_t n = utf8_seq_len(p);
            if (n == 0) {
                puts_(l, "\\ufffd");
                p++;
            } else {
                put(l, (const char *)p, n);
                p += n;
            }
        }
    }
    put(l, "\"", 1);
}

/* A text value: bare when it is one plain word, quoted with escapes otherwise. */
static void put_text_value(struct line *l, const char *s)
{
    int plain = *s != '\0';
    for (const char *p = s; *p && plain; p++)
        plain = *p > ' ' && *p != '"' && *p != '=' && *p != '\\' && *p != 0x7f;
    if (plain)
        puts_(l, s);
    else
        put_json_string(l, s);
}

static void put_header(struct line *l, enum log_level level, int json)
{
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000L);
    if (json) {
        putf(l, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", when, log_level_names[level]);
    } else {
        char head[64];
        snprintf(head, sizeof head, "%s %-5s ", when, log_level_names[level]);
        puts_(l, head);
    }
}

static void put_field(struct line *l, const struct log_field *f, int json)
{
    if (json) {
        put(l, ",", 1);
        put_json_string(l, f->key);
        put(l, ":", 1);
    } else {
        put(l, " ", 1);
        puts_(l, f->key);
        put(l, "=", 1);
    }
    switch (f->type) {
    case LOG_FIELD_STR:
        if (!f->str)
            puts_(l, json ? "null" : "-");
        else if (json)
            put_json_string(l, f->str);
        else
            put_text_value(l, f->str);
        break;
    case LOG_FIELD_INT: putf(l, "%lld", f->i); break;
    case LOG_FIELD_NUM: putf(l, "%.6g", f->num); break;
    }
}

static void emit(enum log_level level, const char *msg, const struct log_field *fields, size_t n)
{
    int json = atomic_load(&log_format_current) == LOG_FORMAT_JSON;
    struct line l;
    l.len = 0;
    put_header(&l, level, json);
    if (json)
        put_json_string(&l, msg);
    else
        puts_(&l, msg);
    /* A field is written whole or not at all (numbers and keys are short). */
    for (size_t i = 0; i < n && room(&l) > 4 * LOG_JSON_RESERVE; i++)
        put_field(&l, &fields[i], json);
    if (json)
        l.buf[l.len++] = '}';
    l.buf[l.len++] = '\n';
    log_sink_emit(l.buf, l.len);
}

void log_writev(enum log_level level, const char *fmt, va_list ap)
{
    if (!log_enabled(level))
        return;
    char msg[LOG_MSG_CAP];
    vsnprintf(msg, sizeof msg, fmt, ap);
    emit(level, msg, NULL, 0);
}

void log_write(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_writev(level, fmt, ap);
    va_end(ap);
}

void log_fields(enum log_level level, const char *msg, const struct log_field *fields, size_t n)
{
    if (log_enabled(level))
        emit(level, msg, fields, n);
}
