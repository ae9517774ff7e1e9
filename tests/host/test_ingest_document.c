/* One document into an import tree: the type decides (extension, then content type), the
 * document's name names the root, zips unpack, unsupported types warn or fail under strict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include <cmocka.h>

#include "ingest/document_import.h"
#include "ingest/ingest_status.h"

static char err[256];

static int import(const char *name, const char *source, const char *ctype, const char *bytes,
                  size_t len, const struct document_import_opts *o, struct import_tree *t)
{
    import_tree_init(t);
    err[0] = '\0';
    return document_import(name, source, ctype, bytes, len ? len : strlen(bytes), o, t, err,
                           sizeof err);
}

static void only_entry(const struct import_tree *t, const char *root, const char *path)
{
    assert_string_equal(t->root_name, root);
    assert_int_equal(t->count, 1);
    assert_string_equal(t->entries[0].rel_path, path);
    assert_false(t->entries[0].is_dir);
}

static void text_types_kept_as_one_file(void **state)
{
    (void)state;
    struct import_tree t;
    assert_int_equal(import("upload_0123456789abcdef0123456789abcdef.md", "Release Notes.md",
                            NULL, "# Notes\n", 0, NULL, &t),
                     INGEST_OK);
    only_entry(&t, "Release_Notes", "Release_Notes.md");
    import_tree_free(&t);

    assert_int_equal(import("config.yaml", NULL, NULL, "a: 1\n", 0, NULL, &t), INGEST_OK);
    only_entry(&t, "config", "config.yaml");
    import_tree_free(&t);
    assert_int_equal(import("settings.toml", NULL, NULL, "[a]\n", 0, NULL, &t), INGEST_OK);
    only_entry(&t, "settings", "settings.toml");
    import_tree_free(&t);
    assert_int_equal(import("data.JSON", NULL, NULL, "{}", 0, NULL, &t), INGEST_OK);
    only_entry(&t, "data", "data.json");
    import_tree_free(&t);
    assert_int_equal(import("tool.py", NULL, NULL, "print(1)\n", 0, NULL, &t), INGEST_OK);
    only_entry(&t, "tool", "tool.py");
    import_tree_free(&t);
    assert_int_equal(import("notes.txt", NULL, NULL, "plain", 0, NULL, &t), INGEST_OK);
    only_entry(&t, "notes", "notes.txt");
    import_tree_free(&t);
    assert_int_equal(import("README", NULL, NULL, "just text", 0, NULL, &t), INGEST_OK);
    only_entry(&t, "README", "README.txt");
    import_tree_free(&t);

    /* A fetched URL without an extension: the content type decides. */
    assert_int_equal(import("guide", NULL, "text/markdown; charset=utf-8", "# G\n", 0, NULL, &t),
                     INGEST_OK);
    only_entry(&t, "guide", "guide.md");
    import_tree_free(&t);
    assert_int_equal(import("example.com", NULL, "text/html", "<p>hi</p>", 0, NULL, &t), INGEST_OK);
    only_entry(&t, "example", "example.com");
    import_tree_free(&t);
}

static void long_markdown_split_or_not(void **state)
{
    (void)state;
    size_t n = 0, cap = 16384;
    char *doc = malloc(cap);
    assert_non_null(doc);
    for (int s = 1; s <= 4; s++) {
        n += (size_t)snprintf(doc + n, cap - n, "## Chapter %d\n", s);
        for (int l = 0; l < 30; l++)
            n += (size_t)snprintf(doc + n, cap - n, "Line %d of chapter %d, with some words.\n", l, s);
    }
    struct import_tree t;
    assert_int_equal(import("manual.md", NULL, NULL, doc, n, NULL, &t), INGEST_OK);
    assert_string_equal(t.root_name, "manual");
    assert_int_equal(t.count, 4);
    assert_string_equal(t.entries[0].rel_path, "01_Chapter_1.md");
    import_tree_free(&t);

    struct document_import_opts o = {.markdown = {.no_split = 1}};
    assert_int_equal(import("manual.md", NULL, NULL, doc, n, &o, &t), INGEST_OK);
    only_entry(&t, "manual", "manual.md");
    assert_int_equal(t.entries[0].len, n);
    import_tree_free(&t);
    free(doc);
}

