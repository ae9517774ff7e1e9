/* The temp upload folder: ids, complete files only, resolution, rejected ids, original names,
 * TTL sweep. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <cmocka.h>

#include "ingest/ingest_status.h"
#include "ingest/upload_store.h"

static char dir[64];
static char err[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/skald-upload-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t count_files(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void read_back(const char *path, const char *expect)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(n, strlen(expect));
    assert_memory_equal(buf, expect, n);
}

static void save_then_resolve(void **state)
{
    (void)state;
    char id[UPLOAD_ID_MAX], path[4096];
    assert_int_equal(upload_store_save(dir, "My Notes.MD", "# hi\n", 5, 0, id, sizeof id, err,
                                       sizeof err),
                     INGEST_OK);
    /* upload_<32 lower-case hex>.<sanitised extension> */
    assert_int_equal(strlen(id), 7 + 32 + 3);
    assert_memory_equal(id, "upload_", 7);
    assert_string_equal(id + 39, ".md");
    for (int i = 7; i < 39; i++)
        assert_non_null(strchr("0123456789abcdef", id[i]));

    assert_int_equal(upload_store_resolve(dir, id, UPLOAD_TTL_DEFAULT_S, path, sizeof path, err,
                                          sizeof err),
                     INGEST_OK);
    read_back(path, "# hi\n");

    char id2[UPLOAD_ID_MAX];
    assert_int_equal(upload_store_save(dir, "weird.t a r!", "x", 1, 0, id2, sizeof id2, err,
                                       sizeof err),
                     INGEST_OK);
    assert_string_not_equal(id, id2);
    assert_string_equal(id2 + 39, ".tar"); /* only letters and digits survive */
    assert_int_equal(upload_store_save(dir, "Makefile", "all:\n", 5, 0, id2, sizeof id2, err,
                                       sizeof err),
                     INGEST_OK);
    assert_int_equal(strlen(id2), 39); /* no extension, no dot */

    char sub[128];
    snprintf(sub, sizeof sub, "%s/uploads", dir);
    assert_int_equal(count_files(sub), 6); /* 3 uploads + 3 names, no .part file left over */
}

static void original_name_kept(void **state)
{
    (void)state;
    char id[UPLOAD_ID_MAX], name[UPLOAD_NAME_MAX], side[4096];
    assert_int_equal(upload_store_save(dir, "C:\\docs\\My Notes.MD", "x", 1, 0, id, sizeof id,
                                       err, sizeof err),
                     INGEST_OK);
    snprintf(side, sizeof side, "%s/uploads/.%s.name", dir, id);
    read_back(side, "My Notes.MD"); /* the last path component only */
    assert_int_equal(upload_store_original_name(dir, id, name, sizeof name, err, sizeof err),
                     INGEST_OK);
    assert_string_equal(name, "My Notes.MD");
    char small[4];
    assert_int_equal(upload_store_original_name(dir, id, small, sizeof small, err, sizeof err),
                     INGEST_EINVAL);

    /* No name given, or an upload from before names were kept: no sidecar, ENOTFOUND. */
    assert_int_equal(upload_store_save(dir, NULL, "x", 1, 0, id, sizeof id, err, sizeof err),
                     INGEST_OK);
    assert_int_equal(upload_store_original_name(dir, id, name, sizeof name, err, sizeof err),
                     INGEST_ENOTFOUND);
    assert_int_equal(upload_store_original_name(dir, "upload_0123456789abcdef0123456789abcdef.md",
                                                name, sizeof name, err, sizeof err),
                     INGEST_ENOTFOUND);
    assert_int_equal(upload_store_original_name(dir, "../etc/passwd", name, sizeof name, err,
                                                sizeof err),
                     INGEST_EDENIED);

    /* An aborted upload leaves no name behind either. */
    struct upload_writer w;
    char sub[128];
    snprintf(sub, sizeof sub, "%s/uploads", dir);
    size_t before = count_files(sub);
    assert_int_equal(upload_writer_begin(&w, dir, "gone.md", 0, err, sizeof err), INGEST_OK);
    upload_writer_abort(&w);
    assert_int_equal(count_files(sub), before);
}

