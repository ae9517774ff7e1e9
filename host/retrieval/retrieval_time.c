#include "retrieval/retrieval_time.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY (86400LL * 1000)

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
 * days_from_civil), so no timegm/TZ state is involved. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static int parse_relative(const char *text, int64_t now_ms, int64_t *out)
{
    char *end = NULL;
    if (!isdigit((unsigned char)text[0]))
        return -1;
    long long n = strtoll(text, &end, 10);
    if (!end || end[0] == '\0' || end[1] != '\0' || n < 0 || n > 100000000LL)
        return -1;
    int64_t unit;
    switch (*end) {
    case 's': unit = 1000; break;
    case 'm': unit = 60 * 1000; break;
    case 'h': unit = 3600 * 1000; break;
    case 'd': unit = MS_PER_DAY; break;
    case 'w': unit = 7 * MS_PER_DAY; break;
    default: return -1;
    }
    *out = now_ms - (int64_t)n * unit;
    return 0;
}

static int parse_absolute(const char *p, int end_of_day, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, s = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    int64_t day_ms = days_from_civil(y, mo, d) * MS_PER_DAY;
    if (*p == '\0') {
        *out = end_of_day ? day_ms + MS_PER_DAY - 1 : day_ms;
        return 0;
    }
    if ((*p != 'T' && *p != 't' && *p != ' ') || (p++, digits(&p, 2, &h)) || *p++ != ':' ||
        digits(&p, 2, &mi))
        return -1;
    if (*p == ':' && (p++, digits(&p, 2, &s)))
        return -1;
    if (h > 23 || mi > 59 || s > 60)
        return -1;
    int64_t ms = 0;
    if (*p == '.' || *p == ',') {
        p++;
        int n = 0;
        for (; isdigit((unsigned char)*p); p++, n++)
            if (n < 3)
                ms = ms * 10 + (*p - '0');
        if (n == 0)
            return -1;
        for (; n < 3; n++)
            ms *= 10;
    }
    int64_t offset_ms = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (*p && digits(&p, 2, &om))
            return -1;
        if (oh > 23 || om > 59)
            return -1;
        offset_ms = sign * ((int64_t)oh * 3600 + om * 60) * 1000;
    }
    if (*p != '\0')
        return -1;
    *out = day_ms + ((int64_t)h * 3600 + mi * 60 + s) * 1000 + ms - offset_ms;
    return 0;
}

int retrieval_time_parse(const char *text, int64_t now_ms, int end_of_day, int64_t *out_ms)
{
    if (!text)
        return -1;
    while (isspace((unsigned char)*text))
        text++;
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (parse_relative(buf, now_ms, out_ms) == 0)
        return 0;
    return parse_absolute(buf, end_of_day, out_ms);
}
