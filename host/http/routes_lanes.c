/*
 * GET /api/v1/observer/lock: the session lanes that are busy (OpenViking's observer component
 * shape, plus the lanes themselves: state, age, work kind, last progress, owner, queue depth,
 * generation and the watchdog's classification), the model slots and the liveness counters.
 * A user sees the lanes of its own sessions only. And a debug route that makes a lane look held
 * by an owner that is gone, to show the watchdog releasing it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "http/router.h"
#include "http/session_call.h"
#include "session/session_lanes.h"

/* Drops the lanes the caller may not see. */
static void lanes_filter(json_t *lanes, const struct identity *who)
{
    if (who->role == AUTH_ROLE_ROOT)
        return;
    char own[VIKING_URI_MAX + 1];
    snprintf(own, sizeof own, "viking://user/%s", who->user);
    for (size_t i = json_array_size(lanes); i > 0; i--) {
        json_t *l = json_array_get(lanes, i - 1);
        const char *account = json_string_value(json_object_get(l, "account"));
        const char *uri = json_string_value(json_object_get(l, "session_uri"));
        if (!account || strcmp(account, who->account) != 0 || !uri || !viking_uri_is_under(uri, own))
            json_array_remove(lanes, i - 1);
    }
}

/* The observer's text table. */
static char *lanes_table(json_t *lanes)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    fprintf(f, "%-56s %-10s %9s %-15s %-34s %5s %-12s\n", "Lane", "State", "Age ms", "Work",
            "Last progress", "Queue", "Class");
    size_t i;
    json_t *l;
    json_array_foreach(lanes, i, l) {
        fprintf(f, "%-56s %-10s %9lld %-15s %-34s %5lld %-12s\n",
                json_string_value(json_object_get(l, "session_uri")),
                json_string_value(json_object_get(l, "state")),
                (long long)json_integer_value(json_object_get(l, "age_ms")),
                json_string_value(json_object_get(l, "work_kind")),
                json_is_string(json_object_get(l, "last_progress"))
                    ? json_string_value(json_object_get(l, "last_progress"))
                    : "-",
                (long long)json_integer_value(json_object_get(l, "queue_depth")),
                json_string_value(json_object_get(l, "classification")));
    }
    fprintf(f, "%zu busy lanes\n", json_array_size(lanes));
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void observer_lock(struct http_request *req, struct generation *gen,
                          struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 0, &s) != 0)
        return;
    struct session_lanes *lanes = session_engine_lanes(s.engine);
    json_t *snap = session_lanes_snapshot(lanes, &gen->config->sessions, clock_monotonic_ns());
    char *table = snap ? (lanes_filter(json_object_get(snap, "lanes"), &s.c.who),
                          lanes_table(json_object_get(snap, "lanes")))
                       : NULL;
    if (!table) {
        json_decref(snap);
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        return;
    }
    unsigned troubled = session_lanes_troubled(lanes);
    json_object_set_new(snap, "name", json_string("lock"));
    json_object_set_new(snap, "is_healthy", json_boolean(troubled == 0));
    json_object_set_new(snap, "has_errors", json_boolean(troubled > 0));
    json_object_set_new(snap, "status", json_string(table));
    free(table);
    http_reply_ok(reply, snap);
}

static void debug_lane_orphan(struct http_request *req, struct generation *gen,
                              struct http_reply *reply)
{
    struct session_call s;
    if (session_call_begin(req, gen, reply, 1, &s) != 0)
        return;
    if (session_engine_orphan_lane(s.engine, s.ref.account, s.ref.uri) != 0) {
        http_reply_error(reply, "CONFLICT",
                         json_pack("{s:s, s:s, s:b}", "resource", s.ref.uri, "conflict_type",
                                   "lane_busy", "retryable", 1),
                         "the lane of session %s is busy", s.ref.id);
        return;
    }
    http_reply_ok(reply, json_pack("{s:s, s:s}", "session_id", s.ref.id, "owner", "exited thread"));
}

const struct route routes_lanes[] = {
    {"GET", "/api/v1/observer/lock", 0, NULL, observer_lock},
    {"POST", "/api/v1/debug/lanes/*/orphan", 1, NULL, debug_lane_orphan},
    {NULL, NULL, 0, NULL, NULL},
};
