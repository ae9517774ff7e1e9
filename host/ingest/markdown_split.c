/* Markdown by headings into section files; see markdown_split.h for the rules. */
#include "ingest/markdown_split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_status.h"

#define PATH_CAP 2048

struct heading {
    size_t start; /* offset of the heading line */
    const char *title;
    size_t title_len;
    int level;
};

struct splitter {
    const char *text;
    size_t len, max, min;
    struct heading *h;
    size_t nh, cap;
    struct import_tree *out;
    char *err;
    size_t err_cap;
};

/* A section (or the text before the first heading) at one level of the split. */
struct item {
    size_t start, end;
    const char *title;
    size_t title_len;
    size_t child_a, child_b; /* its sub-headings, indices into splitter.h; equal when none */
    int is_lead;             /* the text before the region's first heading */
};

/* What one numbered entry of a directory holds: items [a, b) merged into a file, or one item
 * that becomes a directory. */
struct output {
    size_t a, b;
    int is_dir;
};

static size_t line_indent(const char *l, size_t n)
{
    size_t i = 0;
    while (i < n && l[i] == ' ')
        i++;
    return i;
}

/* Length of a code fence opener or closer (``` or ~~~, 3+), or 0; *ch gets its character. */
static size_t fence_run(const char *l, size_t n, char *ch)
{
    size_t i = line_indent(l, n);
    if (i > 3 || i >= n || (l[i] != '`' && l[i] != '~'))
        return 0;
    size_t k = i;
    while (k < n && l[k] == l[i])
        k++;
    if (k - i < 3)
        return 0;
    *ch = l[i];
    return k - i;
}

static int only_space(const char *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] != ' ' && l[i] != '\t')
            return 0;
    return 1;
}

static int contains(const char *l, size_t n, const char *needle)
{
    return memmem(l, n, needle, strlen(needle)) != NULL;
}

static int add_heading(struct splitter *s, size_t start, const char *l, size_t n)
{
    size_t i = line_indent(l, n);
    if (i > 3 || i >= n || l[i] != '#')
        return 0;
    size_t k = i;
    while (k < n && l[k] == '#')
        k++;
    int level = (int)(k - i);
    if (level > 6 || (k < n && l[k] != ' ' && l[k] != '\t'))
        return 0;
    while (k < n && (l[k] == ' ' || l[k] == '\t'))
        k++;
    size_t e = n;
    while (e > k && (l[e - 1] == ' ' || l[e - 1] == '\t'))
        e--;
    size_t c = e;
    while (c > k && l[c - 1] == '#')
        c--;
    if (c == k || l[c - 1] == ' ' || l[c - 1] == '\t') { /* a closing "##" sequence */
        e = c;
        while (e > k && (l[e - 1] == ' ' || l[e - 1] == '\t'))
            e--;
    }
    if (s->nh == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        struct heading *h = realloc(s->h, cap * sizeof *h);
        if (!h)
            return -1;
        s->h = h;
        s->cap = cap;
    }
    s->h[s->nh++] = (struct heading){start, l + k, e - k, level};
    return 0;
}

/* Where YAML front matter opened by a "---" first line ends (after its closing "---" or "..."
 * line, searched from `from`), or 0 when it never closes. */
static size_t front_matter_end(const char *t, size_t len, size_t from)
{
    for (size_t p = from; p < len;) {
        const char *nl = memchr(t + p, '\n', len - p);
        size_t n = (nl ? (size_t)(nl - t) : len) - p;
        size_t after = nl ? (size_t)(nl - t) + 1 : len;
        if (n > 0 && t[p + n - 1] == '\r')
            n--;
        if (n >= 3 && (memcmp(t + p, "---", 3) == 0 || memcmp(t + p, "...", 3) == 0) &&
            only_space(t + p + 3, n - 3))
            return after;
        p = after;
    }
    return 0;
}

/* Finds the ATX headings outside front matter, code fences and HTML comments. */
static int scan_headings(struct splitter *s)
{
    const char *t = s->text;
    size_t pos = 0, len = s->len;
    int in_comment = 0;
    size_t fence_len = 0;
    char fence_ch = 0;
    for (int first = 1; pos < len; first = 0) {
        const char *nl = memchr(t + pos, '\n', len - pos);
        size_t next = nl ? (size_t)(nl - t) + 1 : len;
        size_t n = (nl ? (size_t)(nl - t) : len) - pos;
        const char *l = t + pos;
        if (n > 0 && l[n - 1] == '\r')
            n--;
        if (first && n >= 3 && memcmp(l, "---", 3) == 0 && only_space(l + 3, n - 3)) {
            size_t end = front_matter_end(t, len, next);
            if (end) {
                pos = end;
                continue;
            }
        }
        char ch;
        size_t run;
        if (fence_len) {
            if ((run = fence_run(l, n, &ch)) >= fence_len && ch == fence_ch) {
                size_t i = line_indent(l, n);
                while (i < n && l[i] == ch)
                    i++;
                if (only_space(l + i, n - i))
                    fence_len = 0;
            }
        } else if (in_comment) {
            if (contains(l, n, "-->"))
                in_comment = 0;
        } else if ((run = fence_run(l, n, &ch)) > 0) {
            fence_len = run;
            fence_ch = ch;
        } else {
            size_t i = line_indent(l, n);
            if (i <= 3 && n - i >= 4 && memcmp(l + i, "<!--", 4) == 0 &&
                !contains(l + i + 4, n - i - 4, "-->")) {
                in_comment = 1;
            } else if (add_heading(s, pos, l, n) < 0) {
                return INGEST_ENOMEM;
            }
        }
        pos = next;
    }
    return INGEST_OK;
}

