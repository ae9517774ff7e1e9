/* Import trees (paths checked, parents first, no duplicates), generated names, document types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/doc_type.h"
#include "ingest/import_name.h"
#include "ingest/import_tree.h"
#include "ingest/ingest_status.h"

static char err[256];

static void parents_first_and_duplicates(void **state)
{
    (void)state;
    struct import_tree t;
    import_tree_init(&t);
    assert_int_equal(import_tree_add_file(&t, "a/b/c.md", "c", 1, err, sizeof err), INGEST_OK);
    assert_int_equal(t.count, 3);
    assert_string_equal(t.entries[0].rel_path, "a");
    assert_true(t.entries[0].is_dir);
    assert_string_equal(t.entries[1].rel_path, "a/b");
    assert_string_equal(t.entries[2].rel_path, "a/b/c.md");
    assert_false(t.entries[2].is_dir);
    assert_int_equal(t.entries[2].len, 1);
    assert_int_equal(t.entries[2].bytes[1], '\0');

    assert_int_equal(import_tree_add_dir(&t, "a/b", err, sizeof err), INGEST_OK); /* exists: fine */
    assert_int_equal(t.count, 3);
    assert_int_equal(import_tree_add_file(&t, "a/b/c.md", "x", 1, err, sizeof err), INGEST_EEXIST);
    assert_int_equal(import_tree_add_file(&t, "a/b", "x", 1, err, sizeof err), INGEST_EEXIST);
    assert_int_equal(import_tree_add_dir(&t, "a/b/c.md", err, sizeof err), INGEST_EEXIST);
    assert_int_equal(import_tree_add_file(&t, "a/b/c.md/d", "x", 1, err, sizeof err), INGEST_EEXIST);
    assert_int_equal(t.count, 3);
    assert_int_equal(import_tree_find(&t, "a/b/c.md"), 2);
    assert_int_equal(import_tree_find(&t, "a/b/c"), -1);
    assert_int_equal(t.file_bytes, 1);

    assert_int_equal(import_tree_warn(&t, "skipped %s", "x.png"), INGEST_OK);
    assert_int_equal(t.warning_count, 1);
    assert_string_equal(t.warnings[0], "skipped x.png");
    import_tree_free(&t);
    assert_int_equal(t.count, 0);
}

static void bad_paths_rejected(void **state)
{
    (void)state;
    const char *bad[] = {"", "/abs.md", "a//b.md", "a/", "./a.md", "a/../b.md", "..", ".hidden",
                         "a/.abstract.md", "a\\b.md", "a%2e.md", "tab\there.md"};
    struct import_tree t;
    import_tree_init(&t);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(import_tree_check_path(bad[i], err, sizeof err), INGEST_EINVAL);
        assert_int_equal(import_tree_add_file(&t, bad[i], "x", 1, err, sizeof err), INGEST_EINVAL);
        assert_int_equal(import_tree_add_dir(&t, bad[i], err, sizeof err), INGEST_EINVAL);
    }
    assert_int_equal(t.count, 0);
    char deep[256] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, i ? "/d" : "d");
    assert_int_equal(import_tree_check_path(deep, err, sizeof err), INGEST_EINVAL);
    assert_int_equal(import_tree_check_path("ok/名前 1.md", err, sizeof err), INGEST_OK);
    import_tree_free(&t);
}

static void many_entries_and_strip_root(void **state)
{
    (void)state;
    struct import_tree t;
    import_tree_init(&t);
    char path[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(path, sizeof path, "top/d%d/f%d.txt", i % 50, i);
        assert_int_equal(import_tree_add_file(&t, path, "x", 1, err, sizeof err), INGEST_OK);
    }
    assert_int_equal(t.count, 1 + 50 + 5000);
    char root[IMPORT_NAME_MAX + 1];
    assert_int_equal(import_tree_single_root(&t, root, sizeof root), 1);
    assert_string_equal(root, "top");
    assert_int_equal(import_tree_strip_root(&t, err, sizeof err), INGEST_OK);
    assert_int_equal(t.count, 50 + 5000);
    assert_string_equal(t.entries[0].rel_path, "d0");
    assert_true(import_tree_find(&t, "d7/f4957.txt") >= 0);
    assert_int_equal(import_tree_find(&t, "top/d7/f4957.txt"), -1);
    assert_int_equal(import_tree_single_root(&t, root, sizeof root), 0);
    assert_int_equal(import_tree_strip_root(&t, err, sizeof err), INGEST_EINVAL);
    /* The index still works for adds after the strip. */
    assert_int_equal(import_tree_add_file(&t, "d7/f4957.txt", "x", 1, err, sizeof err), INGEST_EEXIST);
    import_tree_free(&t);
}

