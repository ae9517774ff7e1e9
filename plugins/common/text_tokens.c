#include "text_tokens.h"

static int text_is_word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

size_t text_tokens_each(const char *text, text_token_fn fn, void *arg)
{
    char tok[TEXT_TOKEN_MAX];
    size_t count = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        while (*p && !text_is_word_byte(*p))
            p++;
        if (!*p)
            break;
        size_t len = 0;
        for (; *p && text_is_word_byte(*p); p++) {
            if (len < sizeof tok)
                tok[len++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + ('a' - 'A') : *p);
        }
        /* A cut must not split a UTF-8 sequence: drop a trailing partial one. */
        if (len == sizeof tok) {
            size_t lead = len;
            while (lead > 0 && ((unsigned char)tok[lead - 1] & 0xC0) == 0x80)
                lead--;
            if (lead > 0 && ((unsigned char)tok[lead - 1] & 0x80)) {
                unsigned char c = (unsigned char)tok[lead - 1];
                size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
                if (len - (lead - 1) < need)
                    len = lead - 1;
            }
        }
        if (len == 0)
            continue;
        count++;
        if (fn(arg, tok, len))
            break;
    }
    return count;
}

uint64_t text_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}
