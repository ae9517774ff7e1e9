/* What the in-tree plugins that keep their data in SQLite share: the mapping of SQLite results to
 * skald statuses, and a busy handler that waits for another connection's lock while honouring
 * the deadline and cancel flag of the call in progress. */
#ifndef SKALD_PLUGIN_SQLITE_H
#define SKALD_PLUGIN_SQLITE_H

#include <stdint.h>

#include <sqlite3.h>

#include <skald/plugin.h>

/* The busy handler's state, one per connection (owned by the plugin handle). */
struct plugin_sqlite_busy {
    const struct skald_host *host;
    int64_t timeout_ms;                /* give up after this long on one lock */
    const struct skald_call_ctx *call; /* the call using the connection, NULL between calls */
    int64_t since_ns;
    int abort_rc; /* SKALD_ETIMEDOUT / SKALD_ECANCELLED when the handler gave up because of call */
};

/* The skald status of a SQLite result code (extended codes allowed). */
int plugin_sqlite_status(int sqlite_rc);

/* Installs the busy handler on db; b must outlive the connection. */
void plugin_sqlite_busy_install(sqlite3 *db, struct plugin_sqlite_busy *b,
                                const struct skald_host *host, int64_t timeout_ms);

/* Marks the start (ctx) or end (NULL) of a call on the connection. */
void plugin_sqlite_busy_call(struct plugin_sqlite_busy *b, const struct skald_call_ctx *ctx);

/* Writes why a SQLite call failed into ctx ("what: ...") and returns its skald status: the call's
 * deadline or cancel when the busy handler gave up for it, else SQLite's own error. */
int plugin_sqlite_fail(const struct plugin_sqlite_busy *b, sqlite3 *db,
                       const struct skald_call_ctx *ctx, int sqlite_rc, const char *what);

#endif