static void rejected_and_unknown_ids(void **state)
{
    (void)state;
    char path[4096];
    const char *bad[] = {"../etc/passwd",
                         "upload_0123456789abcdef0123456789abcdef/../../x",
                         "upload_0123456789abcdef0123456789abcdef\\x",
                         "upload_0123456789abcdef0123456789abcdef..md",
                         "upload_0123456789ABCDEF0123456789abcdef.md",
                         "upload_0123456789abcdef.md",
                         "shared_abc",
                         "skald.lock",
                         "",
                         ".upload_0123456789abcdef0123456789abcdef.md.part",
                         "upload_0123456789abcdef0123456789abcdef.md.part"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(upload_store_resolve(dir, bad[i], 0, path, sizeof path, err, sizeof err),
                         INGEST_EDENIED);
        assert_string_equal(ingest_status_code(INGEST_EDENIED), "PERMISSION_DENIED");
    }
    assert_int_equal(upload_store_resolve(dir, "upload_0123456789abcdef0123456789abcdef.md", 0,
                                          path, sizeof path, err, sizeof err),
                     INGEST_ENOTFOUND);
    assert_string_equal(ingest_status_code(INGEST_ENOTFOUND), "PERMISSION_DENIED");
}

static void over_limit_leaves_nothing(void **state)
{
    (void)state;
    char id[UPLOAD_ID_MAX] = "", sub[128];
    assert_int_equal(upload_store_save(dir, "big.txt", "0123456789", 10, 9, id, sizeof id, err,
                                       sizeof err),
                     INGEST_ETOOBIG);
    assert_string_equal(id, "");
    snprintf(sub, sizeof sub, "%s/uploads", dir);
    assert_int_equal(count_files(sub), 0);

    /* Streaming: a chunk past the limit fails, abort removes the partial file. */
    struct upload_writer w;
    assert_int_equal(upload_writer_begin(&w, dir, "s.md", 8, err, sizeof err), INGEST_OK);
    assert_int_equal(upload_writer_write(&w, "12345", 5, err, sizeof err), INGEST_OK);
    assert_int_equal(count_files(sub), 1);
    assert_int_equal(upload_writer_write(&w, "6789", 4, err, sizeof err), INGEST_ETOOBIG);
    upload_writer_abort(&w);
    upload_writer_abort(&w); /* idempotent */
    assert_int_equal(count_files(sub), 0);

    /* A half-written upload is invisible under its id until commit. */
    assert_int_equal(upload_writer_begin(&w, dir, "s.md", 0, err, sizeof err), INGEST_OK);
    assert_int_equal(upload_writer_write(&w, "half", 4, err, sizeof err), INGEST_OK);
    char path[4096];
    assert_int_equal(upload_store_resolve(dir, w.id, 0, path, sizeof path, err, sizeof err),
                     INGEST_ENOTFOUND);
    assert_int_equal(upload_writer_commit(&w, id, sizeof id, err, sizeof err), INGEST_OK);
    assert_int_equal(upload_store_resolve(dir, id, 0, path, sizeof path, err, sizeof err),
                     INGEST_OK);
    read_back(path, "half");
}

static void age(const char *path, time_t seconds)
{
    struct utimbuf t = {time(NULL) - seconds, time(NULL) - seconds};
    assert_int_equal(utime(path, &t), 0);
}