static int join_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = dir && dir[0] ? snprintf(out, cap, "%s/%s", dir, name) : snprintf(out, cap, "%s", name);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

static int add_file(struct splitter *s, const char *dir, const char *name, size_t a, size_t b)
{
    char path[PATH_CAP];
    if (join_path(path, sizeof path, dir, name) != 0) {
        snprintf(s->err, s->err_cap, "section path is too long");
        return INGEST_EINVAL;
    }
    return import_tree_add_file(s->out, path, s->text + a, b - a, s->err, s->err_cap);
}

static void title_string(const char *t, size_t n, char *out, size_t cap)
{
    snprintf(out, cap, "%.*s", (int)(n < cap - 1 ? n : cap - 1), t);
}

/* Where to end a part that starts at a and may reach at most a + max: after the last blank line
 * outside a code fence, else after the last line, else at a UTF-8 boundary; a cut leaving a
 * part under a quarter of max is taken only when there is nothing better. */
static size_t part_cut(const struct splitter *s, size_t a, size_t e)
{
    if (e - a <= s->max)
        return e;
    size_t limit = a + s->max, floor = a + s->max / 4;
    size_t pos = a, last_blank = 0, last_line = 0, fence_len = 0;
    char fence_ch = 0;
    while (pos < limit) {
        const char *nl = memchr(s->text + pos, '\n', e - pos);
        size_t next = nl ? (size_t)(nl - s->text) + 1 : e;
        if (next > limit)
            break;
        const char *l = s->text + pos;
        size_t n = next - pos - (nl ? 1 : 0);
        if (n > 0 && l[n - 1] == '\r')
            n--;
        char ch;
        size_t run = fence_run(l, n, &ch);
        if (fence_len) {
            if (run >= fence_len && ch == fence_ch)
                fence_len = 0;
        } else if (run) {
            fence_len = run;
            fence_ch = ch;
        } else if (only_space(l, n) && pos > a) {
            last_blank = next;
        }
        last_line = next;
        pos = next;
    }
    if (last_blank > floor)
        return last_blank;
    if (last_line > floor)
        return last_line;
    if (last_blank > a)
        return last_blank;
    if (last_line > a)
        return last_line;
    size_t cut = limit;
    while (cut > a + 1 && ((unsigned char)s->text[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

/* Text [a, e) as numbered part files "NN_<title>.md" in dir. */
static int emit_parts(struct splitter *s, const char *dir, size_t a, size_t e, const char *title)
{
    size_t count = 0;
    for (size_t p = a; p < e; p = part_cut(s, p, e))
        count++;
    unsigned width = 2;
    for (size_t c = count; c >= 100; c /= 10)
        width++;
    unsigned k = 1;
    for (size_t p = a; p < e; k++) {
        size_t cut = part_cut(s, p, e);
        char name[IMPORT_NAME_MAX + 1];
        import_name_numbered(k, width, title, "md", name, sizeof name);
        int rc = add_file(s, dir, name, p, cut);
        if (rc != INGEST_OK)
            return rc;
        p = cut;
    }
    return INGEST_OK;
}

static int emit_region(struct splitter *s, const char *dir, size_t rs, size_t re, size_t ha,
                       size_t hb, const char *lead, size_t lead_len);

/* The items of region [rs, re) whose headings are h[ha, hb): its shallowest headings, with the
 * text before the first of them as a leading item. */
static size_t build_items(const struct splitter *s, size_t rs, size_t re, size_t ha, size_t hb,
                          const char *lead, size_t lead_len, struct item *items)
{
    size_t n = 0;
    if (ha == hb) {
        items[n++] = (struct item){rs, re, lead, lead_len, hb, hb, 1};
        return n;
    }
    int min_level = 7;
    for (size_t i = ha; i < hb; i++)
        if (s->h[i].level < min_level)
            min_level = s->h[i].level;
    size_t first = ha;
    while (s->h[first].level != min_level)
        first++;
    size_t start = rs;
    if (s->h[first].start > rs && !only_space(s->text + rs, s->h[first].start - rs)) {
        items[n++] = (struct item){rs, s->h[first].start, lead, lead_len, first, first, 1};
        start = s->h[first].start;
    }
    for (size_t i = first; i < hb;) {
        size_t j = i + 1;
        while (j < hb && s->h[j].level != min_level)
            j++;
        size_t end = j < hb ? s->h[j].start : re;
        items[n++] = (struct item){start, end, s->h[i].title, s->h[i].title_len, i + 1, j, 0};
        start = end;
        i = j;
    }
    return n;
}

static int emit_region(struct splitter *s, const char *dir, size_t rs, size_t re, size_t ha,
                       size_t hb, const char *lead, size_t lead_len)
{
    struct item *items = malloc((hb - ha + 1) * sizeof *items);
    struct output *outs = malloc((hb - ha + 1) * sizeof *outs);
    int rc = INGEST_OK;
    if (!items || !outs) {
        rc = INGEST_ENOMEM;
        goto done;
    }
    size_t n = build_items(s, rs, re, ha, hb, lead, lead_len, items);
    /* A lone section with sub-sections (a title heading) is unwrapped, not nested. */
    if (n - (size_t)items[0].is_lead == 1 && items[n - 1].child_a != items[n - 1].child_b) {
        struct item only = items[n - 1];
        free(items);
        free(outs);
        return emit_region(s, dir, rs, re, only.child_a, only.child_b, only.title,
                           only.title_len);
    }

    size_t nout = 0, group_size = 0;
    for (size_t i = 0; i < n; i++) {
        size_t size = items[i].end - items[i].start;
        if (size > s->max) {
            outs[nout++] = (struct output){i, i + 1, 1};
            group_size = 0;
            continue;
        }
        if (nout > 0 && !outs[nout - 1].is_dir && group_size + size <= s->max &&
            (group_size < s->min || size < s->min)) {
            outs[nout - 1].b = i + 1;
            group_size += size;
            continue;
        }
        outs[nout++] = (struct output){i, i + 1, 0};
        group_size = size;
    }
    if (nout == 1 && outs[0].is_dir && items[outs[0].a].child_a == items[outs[0].a].child_b) {
        char title[IMPORT_NAME_MAX * 4];
        title_string(items[0].title, items[0].title_len, title, sizeof title);
        rc = emit_parts(s, dir, rs, re, title);
        goto done;
    }
    unsigned width = 2;
    for (size_t c = nout; c >= 100; c /= 10)
        width++;
    for (size_t k = 0; k < nout && rc == INGEST_OK; k++) {
        const struct item *first = &items[outs[k].a], *last = &items[outs[k].b - 1];
        char title[IMPORT_NAME_MAX * 4], name[IMPORT_NAME_MAX + 1], sub[PATH_CAP];
        title_string(first->title, first->title_len, title, sizeof title);
        if (!outs[k].is_dir) {
            import_name_numbered((unsigned)k + 1, width, title, "md", name, sizeof name);
            rc = add_file(s, dir, name, first->start, last->end);
            continue;
        }
        import_name_numbered((unsigned)k + 1, width, title, NULL, name, sizeof name);
        if (join_path(sub, sizeof sub, dir, name) != 0) {
            snprintf(s->err, s->err_cap, "section path is too long");
            rc = INGEST_EINVAL;
            break;
        }
        if ((rc = import_tree_add_dir(s->out, sub, s->err, s->err_cap)) != INGEST_OK)
            break;
        if (first->child_a != first->child_b)
            rc = emit_region(s, sub, first->start, first->end, first->child_a, first->child_b,
                             first->title, first->title_len);
        else
            rc = emit_parts(s, sub, first->start, first->end, title);
    }
done:
    if (rc == INGEST_ENOMEM)
        snprintf(s->err, s->err_cap, "out of memory");
    free(items);
    free(outs);
    return rc;
}

int markdown_split(const char *name, const char *text, size_t len,
                   const struct markdown_split_opts *opts, const char *dir,
                   struct import_tree *out, char *err, size_t err_cap)
{
    size_t max = opts && opts->max_bytes ? opts->max_bytes : MARKDOWN_SPLIT_DEFAULT_MAX_BYTES;
    size_t min = opts && opts->min_bytes ? opts->min_bytes : max / 4;
    char doc[IMPORT_NAME_MAX + 1];
    import_name_segment(name ? name : "", 0, doc, sizeof doc);
    if (dir && dir[0]) {
        int rc = import_tree_add_dir(out, dir, err, err_cap);
        if (rc != INGEST_OK)
            return rc;
    }
    struct splitter s = {text, len, max, min, NULL, 0, 0, out, err, err_cap};
    if ((opts && opts->no_split) || len <= max) {
        char file[IMPORT_NAME_MAX + 8];
        snprintf(file, sizeof file, "%s.md", doc);
        return add_file(&s, dir, file, 0, len);
    }
    int rc = scan_headings(&s);
    if (rc == INGEST_OK)
        rc = emit_region(&s, dir, 0, len, 0, s.nh, doc, strlen(doc));
    else
        snprintf(err, err_cap, "out of memory");
    free(s.h);
    return rc;
}
