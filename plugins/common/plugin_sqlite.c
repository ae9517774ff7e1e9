#include "plugin_sqlite.h"

#include <time.h>

#include "plugin_util.h"

/* The longest nap between two looks at a lock: short enough to notice a cancel promptly. */
#define PLUGIN_SQLITE_SLEEP_MAX_NS (20 * 1000000L)

int plugin_sqlite_status(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return SKALD_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return SKALD_EBUSY;
    case SQLITE_NOMEM:
        return SKALD_ENOMEM;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return SKALD_EIO;
    default:
        return SKALD_EINTERNAL;
    }
}

/* Waits in growing naps (1 ms doubling up to 20 ms), giving up at timeout_ms or as soon as the
 * current call's deadline passes or it is cancelled. */
static int plugin_sqlite_busy_wait(void *arg, int count)
{
    struct plugin_sqlite_busy *b = arg;
    int64_t now = b->host->now_monotonic_ns();
    if (count == 0)
        b->since_ns = now;
    if (b->call) {
        int rc = skald_call_check(b->call, now);
        if (rc != SKALD_OK) {
            b->abort_rc = rc;
            return 0;
        }
    }
    if (now - b->since_ns >= b->timeout_ms * 1000000LL)
        return 0;
    long sleep_ns = 1000000L << (count < 5 ? count : 5);
    struct timespec ts = {0, sleep_ns < PLUGIN_SQLITE_SLEEP_MAX_NS ? sleep_ns
                                                                   : PLUGIN_SQLITE_SLEEP_MAX_NS};
    nanosleep(&ts, NULL);
    return 1;
}

void plugin_sqlite_busy_install(sqlite3 *db, struct plugin_sqlite_busy *b,
                                const struct skald_host *host, int64_t timeout_ms)
{
    b->host = host;
    b->timeout_ms = timeout_ms;
    b->call = NULL;
    b->abort_rc = 0;
    sqlite3_busy_handler(db, plugin_sqlite_busy_wait, b);
}

void plugin_sqlite_busy_call(struct plugin_sqlite_busy *b, const struct skald_call_ctx *ctx)
{
    b->call = ctx;
    b->abort_rc = 0;
}

int plugin_sqlite_fail(const struct plugin_sqlite_busy *b, sqlite3 *db,
                       const struct skald_call_ctx *ctx, int sqlite_rc, const char *what)
{
    if (b->abort_rc == SKALD_ETIMEDOUT)
        return plugin_call_fail(ctx, SKALD_ETIMEDOUT, "%s: call deadline exceeded", what);
    if (b->abort_rc == SKALD_ECANCELLED)
        return plugin_call_fail(ctx, SKALD_ECANCELLED, "%s: call cancelled", what);
    return plugin_call_fail(ctx, plugin_sqlite_status(sqlite_rc), "%s: %s", what,
                            sqlite3_errmsg(db));
}