static void sweep_removes_only_expired(void **state)
{
    (void)state;
    size_t removed = 99;
    assert_int_equal(upload_store_sweep(dir, UPLOAD_TTL_DEFAULT_S, &removed, err, sizeof err),
                     INGEST_OK); /* no folder yet */
    assert_int_equal(removed, 0);

    char old_id[UPLOAD_ID_MAX], new_id[UPLOAD_ID_MAX], path[4096];
    assert_int_equal(upload_store_save(dir, "a.md", "a", 1, 0, old_id, sizeof old_id, err,
                                       sizeof err),
                     INGEST_OK);
    assert_int_equal(upload_store_save(dir, "b.md", "b", 1, 0, new_id, sizeof new_id, err,
                                       sizeof err),
                     INGEST_OK);
    assert_int_equal(upload_store_resolve(dir, old_id, 0, path, sizeof path, err, sizeof err),
                     INGEST_OK);
    age(path, 13 * 3600);
    /* Past the TTL an id no longer resolves, even before a sweep. */
    assert_int_equal(upload_store_resolve(dir, old_id, UPLOAD_TTL_DEFAULT_S, path, sizeof path,
                                          err, sizeof err),
                     INGEST_ENOTFOUND);

    /* Crash leftovers and a foreign file: the stale .part files (also of an id without an
     * extension) and an orphaned name go, a fresh orphaned name and the foreign file stay. */
    char part[4096], bare_part[4096], orphan[4096], fresh_orphan[4096], other[4096];
    snprintf(part, sizeof part, "%s/uploads/.upload_0123456789abcdef0123456789abcdef.md.part", dir);
    snprintf(bare_part, sizeof bare_part,
             "%s/uploads/.upload_0123456789abcdef0123456789abcdef.part", dir);
    snprintf(orphan, sizeof orphan,
             "%s/uploads/.upload_00000000000000000000000000000000.md.name", dir);
    snprintf(fresh_orphan, sizeof fresh_orphan,
             "%s/uploads/.upload_11111111111111111111111111111111.name", dir);
    snprintf(other, sizeof other, "%s/uploads/keep.txt", dir);
    const char *made[] = {part, bare_part, orphan, fresh_orphan, other};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
        FILE *f = fopen(made[i], "w");
        assert_non_null(f);
        fclose(f);
        if (made[i] != fresh_orphan)
            age(made[i], 13 * 3600);
    }
    char old_name[4096], new_name[4096];
    snprintf(old_name, sizeof old_name, "%s/uploads/.%s.name", dir, old_id);
    snprintf(new_name, sizeof new_name, "%s/uploads/.%s.name", dir, new_id);
    age(new_name, 13 * 3600); /* a name goes with its upload, not on its own age */

    assert_int_equal(upload_store_sweep(dir, UPLOAD_TTL_DEFAULT_S, &removed, err, sizeof err),
                     INGEST_OK);
    assert_int_equal(removed, 5); /* old upload + its name, 2 .part files, the stale orphan */
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(access(bare_part, F_OK), -1);
    assert_int_equal(access(orphan, F_OK), -1);
    assert_int_equal(access(old_name, F_OK), -1); /* fresh itself, gone with its upload */
    assert_int_equal(access(fresh_orphan, F_OK), 0);
    assert_int_equal(access(new_name, F_OK), 0);
    assert_int_equal(access(other, F_OK), 0);
    char name[UPLOAD_NAME_MAX];
    assert_int_equal(upload_store_original_name(dir, old_id, name, sizeof name, err, sizeof err),
                     INGEST_ENOTFOUND);
    assert_int_equal(upload_store_original_name(dir, new_id, name, sizeof name, err, sizeof err),
                     INGEST_OK);
    assert_string_equal(name, "b.md");
    assert_int_equal(upload_store_resolve(dir, old_id, 0, path, sizeof path, err, sizeof err),
                     INGEST_ENOTFOUND);
    assert_int_equal(upload_store_resolve(dir, new_id, UPLOAD_TTL_DEFAULT_S, path, sizeof path,
                                          err, sizeof err),
                     INGEST_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(save_then_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(rejected_and_unknown_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(original_name_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(over_limit_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(sweep_removes_only_expired, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
