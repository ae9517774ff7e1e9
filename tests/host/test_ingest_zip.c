/* Zip imports: the tree from a normal archive, and every unsafe archive refused with nothing
 * returned. Fixtures are built here with libzip (and patched where a hostile archive lies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <cmocka.h>

#include "ingest/ingest_status.h"
#include "ingest/zip_import.h"

static char err[256];

struct zbuf {
    unsigned char *data;
    size_t len;
};

struct member {
    const char *name;
    const char *data; /* NULL: a directory entry */
    size_t len;       /* 0: strlen(data) */
    unsigned mode;    /* Unix mode with type bits, 0 = libzip's default */
    int encrypt;
    int store;        /* no compression */
};

static struct zbuf make_zip(const struct member *m, size_t n)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    zip_source_keep(src);
    for (size_t i = 0; i < n; i++) {
        zip_int64_t idx;
        if (!m[i].data) {
            idx = zip_dir_add(za, m[i].name, ZIP_FL_ENC_UTF_8);
        } else {
            size_t len = m[i].len ? m[i].len : strlen(m[i].data);
            zip_source_t *fs = zip_source_buffer(za, m[i].data, len, 0);
            assert_non_null(fs);
            idx = zip_file_add(za, m[i].name, fs, ZIP_FL_ENC_UTF_8);
        }
        assert_true(idx >= 0);
        if (m[i].mode)
            assert_int_equal(zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0,
                                                              ZIP_OPSYS_UNIX,
                                                              (zip_uint32_t)m[i].mode << 16),
                             0);
        if (m[i].encrypt)
            assert_int_equal(zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256,
                                                     "secret"),
                             0);
        if (m[i].store)
            assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0), 0);
    }
    assert_int_equal(zip_close(za), 0);
    assert_int_equal(zip_source_open(src), 0);
    assert_int_equal(zip_source_seek(src, 0, SEEK_END), 0);
    zip_int64_t size = zip_source_tell(src);
    assert_true(size > 0);
    assert_int_equal(zip_source_seek(src, 0, SEEK_SET), 0);
    struct zbuf z = {malloc((size_t)size), (size_t)size};
    assert_non_null(z.data);
    assert_int_equal(zip_source_read(src, z.data, (zip_uint64_t)size), size);
    zip_source_close(src);
    zip_source_free(src);
    return z;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16),
    p[3] = (unsigned char)(v >> 24);
}

/* Rewrites the uncompressed size of every member, in local and central headers alike, as a
 * hostile archive would. */
static void lie_about_size(struct zbuf *z, uint32_t size)
{
    int patched = 0;
    for (size_t i = 0; i + 30 <= z->len; i++) {
        uint32_t sig = le32(z->data + i);
        if (sig == 0x04034b50) { /* local file header: uncompressed size at +22 */
            put32(z->data + i + 22, size);
            patched++;
        } else if (sig == 0x02014b50 && i + 46 <= z->len) { /* central: at +24 */
            put32(z->data + i + 24, size);
            patched++;
        }
    }
    assert_int_equal(patched, 2);
}

static int import_buf(const struct zbuf *z, const struct zip_import_limits *lim,
                      struct import_tree *t)
{
    import_tree_init(t);
    err[0] = '\0';
    return zip_import_buffer(z->data, z->len, lim, t, err, sizeof err);
}

static const struct import_entry *entry(const struct import_tree *t, const char *path)
{
    long i = import_tree_find(t, path);
    return i >= 0 ? &t->entries[i] : NULL;
}

static void file_is(const struct import_tree *t, const char *path, const char *content)
{
    const struct import_entry *e = entry(t, path);
    if (!e)
        fail_msg("no entry %s", path);
    assert_false(e->is_dir);
    assert_int_equal(e->len, strlen(content));
    assert_memory_equal(e->bytes, content, e->len);
}

static void dir_is(const struct import_tree *t, const char *path)
{
    const struct import_entry *e = entry(t, path);
    if (!e)
        fail_msg("no entry %s", path);
    assert_true(e->is_dir);
}

static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

