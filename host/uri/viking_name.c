#include <string.h>

#include "uri/utf8.h"
#include "uri/viking_uri.h"

#define NAME_MAX_BYTES 50

/* Length of the UTF-8 sequence at p if it is valid and printable (not a C1 control), else 0. */
static size_t kept_utf8_sequence(const unsigned char *p)
{
    unsigned cp;
    size_t n = viking_utf8_sequence(p, &cp);
    return n && cp > 0x9f ? n : 0;
}

static int ascii_kept(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

static int strippable(char c) { return c == '_' || c == '.'; }

void viking_name_sanitize(const char *in, char *out, size_t cap)
{
    if (cap == 0)
        return;
    size_t limit = cap - 1 < NAME_MAX_BYTES ? cap - 1 : NAME_MAX_BYTES;
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)in;
    /* Map and collapse in one pass, dropping leading '_' and '.'; stop before a character that
     * would pass the limit, so truncation never splits a UTF-8 sequence. */
    while (*p) {
        size_t n = *p >= 0x80 ? kept_utf8_sequence(p) : ascii_kept(*p) ? 1 : 0;
        const char *src = n ? (const char *)p : "_";
        size_t len = n ? n : 1;
        p += n ? n : 1;
        if (len == 1 && (w == 0 ? strippable(src[0]) : src[0] == '_' && out[w - 1] == '_'))
            continue;
        if (w + len > limit)
            break;
        memcpy(out + w, src, len);
        w += len;
    }
    while (w > 0 && strippable(out[w - 1]))
        w--;
    if (w == 0) {
        static const char fallback[] = "unnamed";
        w = sizeof fallback - 1 < cap - 1 ? sizeof fallback - 1 : cap - 1;
        memcpy(out, fallback, w);
    }
    out[w] = '\0';
}
