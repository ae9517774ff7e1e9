/* The data-dir lock: a leftover file never blocks, a live holder always does and is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/lockfile.h"

static void read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void stale_file_naming_pid_1_does_not_block(void **state)
{
    (void)state;
    char dir[] = "/tmp/skald-lock-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/skald.lock", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("1\n", f);
    fclose(f);

    char err[256];
    int fd = lockfile_acquire(dir, err, sizeof err);
    assert_true(fd >= 0);
    char content[32], expect[32];
    read_file(path, content, sizeof content);
    snprintf(expect, sizeof expect, "%ld\n", (long)getpid());
    assert_string_equal(content, expect);

    /* flock conflicts between open file descriptions, even in one process: a second instance. */
    assert_int_equal(lockfile_acquire(dir, err, sizeof err), -1);
    char pid[32];
    snprintf(pid, sizeof pid, "running process %ld", (long)getpid());
    assert_non_null(strstr(err, pid));

    close(fd);
    fd = lockfile_acquire(dir, err, sizeof err);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stale_file_naming_pid_1_does_not_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