static const struct member normal[] = {
    {"docs/readme.md", "# Readme\n", 0, 0, 0, 0},
    {"docs/guide/intro.md", "intro\n", 0, 0100644, 0, 0},
    {"notes.txt", "plain notes", 0, 0, 0, 1},
    {"data/config.yaml", "a: 1\n", 0, 0, 0, 0},
    {"src/main.c", "int main(void) { return 0; }\n", 0, 0, 0, 0},
    {"LICENSE", "MIT\n", 0, 0, 0, 0},
    {"empty dir/", NULL, 0, 040755, 0, 0},
    {"img/logo.png", png, sizeof png - 1, 0, 0, 0},
    {"bin/tool", "\x7f" "ELF\0\0", 6, 0100755, 0, 0},
    {"inner.zip", "PK\x03\x04", 4, 0, 0, 0},
    {".git/config", "[core]\n", 0, 0, 0, 0},
    {"__MACOSX/._readme.md", "junk", 0, 0, 0, 0},
    {"./dot/x.md", "dot", 0, 0, 0, 0},
    {"a b.md", "spaces", 0, 0, 0, 0},
    {"a_b.md", "underscore", 0, 0, 0, 0},
};

static void normal_archive_becomes_a_tree(void **state)
{
    (void)state;
    struct zbuf z = make_zip(normal, sizeof normal / sizeof normal[0]);
    struct import_tree t;
    assert_int_equal(import_buf(&z, NULL, &t), INGEST_OK);
    file_is(&t, "docs/readme.md", "# Readme\n");
    file_is(&t, "docs/guide/intro.md", "intro\n");
    file_is(&t, "notes.txt", "plain notes");
    file_is(&t, "data/config.yaml", "a: 1\n");
    file_is(&t, "src/main.c", "int main(void) { return 0; }\n");
    file_is(&t, "LICENSE", "MIT\n");
    file_is(&t, "dot/x.md", "dot");
    file_is(&t, "a_b.md", "spaces");
    file_is(&t, "a_b_1.md", "underscore");
    /* Implied and explicit directories, parents first. */
    dir_is(&t, "docs");
    dir_is(&t, "docs/guide");
    dir_is(&t, "data");
    dir_is(&t, "src");
    dir_is(&t, "dot");
    dir_is(&t, "empty_dir");
    assert_true(import_tree_find(&t, "docs") < import_tree_find(&t, "docs/guide"));
    assert_true(import_tree_find(&t, "docs/guide") < import_tree_find(&t, "docs/guide/intro.md"));
    /* Skipped: binaries and the nested zip with a warning each, hidden and macOS junk silently. */
    assert_null(entry(&t, "img/logo.png"));
    assert_null(entry(&t, "img"));
    assert_null(entry(&t, "bin/tool"));
    assert_null(entry(&t, "inner.zip"));
    for (size_t i = 0; i < t.count; i++) {
        assert_null(strstr(t.entries[i].rel_path, "git"));
        assert_null(strstr(t.entries[i].rel_path, "MACOSX"));
    }
    assert_int_equal(t.warning_count, 4);
    int saw_png = 0, saw_renamed = 0;
    for (size_t i = 0; i < t.warning_count; i++) {
        saw_png |= strstr(t.warnings[i], "img/logo.png") != NULL;
        saw_renamed |= strstr(t.warnings[i], "a_b_1.md") != NULL;
    }
    assert_true(saw_png && saw_renamed);
    assert_int_equal(t.count, 15);
    import_tree_free(&t);

    /* strict: the first unsupported member fails the whole import. */
    struct zip_import_limits strict = {0, 0, 1};
    assert_int_equal(import_buf(&z, &strict, &t), INGEST_EUNSUPPORTED);
    assert_non_null(strstr(err, "logo.png"));
    assert_int_equal(t.count, 0);
    assert_int_equal(t.warning_count, 0);

    /* The same archive from a file on disk. */
    char path[] = "/tmp/skald-zip-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, z.data, z.len), (ssize_t)z.len);
    close(fd);
    import_tree_init(&t);
    assert_int_equal(zip_import_path(path, NULL, &t, err, sizeof err), INGEST_OK);
    file_is(&t, "docs/guide/intro.md", "intro\n");
    import_tree_free(&t);
    unlink(path);
    free(z.data);
}

static void expect_refused(const struct member *m, size_t n, const struct zip_import_limits *lim,
                           int status, const char *why)
{
    struct zbuf z = make_zip(m, n);
    struct import_tree t;
    assert_int_equal(import_buf(&z, lim, &t), status);
    if (!strstr(err, why))
        fail_msg("error '%s' does not say '%s'", err, why);
    assert_int_equal(t.count, 0);
    assert_int_equal(t.warning_count, 0);
    assert_null(t.entries);
    free(z.data);
}

