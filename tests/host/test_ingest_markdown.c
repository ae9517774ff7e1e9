/* Markdown splitting: short documents stay whole, long ones split by headings with small
 * sections merged, big ones nested, names sanitised, nothing lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/ingest_status.h"
#include "ingest/markdown_split.h"

static char err[256];

/* A growing document. */
struct doc {
    char *s;
    size_t len, cap;
};

static void add(struct doc *d, const char *text)
{
    size_t n = strlen(text);
    if (d->len + n + 1 > d->cap) {
        d->cap = (d->len + n + 1) * 2;
        d->s = realloc(d->s, d->cap);
        assert_non_null(d->s);
    }
    memcpy(d->s + d->len, text, n + 1);
    d->len += n;
}

/* About `bytes` of prose in lines and paragraphs. */
static void prose(struct doc *d, size_t bytes)
{
    size_t start = d->len;
    int line = 0;
    while (d->len - start < bytes) {
        add(d, "Lorem ipsum dolor sit amet, consectetur adipiscing elit.");
        add(d, ++line % 4 == 0 ? "\n\n" : "\n");
    }
}

static int split(const char *name, const struct doc *d, const struct markdown_split_opts *o,
                 struct import_tree *t)
{
    import_tree_init(t);
    return markdown_split(name, d->s, d->len, o, "", t, err, sizeof err);
}

static const struct import_entry *at(const struct import_tree *t, const char *path)
{
    long i = import_tree_find(t, path);
    if (i < 0) {
        for (size_t k = 0; k < t->count; k++)
            print_message("  have %s\n", t->entries[k].rel_path);
        fail_msg("no entry %s", path);
    }
    return &t->entries[i];
}

static int by_path(const void *a, const void *b)
{
    return strcmp((*(const struct import_entry *const *)a)->rel_path,
                  (*(const struct import_entry *const *)b)->rel_path);
}

/* Concatenating the files in path order must give back the document, and no file may exceed
 * max (unless the document is one file). */
static void check_lossless(const struct import_tree *t, const struct doc *d, size_t max)
{
    const struct import_entry **files = calloc(t->count, sizeof *files);
    assert_non_null(files);
    size_t n = 0;
    for (size_t i = 0; i < t->count; i++)
        if (!t->entries[i].is_dir)
            files[n++] = &t->entries[i];
    qsort(files, n, sizeof *files, by_path);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(off + files[i]->len <= d->len);
        assert_memory_equal(files[i]->bytes, d->s + off, files[i]->len);
        if (n > 1 && files[i]->len > max)
            fail_msg("%s has %zu bytes, over %zu", files[i]->rel_path, files[i]->len, max);
        off += files[i]->len;
    }
    assert_int_equal(off, d->len);
    free(files);
}

static void short_doc_stays_one_file(void **state)
{
    (void)state;
    struct doc d = {0};
    add(&d, "# Notes\n\n## One\n");
    prose(&d, 2000);
    add(&d, "## Two\nshort\n");
    struct import_tree t;
    assert_int_equal(split("My Notes", &d, NULL, &t), INGEST_OK);
    assert_int_equal(t.count, 1);
    assert_string_equal(t.entries[0].rel_path, "My_Notes.md");
    assert_int_equal(t.entries[0].len, d.len);
    import_tree_free(&t);

    /* Under a directory of the tree. */
    import_tree_init(&t);
    assert_int_equal(markdown_split("notes", d.s, d.len, NULL, "docs/a", &t, err, sizeof err),
                     INGEST_OK);
    assert_int_equal(t.count, 3);
    assert_string_equal(t.entries[2].rel_path, "docs/a/notes.md");
    import_tree_free(&t);
    free(d.s);
}

static void no_split_keeps_long_doc_whole(void **state)
{
    (void)state;
    struct doc d = {0};
    for (int i = 0; i < 6; i++) {
        add(&d, "## Section\n");
        prose(&d, 1500);
    }
    struct markdown_split_opts o = {0, 0, 1};
    struct import_tree t;
    assert_int_equal(split("long", &d, &o, &t), INGEST_OK);
    assert_int_equal(t.count, 1);
    assert_string_equal(t.entries[0].rel_path, "long.md");
    assert_int_equal(t.entries[0].len, d.len);
    import_tree_free(&t);
    free(d.s);
}

static void long_doc_split_by_headings(void **state)
{
    (void)state;
    struct doc d = {0};
    add(&d, "# Handbook\n\nWhat this is.\n\n## Install\n");
    prose(&d, 1500);
    add(&d, "## Usage\n");
    prose(&d, 1500);
    add(&d, "## FAQ ##\n");
    prose(&d, 1500);
    struct import_tree t;
    assert_int_equal(split("handbook", &d, NULL, &t), INGEST_OK);
    /* The lone title heading is unwrapped; its short intro joins the first section. */
    assert_int_equal(t.count, 3);
    const struct import_entry *first = at(&t, "01_Handbook.md");
    assert_non_null(strstr((const char *)first->bytes, "## Install"));
    assert_null(strstr((const char *)first->bytes, "## Usage"));
    assert_int_equal(strncmp((const char *)at(&t, "02_Usage.md")->bytes, "## Usage\n", 9), 0);
    at(&t, "03_FAQ.md"); /* closing #s are not part of the title */
    check_lossless(&t, &d, MARKDOWN_SPLIT_DEFAULT_MAX_BYTES);
    import_tree_free(&t);
    free(d.s);
}

