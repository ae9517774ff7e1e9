#include "check/check_report.h"

#include <stdarg.h>
#include <stdio.h>

int check_result(struct check_report *r, int ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        r->passed++;
        printf("ok   %s\n", name);
    } else {
        r->failed++;
        printf("FAIL %s: ", name);
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
    }
    fflush(stdout);
    return ok;
}

int check_report_finish(const struct check_report *r)
{
    printf("%d passed, %d failed\n", r->passed, r->failed);
    return r->failed ? 1 : 0;
}