static void generated_names(void **state)
{
    (void)state;
    char out[IMPORT_NAME_MAX + 1];
    import_name_segment("My Notes (draft).md", 1, out, sizeof out);
    assert_string_equal(out, "My_Notes_draft.md");
    import_name_segment("..", 0, out, sizeof out);
    assert_string_equal(out, "unnamed");
    import_name_segment("a/b\\c", 0, out, sizeof out);
    assert_string_equal(out, "a_b_c");
    /* A long name keeps its extension and stays within 50 bytes. */
    import_name_segment("a very long chapter title that goes on and on and on forever.markdown", 1,
                        out, sizeof out);
    assert_true(strlen(out) <= IMPORT_NAME_MAX);
    assert_non_null(strstr(out, ".markdown"));
    assert_int_equal(strncmp(out, "a_very_long", 11), 0);

    import_name_stem("dir/Guide.MD", out, sizeof out);
    assert_string_equal(out, "Guide");
    import_name_stem("2601.00014", out, sizeof out);
    assert_string_equal(out, "2601.00014");
    import_name_stem("notes", out, sizeof out);
    assert_string_equal(out, "notes");

    import_name_numbered(3, 2, "Getting Started: install & run", "md", out, sizeof out);
    assert_string_equal(out, "03_Getting_Started_install_run.md");
    import_name_numbered(12, 3, "", NULL, out, sizeof out);
    assert_string_equal(out, "012_section");
    import_name_numbered(1, 2, "Überblick über das System", "md", out, sizeof out);
    assert_string_equal(out, "01_Überblick_über_das_System.md");
    char long_title[200];
    memset(long_title, 'x', sizeof long_title - 1);
    long_title[sizeof long_title - 1] = '\0';
    import_name_numbered(1, 2, long_title, "md", out, sizeof out);
    assert_int_equal(strlen(out), IMPORT_NAME_MAX);
    assert_string_equal(out + IMPORT_NAME_MAX - 3, ".md");

    char path_ok[128];
    snprintf(path_ok, sizeof path_ok, "%s", out);
    assert_int_equal(import_tree_check_path(path_ok, err, sizeof err), INGEST_OK);
}

static void types_by_extension_and_content_type(void **state)
{
    (void)state;
    assert_int_equal(doc_type_from_name("a/README.md"), DOC_TYPE_MARKDOWN);
    assert_int_equal(doc_type_from_name("notes.MARKDOWN"), DOC_TYPE_MARKDOWN);
    assert_int_equal(doc_type_from_name("log.txt"), DOC_TYPE_TEXT);
    assert_int_equal(doc_type_from_name("conf.yaml"), DOC_TYPE_DATA);
    assert_int_equal(doc_type_from_name("conf.yml"), DOC_TYPE_DATA);
    assert_int_equal(doc_type_from_name("Cargo.toml"), DOC_TYPE_DATA);
    assert_int_equal(doc_type_from_name("data.json"), DOC_TYPE_DATA);
    assert_int_equal(doc_type_from_name("main.c"), DOC_TYPE_CODE);
    assert_int_equal(doc_type_from_name("app.py"), DOC_TYPE_CODE);
    assert_int_equal(doc_type_from_name("index.ts"), DOC_TYPE_CODE);
    assert_int_equal(doc_type_from_name("site.zip"), DOC_TYPE_ZIP);
    assert_int_equal(doc_type_from_name("photo.png"), DOC_TYPE_UNSUPPORTED);
    assert_int_equal(doc_type_from_name("paper.pdf"), DOC_TYPE_UNSUPPORTED);
    assert_int_equal(doc_type_from_name("Makefile"), DOC_TYPE_UNSUPPORTED);

    assert_int_equal(doc_type_from_content_type("text/markdown; charset=utf-8"), DOC_TYPE_MARKDOWN);
    assert_int_equal(doc_type_from_content_type("Application/JSON"), DOC_TYPE_DATA);
    assert_int_equal(doc_type_from_content_type("text/html"), DOC_TYPE_CODE);
    assert_int_equal(doc_type_from_content_type("text/x-rst"), DOC_TYPE_TEXT);
    assert_int_equal(doc_type_from_content_type("application/zip"), DOC_TYPE_ZIP);
    assert_int_equal(doc_type_from_content_type("image/png"), DOC_TYPE_UNSUPPORTED);
    assert_int_equal(doc_type_from_content_type(NULL), DOC_TYPE_UNSUPPORTED);

    /* The extension decides first; a content type fills in for URLs without one. */
    assert_int_equal(doc_type_detect("README.md", "text/plain", "# x", 3), DOC_TYPE_MARKDOWN);
    assert_int_equal(doc_type_detect("page", "text/html", "<p>", 3), DOC_TYPE_CODE);
    assert_int_equal(doc_type_detect("Makefile", NULL, "all:\n", 5), DOC_TYPE_TEXT);
    assert_int_equal(doc_type_detect("blob", NULL, "a\0b", 3), DOC_TYPE_UNSUPPORTED);
    assert_int_equal(doc_type_detect("fake.txt", NULL, "\x89PNG\0\0", 6), DOC_TYPE_UNSUPPORTED);
    assert_int_equal(doc_type_detect("image.png", "text/plain", "x", 1), DOC_TYPE_TEXT);
    assert_string_equal(doc_type_name(DOC_TYPE_DATA), "data");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parents_first_and_duplicates),
        cmocka_unit_test(bad_paths_rejected),
        cmocka_unit_test(many_entries_and_strip_root),
        cmocka_unit_test(generated_names),
        cmocka_unit_test(types_by_extension_and_content_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