/* Each hostile member comes after good ones: nothing of the good ones may come back. */
static void escaping_members_refused(void **state)
{
    (void)state;
    struct member m[3] = {{"good.md", "fine", 0, 0, 0, 0}, {"dir/ok.txt", "ok", 0, 0, 0, 0}};
    m[2] = (struct member){"/etc/cron.d/evil", "x", 0, 0, 0, 0};
    expect_refused(m, 3, NULL, INGEST_EUNSAFE, "absolute path");
    m[2] = (struct member){"C:/Windows/evil.md", "x", 0, 0, 0, 0};
    expect_refused(m, 3, NULL, INGEST_EUNSAFE, "absolute path");
    m[2] = (struct member){"../evil.md", "x", 0, 0, 0, 0};
    expect_refused(m, 3, NULL, INGEST_EUNSAFE, "'..'");
    m[2] = (struct member){"docs/../../evil.md", "x", 0, 0, 0, 0};
    expect_refused(m, 3, NULL, INGEST_EUNSAFE, "'..'");
    m[2] = (struct member){"docs/..", NULL, 0, 0, 0, 0};
    expect_refused(m, 3, NULL, INGEST_EUNSAFE, "'..'");
    m[2] = (struct member){"..\\evil.md", "x", 0, 0, 0, 0};
    expect_refused(m, 3, NULL, INGEST_EUNSAFE, "backslash");
    m[2] = (struct member){"link.md", "/etc/passwd", 0, 0120777, 0, 0};
    expect_refused(m, 3, NULL, INGEST_EUNSAFE, "symbolic link");
    m[2] = (struct member){"fifo", "", 1, 0010644, 0, 0};
    expect_refused(m, 3, NULL, INGEST_EUNSAFE, "not a regular file");
    m[2] = (struct member){"secret.md", "classified", 0, 0, 1, 0};
    expect_refused(m, 3, NULL, INGEST_EUNSAFE, "encrypted");
}

static void limits_refused(void **state)
{
    (void)state;
    struct member m[4] = {{"a.md", "a", 0, 0, 0, 0}, {"b.md", "b", 0, 0, 0, 0},
                          {"c.md", "c", 0, 0, 0, 0}, {"d.md", "d", 0, 0, 0, 0}};
    struct zip_import_limits three = {3, 0, 0};
    expect_refused(m, 4, &three, INGEST_ETOOBIG, "more than the limit of 3");

    static char big[200];
    memset(big, 'x', sizeof big);
    m[3] = (struct member){"big.txt", big, sizeof big, 0, 0, 0};
    struct zip_import_limits small = {0, 100, 0};
    expect_refused(m, 4, &small, INGEST_ETOOBIG, "more than 100 bytes");
    struct zip_import_limits roomy = {0, 203, 0};
    struct zbuf z = make_zip(m, 4);
    struct import_tree t;
    assert_int_equal(import_buf(&z, &roomy, &t), INGEST_OK); /* exactly at the limit */
    assert_int_equal(t.file_bytes, 203);
    import_tree_free(&t);
    free(z.data);
}

/* A member whose headers declare 10 bytes but whose data expands to far more. */
static void lying_sizes_refused(void **state)
{
    (void)state;
    size_t n = 64 * 1024;
    char *bomb = malloc(n + 1);
    assert_non_null(bomb);
    memset(bomb, 'A', n);
    bomb[n] = '\0';
    struct member deflated[] = {{"bomb.txt", bomb, n, 0, 0, 0}};
    struct member stored[] = {{"bomb.txt", bomb, n, 0, 0, 1}};
    const struct member *variants[] = {deflated, stored};
    for (int v = 0; v < 2; v++) {
        struct zbuf z = make_zip(variants[v], 1);
        lie_about_size(&z, 10);
        struct import_tree t;
        assert_int_equal(import_buf(&z, NULL, &t), INGEST_ETOOBIG);
        assert_non_null(strstr(err, "expands past its declared 10 bytes"));
        assert_int_equal(t.count, 0);
        free(z.data);
    }
    free(bomb);
}

static void not_a_zip(void **state)
{
    (void)state;
    struct import_tree t;
    import_tree_init(&t);
    assert_int_equal(zip_import_buffer("definitely not a zip archive", 28, NULL, &t, err,
                                       sizeof err),
                     INGEST_EINVAL);
    assert_int_equal(t.count, 0);
    assert_int_equal(zip_import_path("/nonexistent/x.zip", NULL, &t, err, sizeof err), INGEST_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normal_archive_becomes_a_tree),
        cmocka_unit_test(escaping_members_refused),
        cmocka_unit_test(limits_refused),
        cmocka_unit_test(lying_sizes_refused),
        cmocka_unit_test(not_a_zip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
