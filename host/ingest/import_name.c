/* Sanitised names for imported nodes, keeping extensions through shortening. */
#include "ingest/import_name.h"

#include <stdio.h>
#include <string.h>

#include "uri/viking_uri.h"

/* Cuts s to at most max bytes without splitting a UTF-8 sequence, then drops trailing '_' and
 * '.' (the sanitiser's rule for name ends). */
static void shorten(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        s[n] = '\0';
    }
    while (n > 0 && (s[n - 1] == '_' || s[n - 1] == '.'))
        s[--n] = '\0';
}

static const char *base_name(const char *path)
{
    const char *base = path;
    for (const char *s = path; *s; s++)
        if (*s == '/' || *s == '\\')
            base = s + 1;
    return base;
}

void import_name_ext(const char *filename, char *out, size_t cap)
{
    if (cap == 0)
        return;
    out[0] = '\0';
    const char *base = base_name(filename);
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base || !dot[1])
        return;
    size_t n = strlen(dot + 1);
    if (n > IMPORT_NAME_EXT_MAX || n >= cap)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = dot[1 + i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
}

/* Sanitises `stem` to at most max bytes, then appends "." ext when ext sanitises to something. */
static void join_stem_ext(const char *stem, const char *ext, char *out, size_t cap)
{
    char e[64] = "", s[64];
    if (ext && ext[0]) {
        viking_name_sanitize(ext, e, sizeof e);
        if (strcmp(e, "unnamed") == 0 || strlen(e) > IMPORT_NAME_EXT_MAX)
            e[0] = '\0';
    }
    size_t room = IMPORT_NAME_MAX - (e[0] ? strlen(e) + 1 : 0);
    viking_name_sanitize(stem, s, sizeof s);
    shorten(s, room);
    if (!s[0])
        snprintf(s, sizeof s, "unnamed");
    snprintf(out, cap, "%s%s%s", s, e[0] ? "." : "", e);
}

void import_name_segment(const char *raw, int keep_ext, char *out, size_t cap)
{
    char ext[IMPORT_NAME_EXT_MAX + 1] = "";
    if (keep_ext)
        import_name_ext(raw, ext, sizeof ext);
    if (!ext[0]) {
        char s[64];
        viking_name_sanitize(raw, s, sizeof s);
        shorten(s, IMPORT_NAME_MAX);
        snprintf(out, cap, "%s", s[0] ? s : "unnamed");
        return;
    }
    char stem[1024];
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(raw) - strlen(ext) - 1), raw);
    join_stem_ext(stem, ext, out, cap);
}

/* Whether ext (without the dot) looks like a file extension: a letter, then up to 9 letters or
 * digits. */
static int looks_like_ext(const char *ext)
{
    size_t n = strlen(ext);
    if (n == 0 || n > 10)
        return 0;
    if (!((ext[0] >= 'a' && ext[0] <= 'z') || (ext[0] >= 'A' && ext[0] <= 'Z')))
        return 0;
    for (size_t i = 1; i < n; i++) {
        char c = ext[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

void import_name_stem(const char *filename, char *out, size_t cap)
{
    const char *base = base_name(filename);
    const char *dot = strrchr(base, '.');
    char stem[1024];
    if (dot && dot != base && looks_like_ext(dot + 1))
        snprintf(stem, sizeof stem, "%.*s", (int)(dot - base), base);
    else
        snprintf(stem, sizeof stem, "%s", base);
    char s[64];
    viking_name_sanitize(stem, s, sizeof s);
    shorten(s, IMPORT_NAME_MAX);
    snprintf(out, cap, "%s", s[0] ? s : "unnamed");
}

void import_name_numbered(unsigned index, unsigned width, const char *title, const char *ext,
                          char *out, size_t cap)
{
    if (width < 2)
        width = 2;
    char num[16];
    int nlen = snprintf(num, sizeof num, "%0*u_", (int)width, index);
    char e[64] = "", s[64];
    if (ext && ext[0]) {
        viking_name_sanitize(ext, e, sizeof e);
        if (strcmp(e, "unnamed") == 0 || strlen(e) > IMPORT_NAME_EXT_MAX)
            e[0] = '\0';
    }
    size_t room = IMPORT_NAME_MAX - (size_t)nlen - (e[0] ? strlen(e) + 1 : 0);
    viking_name_sanitize(title && title[0] ? title : "section", s, sizeof s);
    shorten(s, room);
    if (!s[0])
        snprintf(s, sizeof s, "section");
    snprintf(out, cap, "%s%s%s%s", num, s, e[0] ? "." : "", e);
}
