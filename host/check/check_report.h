/* Pass/fail bookkeeping of skald-plugin-check: one line per check, a total at the end. */
#ifndef SKALD_CHECK_REPORT_H
#define SKALD_CHECK_REPORT_H

struct check_report {
    int passed;
    int failed;
};

/* Prints "ok   name" or "FAIL name: why" (why formatted from fmt) and counts it. Returns ok. */
int check_result(struct check_report *r, int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prints "N passed, N failed" and returns the exit code: 0 when nothing failed, else 1. */
int check_report_finish(const struct check_report *r);

#endif
