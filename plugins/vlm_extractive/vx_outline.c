#include "vx_outline.h"

#include <stdlib.h>
#include <string.h>

void vx_text_init(struct vx_text *t, size_t max_bytes, size_t max_words)
{
    memset(t, 0, sizeof *t);
    t->max_bytes = max_bytes;
    t->max_words = max_words;
}

void vx_text_free(struct vx_text *t)
{
    free(t->data);
    t->data = NULL;
}

static int vx_text_reserve(struct vx_text *t, size_t extra)
{
    if (t->len + extra + 1 <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->len + extra + 1)
        cap *= 2;
    char *p = realloc(t->data, cap);
    if (!p) {
        t->oom = 1;
        return -1;
    }
    t->data = p;
    t->cap = cap;
    return 0;
}

static int vx_is_blank(char c)
{
    return c == ' ' || c == '\n' || c == '\t';
}

void vx_text_append(struct vx_text *t, const char *s, size_t len)
{
    if (t->full || t->oom)
        return;
    /* Count words to find where the word limit falls. */
    size_t take = 0, words = t->words;
    int in_word = t->len > 0 && t->data[t->len - 1] != ' ' && t->data[t->len - 1] != '\n';
    for (; take < len; take++) {
        int space = vx_is_blank(s[take]);
        if (!space && !in_word) {
            if (words == t->max_words)
                break;
            words++;
        }
        in_word = !space;
    }
    if (t->len + take > t->max_bytes)
        take = t->max_bytes - t->len;
    if (take < len) {
        t->full = 1;
        /* Cut back to the last blank so no word is split (unless the text is one long word),
         * and never inside a UTF-8 sequence. */
        size_t cut = take;
        if (!vx_is_blank(s[take])) {
            while (cut > 0 && !vx_is_blank(s[cut - 1]))
                cut--;
            if (cut == 0 && t->len == 0)
                cut = take;
        }
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        while (cut > 0 && vx_is_blank(s[cut - 1]))
            cut--;
        take = cut;
    }
    if (vx_text_reserve(t, take) != 0)
        return;
    memcpy(t->data + t->len, s, take);
    t->len += take;
    t->data[t->len] = '\0';
    t->words = words;
    if (t->full)
        while (t->len > 0 && (t->data[t->len - 1] == ' ' || t->data[t->len - 1] == '\n'))
            t->data[--t->len] = '\0';
}

static int vx_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

static void vx_trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r'))
        (*len)--;
}

/* The paragraph being gathered: lines joined by one space. */
struct vx_para {
    char *buf;
    size_t len, cap;
};

static int vx_para_add(struct vx_para *p, const char *s, size_t len)
{
    size_t need = p->len + len + 2;
    if (need > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 512;
        while (cap < need)
            cap *= 2;
        char *n = realloc(p->buf, cap);
        if (!n)
            return -1;
        p->buf = n;
        p->cap = cap;
    }
    if (p->len)
        p->buf[p->len++] = ' ';
    memcpy(p->buf + p->len, s, len);
    p->len += len;
    return 0;
}

static int vx_para_flush(struct vx_para *p, vx_block_fn fn, void *arg)
{
    if (p->len == 0)
        return 0;
    int stop = fn(arg, 0, p->buf, p->len);
    p->len = 0;
    return stop;
}

void vx_outline_each(const char *doc, size_t doc_len, vx_block_fn fn, void *arg)
{
    struct vx_para para = {NULL, 0, 0};
    int in_fence = 0, stop = 0;
    size_t pos = 0;
    while (pos < doc_len && !stop) {
        const char *line = doc + pos;
        const char *nl = memchr(line, '\n', doc_len - pos);
        size_t len = nl ? (size_t)(nl - line) : doc_len - pos;
        pos += len + (nl ? 1 : 0);
        const char *s = line;
        size_t n = len;
        vx_trim(&s, &n);
        if (n >= 3 && (strncmp(s, "```", 3) == 0 || strncmp(s, "~~~", 3) == 0)) {
            stop = vx_para_flush(&para, fn, arg);
            in_fence = !in_fence;
            continue;
        }
        if (in_fence)
            continue;
        if (vx_blank(s, n)) {
            stop = vx_para_flush(&para, fn, arg);
            continue;
        }
        int level = 0;
        while (level < (int)n && s[level] == '#')
            level++;
        if (level >= 1 && level <= 6 && (size_t)level < n && s[level] == ' ') {
            stop = vx_para_flush(&para, fn, arg);
            const char *h = s + level;
            size_t hn = n - (size_t)level;
            vx_trim(&h, &hn);
            while (hn > 0 && h[hn - 1] == '#')
                hn--;
            vx_trim(&h, &hn);
            if (!stop && hn > 0)
                stop = fn(arg, level, h, hn);
            continue;
        }
        if (vx_para_add(&para, s, n) != 0)
            break; /* out of memory: summarise what was read so far */
    }
    if (!stop)
        vx_para_flush(&para, fn, arg);
    free(para.buf);
}

size_t vx_first_sentence(const char *text, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if ((text[i] == '.' || text[i] == '!' || text[i] == '?') && text[i + 1] == ' ')
            return i + 1;
    }
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    return len;
}