static void unsupported_warns_or_fails(void **state)
{
    (void)state;
    static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    struct import_tree t;
    assert_int_equal(import("photo.png", NULL, NULL, png, sizeof png - 1, NULL, &t), INGEST_OK);
    assert_int_equal(t.count, 0);
    assert_int_equal(t.warning_count, 1);
    assert_non_null(strstr(t.warnings[0], "photo.png"));
    import_tree_free(&t);

    struct document_import_opts strict = {.strict = 1};
    assert_int_equal(import("photo.png", NULL, NULL, png, sizeof png - 1, &strict, &t),
                     INGEST_EUNSUPPORTED);
    assert_int_equal(t.count, 0);
    assert_int_equal(t.warning_count, 0);
    /* A text extension with binary bytes is no text. */
    assert_int_equal(import("fake.md", NULL, NULL, png, sizeof png - 1, &strict, &t),
                     INGEST_EUNSUPPORTED);
    assert_string_equal(ingest_status_code(INGEST_EUNSUPPORTED), "INVALID_ARGUMENT");
}

/* A zip of one folder, as a client zips a directory "proj" (or without the folder). */
static void *zip_of(int with_top, size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    zip_source_keep(src);
    const char *names[] = {"proj/README.md", "proj/src/app.py"};
    const char *data[] = {"# Proj\n", "print(1)\n"};
    for (int i = 0; i < 2; i++) {
        zip_source_t *fs = zip_source_buffer(za, data[i], strlen(data[i]), 0);
        assert_true(zip_file_add(za, with_top ? names[i] : names[i] + 5, fs, 0) >= 0);
    }
    assert_int_equal(zip_close(za), 0);
    assert_int_equal(zip_source_open(src), 0);
    zip_source_seek(src, 0, SEEK_END);
    *len = (size_t)zip_source_tell(src);
    zip_source_seek(src, 0, SEEK_SET);
    void *buf = malloc(*len);
    assert_non_null(buf);
    assert_int_equal(zip_source_read(src, buf, *len), (zip_int64_t)*len);
    zip_source_close(src);
    zip_source_free(src);
    return buf;
}

static void zips_unpack_with_their_root(void **state)
{
    (void)state;
    size_t len;
    char *z = zip_of(1, &len);
    struct import_tree t;
    /* One top folder and no source name: the folder is the root. */
    assert_int_equal(import("upload_0123456789abcdef0123456789abcdef.zip", NULL, NULL, z, len,
                            NULL, &t),
                     INGEST_OK);
    assert_string_equal(t.root_name, "proj");
    assert_true(import_tree_find(&t, "README.md") >= 0);
    assert_true(import_tree_find(&t, "src/app.py") >= 0);
    assert_int_equal(t.count, 3);
    import_tree_free(&t);
    /* A source name that differs keeps the folder inside a root of that name. */
    assert_int_equal(import("upload_0123456789abcdef0123456789abcdef.zip", "bundle.zip", NULL, z,
                            len, NULL, &t),
                     INGEST_OK);
    assert_string_equal(t.root_name, "bundle");
    assert_true(import_tree_find(&t, "proj/src/app.py") >= 0);
    import_tree_free(&t);

    /* The same from disk, as a resolved upload. */
    char path[] = "/tmp/skald-doc-XXXXXX.zip";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, z, len), (ssize_t)len);
    close(fd);
    import_tree_init(&t);
    assert_int_equal(document_import_path(path, "proj.zip", 0, NULL, &t, err, sizeof err),
                     INGEST_OK);
    assert_string_equal(t.root_name, "proj");
    assert_true(import_tree_find(&t, "src/app.py") >= 0);
    import_tree_free(&t);
    unlink(path);
    free(z);

    /* What the SDK sends for a directory: members without the folder, source_name = folder. */
    z = zip_of(0, &len);
    assert_int_equal(import("upload_0123456789abcdef0123456789abcdef.zip", "proj", NULL, z, len,
                            NULL, &t),
                     INGEST_OK);
    assert_string_equal(t.root_name, "proj");
    assert_true(import_tree_find(&t, "src/app.py") >= 0);
    import_tree_free(&t);
    free(z);
}

static void documents_from_disk(void **state)
{
    (void)state;
    char path[] = "/tmp/skald-doc-XXXXXX.md";
    int fd = mkstemps(path, 3);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "# Hi\n", 5), 5);
    close(fd);
    struct import_tree t;
    import_tree_init(&t);
    assert_int_equal(document_import_path(path, "hello.md", 0, NULL, &t, err, sizeof err),
                     INGEST_OK);
    only_entry(&t, "hello", "hello.md");
    import_tree_free(&t);
    assert_int_equal(document_import_path(path, NULL, 4, NULL, &t, err, sizeof err),
                     INGEST_ETOOBIG);
    unlink(path);
    assert_int_equal(document_import_path(path, NULL, 0, NULL, &t, err, sizeof err),
                     INGEST_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_types_kept_as_one_file),
        cmocka_unit_test(long_markdown_split_or_not),
        cmocka_unit_test(unsupported_warns_or_fails),
        cmocka_unit_test(zips_unpack_with_their_root),
        cmocka_unit_test(documents_from_disk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