static void small_sections_merged(void **state)
{
    (void)state;
    struct doc d = {0};
    char h[64];
    for (int i = 1; i <= 20; i++) {
        snprintf(h, sizeof h, "## Topic %d\n", i);
        add(&d, h);
        prose(&d, 250);
    }
    struct import_tree t;
    assert_int_equal(split("topics", &d, NULL, &t), INGEST_OK);
    assert_true(t.count >= 2 && t.count <= 3); /* 20 sections of ~300 bytes in 4 KB files */
    assert_string_equal(t.entries[0].rel_path, "01_Topic_1.md");
    for (size_t i = 0; i < t.count; i++)
        assert_true(t.entries[i].len > 1024);
    check_lossless(&t, &d, MARKDOWN_SPLIT_DEFAULT_MAX_BYTES);
    import_tree_free(&t);
    free(d.s);
}

static void big_section_becomes_directory(void **state)
{
    (void)state;
    struct doc d = {0};
    add(&d, "Preface text before any heading.\n\n## Alpha\n");
    prose(&d, 1500);
    add(&d, "## Beta\nBeta intro.\n\n### Beta One\n");
    prose(&d, 2500);
    add(&d, "### Beta Two\n");
    prose(&d, 2500);
    add(&d, "## Gamma\n");
    prose(&d, 1500);
    struct import_tree t;
    assert_int_equal(split("Book", &d, NULL, &t), INGEST_OK);
    /* Preface merges into Alpha (named after its first part, the document). */
    at(&t, "01_Book.md");
    assert_true(at(&t, "02_Beta")->is_dir);
    const struct import_entry *lead = at(&t, "02_Beta/01_Beta.md");
    assert_int_equal(strncmp((const char *)lead->bytes, "## Beta\nBeta intro.", 19), 0);
    assert_non_null(strstr((const char *)lead->bytes, "### Beta One"));
    at(&t, "02_Beta/02_Beta_Two.md");
    at(&t, "03_Gamma.md");
    assert_int_equal(t.count, 5);
    check_lossless(&t, &d, MARKDOWN_SPLIT_DEFAULT_MAX_BYTES);
    import_tree_free(&t);
    free(d.s);
}

static void huge_section_and_headingless_doc_cut_in_parts(void **state)
{
    (void)state;
    struct doc d = {0};
    add(&d, "## Short\n");
    prose(&d, 1500);
    add(&d, "## Wall of text\n");
    prose(&d, 9000);
    struct import_tree t;
    assert_int_equal(split("w", &d, NULL, &t), INGEST_OK);
    at(&t, "01_Short.md");
    assert_true(at(&t, "02_Wall_of_text")->is_dir);
    at(&t, "02_Wall_of_text/01_Wall_of_text.md");
    at(&t, "02_Wall_of_text/03_Wall_of_text.md");
    check_lossless(&t, &d, MARKDOWN_SPLIT_DEFAULT_MAX_BYTES);
    import_tree_free(&t);
    free(d.s);

    struct doc plain = {0};
    prose(&plain, 10000);
    assert_int_equal(split("plain notes", &plain, NULL, &t), INGEST_OK);
    at(&t, "01_plain_notes.md"); /* parts go straight into the root */
    at(&t, "03_plain_notes.md");
    for (size_t i = 0; i < t.count; i++)
        assert_false(t.entries[i].is_dir);
    check_lossless(&t, &plain, MARKDOWN_SPLIT_DEFAULT_MAX_BYTES);
    import_tree_free(&t);
    free(plain.s);
}

static void headings_in_code_front_matter_and_comments_ignored(void **state)
{
    (void)state;
    struct doc d = {0};
    add(&d, "---\ntitle: x\n# yaml comment\n---\n## Real One\n");
    prose(&d, 1500);
    add(&d, "```sh\n# Fake In Fence\n```\n<!--\n# Fake In Comment\n-->\n    # Fake Indented\n");
    add(&d, "~~~~\n## Fake Tilde\n~~~\n~~~~\n#hashtag not a heading\n## Real Two\n");
    prose(&d, 1500);
    add(&d, "## Über: the *fancy* `API` / v2?\r\n");
    prose(&d, 1500);
    struct import_tree t;
    assert_int_equal(split("d", &d, NULL, &t), INGEST_OK);
    for (size_t i = 0; i < t.count; i++) {
        assert_null(strstr(t.entries[i].rel_path, "Fake"));
        assert_null(strstr(t.entries[i].rel_path, "yaml"));
        assert_null(strstr(t.entries[i].rel_path, "hashtag"));
    }
    at(&t, "01_d.md"); /* front matter leads, merged with the first section */
    at(&t, "02_Real_Two.md");
    at(&t, "03_Über_the_fancy_API_v2.md");
    check_lossless(&t, &d, MARKDOWN_SPLIT_DEFAULT_MAX_BYTES);
    import_tree_free(&t);
    free(d.s);
}

static void thresholds_are_options(void **state)
{
    (void)state;
    struct doc d = {0};
    for (int i = 0; i < 4; i++) {
        add(&d, "## Part\n");
        prose(&d, 300);
    }
    struct markdown_split_opts o = {500, 100, 0};
    struct import_tree t;
    assert_int_equal(split("p", &d, &o, &t), INGEST_OK);
    assert_int_equal(t.count, 4);
    assert_string_equal(t.entries[3].rel_path, "04_Part.md");
    check_lossless(&t, &d, 500);
    import_tree_free(&t);
    free(d.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(short_doc_stays_one_file),
        cmocka_unit_test(no_split_keeps_long_doc_whole),
        cmocka_unit_test(long_doc_split_by_headings),
        cmocka_unit_test(small_sections_merged),
        cmocka_unit_test(big_section_becomes_directory),
        cmocka_unit_test(huge_section_and_headingless_doc_cut_in_parts),
        cmocka_unit_test(headings_in_code_front_matter_and_comments_ignored),
        cmocka_unit_test(thresholds_are_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
