/* What a find keeps: the filter DSL (every op, every field, nesting, refusals), since/until times,
 * the request parser (context types, levels, tags, limits, thresholds, refusals) and the target
 * rules per role. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "retrieval/retrieval_filter.h"
#include "retrieval/retrieval_spec.h"
#include "retrieval/retrieval_time.h"

#define DAY_MS (86400LL * 1000)
/* 2026-11-25T00:00:00Z */
#define NOW_MS 1795564800000LL

static struct identity who(const char *user, enum auth_role role)
{
    struct identity id;
    memset(&id, 0, sizeof id);
    snprintf(id.account, sizeof id.account, "acme");
    snprintf(id.user, sizeof id.user, "%s", user);
    id.role = role;
    return id;
}

/* A record as the pipeline writes it. */
static struct retrieval_record rec(const char *uri, const char *metadata)
{
    struct retrieval_record r;
    assert_int_equal(retrieval_record_parse(uri, metadata, &r), 0);
    return r;
}

static const char *const doc_meta =
    "{\"level\":2,\"context_type\":\"resource\",\"abstract\":\"How the queue leases work\","
    "\"tags\":[\"team=core\",\"lang=c\"],\"owner\":\"alice\",\"parent\":\"viking://resources/kb\","
    "\"created_ms\":1795478400000,\"updated_ms\":1795561200000}";

/* Compiles text, matches r, frees. */
static int matches(const char *text, const struct retrieval_record *r)
{
    json_t *dsl = json_loads(text, 0, NULL);
    assert_non_null(dsl);
    struct retrieval_filter *f = NULL;
    char err[256] = "";
    if (retrieval_filter_compile(dsl, NOW_MS, &f, err, sizeof err) != 0)
        fail_msg("'%s' refused: %s", text, err);
    int m = retrieval_filter_match(f, r);
    retrieval_filter_free(f);
    json_decref(dsl);
    return m;
}

static void refused(const char *text, const char *why_part)
{
    json_t *dsl = json_loads(text, 0, NULL);
    assert_non_null(dsl);
    struct retrieval_filter *f = NULL;
    char err[256] = "";
    if (retrieval_filter_compile(dsl, NOW_MS, &f, err, sizeof err) == 0)
        fail_msg("'%s' accepted", text);
    if (!strstr(err, why_part))
        fail_msg("'%s': '%s' lacks '%s'", text, err, why_part);
    assert_null(f);
    json_decref(dsl);
}

static void record_fields(void **state)
{
    (void)state;
    struct retrieval_record r = rec("viking://resources/kb/queue.md", doc_meta);
    assert_string_equal(r.uri, "viking://resources/kb/queue.md");
    assert_int_equal(r.level, 2);
    assert_string_equal(r.context_type, "resource");
    assert_string_equal(r.owner, "alice");
    assert_int_equal(r.updated_ms, 1795561200000LL);
    char shown[VIKING_URI_MAX + 32];
    retrieval_record_display_uri(&r, shown, sizeof shown);
    assert_string_equal(shown, "viking://resources/kb/queue.md");
    retrieval_record_clear(&r);

    r = rec("viking://user/bob/memories", "{\"level\":0}");
    retrieval_record_display_uri(&r, shown, sizeof shown);
    assert_string_equal(shown, "viking://user/bob/memories/.abstract.md");
    assert_string_equal(r.context_type, "memory");
    retrieval_record_clear(&r);
    r = rec("viking://agent/skills/x", "{\"level\":1,\"context_type\":\"skill\"}");
    retrieval_record_display_uri(&r, shown, sizeof shown);
    assert_string_equal(shown, "viking://agent/skills/x/.overview.md");
    retrieval_record_clear(&r);

    /* No metadata, or garbage: the URI alone says what it is. */
    r = rec("viking://user/bob/skills/s/SKILL.md", "not json");
    assert_int_equal(r.level, 2);
    assert_string_equal(r.context_type, "skill");
    assert_string_equal(r.abstract, "");
    assert_int_equal(json_array_size(r.tags), 0);
    retrieval_record_clear(&r);
}

static void filter_ops(void **state)
{
    (void)state;
    struct retrieval_record r = rec("viking://resources/kb/queue.md", doc_meta);
    assert_true(matches("{\"op\":\"must\",\"field\":\"context_type\",\"conds\":[\"memory\",\"resource\"]}", &r));
    assert_false(matches("{\"op\":\"must\",\"field\":\"context_type\",\"conds\":[\"memory\"]}", &r));
    assert_true(matches("{\"op\":\"must_not\",\"field\":\"context_type\",\"conds\":[\"memory\"]}", &r));
    assert_true(matches("{\"op\":\"must\",\"field\":\"level\",\"conds\":[2]}", &r));
    assert_false(matches("{\"op\":\"must\",\"field\":\"level\",\"conds\":[0,1]}", &r));
    assert_true(matches("{\"op\":\"range\",\"field\":\"level\",\"gte\":1,\"lte\":2}", &r));
    assert_false(matches("{\"op\":\"range\",\"field\":\"level\",\"gt\":2}", &r));
    assert_true(matches("{\"op\":\"range_out\",\"field\":\"level\",\"lt\":2}", &r));
    assert_true(matches("{\"op\":\"must\",\"field\":\"uri\",\"conds\":[\"viking://resources/kb/queue.md\"]}", &r));
    assert_true(matches("{\"op\":\"prefix\",\"field\":\"uri\",\"prefix\":\"viking://resources/kb/\"}", &r));
    assert_false(matches("{\"op\":\"prefix\",\"field\":\"uri\",\"prefix\":\"viking://user/\"}", &r));
    assert_true(matches("{\"op\":\"must\",\"field\":\"parent_uri\",\"conds\":[\"viking://resources/kb\"]}", &r));
    assert_true(matches("{\"op\":\"contains\",\"field\":\"abstract\",\"substring\":\"leases\"}", &r));
    assert_false(matches("{\"op\":\"contains\",\"field\":\"abstract\",\"substring\":\"Leases\"}", &r));
    assert_true(matches("{\"op\":\"contains\",\"field\":\"uri\",\"conds\":[\"queue\"]}", &r));
    assert_true(matches("{\"op\":\"must\",\"field\":\"owner_user_id\",\"conds\":[\"alice\"]}", &r));
    /* Tags: any tag; a bare key matches any value of it. */
    assert_true(matches("{\"op\":\"must\",\"field\":\"tags\",\"conds\":[\"lang=c\"]}", &r));
    assert_true(matches("{\"op\":\"must\",\"field\":\"search_tags\",\"conds\":[\"team\"]}", &r));
    assert_false(matches("{\"op\":\"must\",\"field\":\"tags\",\"conds\":[\"lang=go\",\"tea\"]}", &r));
    assert_true(matches("{\"op\":\"must_not\",\"field\":\"tags\",\"conds\":[\"lang=go\"]}", &r));
    assert_true(matches("{\"op\":\"contains\",\"field\":\"tags\",\"substring\":\"=co\"}", &r));
    retrieval_record_clear(&r);
}

static void filter_times_and_nesting(void **state)
{
    (void)state;
    struct retrieval_record r = rec("viking://resources/kb/queue.md", doc_meta);
    /* created 2026-11-24, updated 2026-11-24T23:00Z; now is 2026-11-25T00:00Z */
    assert_true(matches("{\"op\":\"range\",\"field\":\"updated_at\",\"gte\":\"2h\"}", &r));
    assert_false(matches("{\"op\":\"range\",\"field\":\"updated_at\",\"gte\":\"30m\"}", &r));
    assert_true(matches("{\"op\":\"range\",\"field\":\"created_at\",\"gte\":\"2026-11-24\",\"lt\":\"2026-11-24T00:00:01Z\"}", &r));
    assert_true(matches("{\"op\":\"range\",\"field\":\"created_at\",\"lte\":1795478400}", &r));
    assert_false(matches("{\"op\":\"range\",\"field\":\"created_at\",\"lt\":1795478400}", &r));
    assert_true(matches("{\"op\":\"and\",\"conds\":[{\"op\":\"must\",\"field\":\"level\",\"conds\":[2]},"
                        "{\"op\":\"or\",\"conds\":[{\"op\":\"must\",\"field\":\"tags\",\"conds\":[\"x=y\"]},"
                        "{\"op\":\"prefix\",\"field\":\"uri\",\"prefix\":\"viking://resources\"}]}]}", &r));
    assert_false(matches("{\"op\":\"and\",\"conds\":[{\"op\":\"must\",\"field\":\"level\",\"conds\":[2]},"
                         "{\"op\":\"must\",\"field\":\"tags\",\"conds\":[\"x=y\"]}]}", &r));
    assert_false(matches("{\"op\":\"or\",\"conds\":[{\"op\":\"must\",\"field\":\"level\",\"conds\":[0]}]}", &r));
    retrieval_record_clear(&r);
}

static void filter_refusals(void **state)
{
    (void)state;
    refused("[]", "must be an object");
    refused("{\"field\":\"level\"}", "missing \"op\"");
    refused("{\"op\":\"near\",\"field\":\"level\"}", "unknown op 'near'");
    refused("{\"op\":\"must\",\"field\":\"color\",\"conds\":[1]}", "unknown field 'color'");
    refused("{\"op\":\"must\",\"field\":\"level\"}", "conds");
    refused("{\"op\":\"must\",\"field\":\"level\",\"conds\":[\"two\"]}", "must be a number");
    refused("{\"op\":\"must\",\"field\":\"uri\",\"conds\":[3]}", "must be a string");
    refused("{\"op\":\"range\",\"field\":\"uri\",\"gte\":\"a\"}", "range needs a number or time field");
    refused("{\"op\":\"range\",\"field\":\"level\"}", "range needs gte");
    refused("{\"op\":\"range\",\"field\":\"level\",\"gt\":1,\"gte\":1}", "only one of gte and gt");
    refused("{\"op\":\"range\",\"field\":\"updated_at\",\"gte\":\"yesterday\"}", "epoch seconds");
    refused("{\"op\":\"contains\",\"field\":\"level\",\"substring\":\"1\"}", "text or tags field");
    refused("{\"op\":\"and\",\"conds\":[]}", "non-empty array");
    refused("{\"op\":\"and\",\"conds\":[{\"op\":\"must\",\"field\":\"level\",\"conds\":[1]},{\"op\":\"x\"}]}",
            "conds[1]: unknown op 'x'");
    /* Depth and size are bounded. */
    char deep[4096] = "";
    for (int i = 0; i < 20; i++)
        strcat(deep, "{\"op\":\"and\",\"conds\":[");
    strcat(deep, "{\"op\":\"must\",\"field\":\"level\",\"conds\":[1]}");
    for (int i = 0; i < 20; i++)
        strcat(deep, "]}");
    refused(deep, "nested deeper");
}

static void times(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(retrieval_time_parse("2h", NOW_MS, 0, &t), 0);
    assert_int_equal(t, NOW_MS - 2 * 3600 * 1000);
    assert_int_equal(retrieval_time_parse("7d", NOW_MS, 0, &t), 0);
    assert_int_equal(t, NOW_MS - 7 * DAY_MS);
    assert_int_equal(retrieval_time_parse(" 1w ", NOW_MS, 0, &t), 0);
    assert_int_equal(t, NOW_MS - 7 * DAY_MS);
    assert_int_equal(retrieval_time_parse("90s", NOW_MS, 0, &t), 0);
    assert_int_equal(t, NOW_MS - 90000);
    assert_int_equal(retrieval_time_parse("2026-11-25", NOW_MS, 0, &t), 0);
    assert_int_equal(t, NOW_MS);
    assert_int_equal(retrieval_time_parse("2026-11-25", NOW_MS, 1, &t), 0);
    assert_int_equal(t, NOW_MS + DAY_MS - 1);
    assert_int_equal(retrieval_time_parse("2026-11-25T01:02:03Z", NOW_MS, 0, &t), 0);
    assert_int_equal(t, NOW_MS + 3723000);
    assert_int_equal(retrieval_time_parse("2026-11-25T01:02:03.5+01:00", NOW_MS, 0, &t), 0);
    assert_int_equal(t, NOW_MS + 3723500 - 3600000);
    assert_int_equal(retrieval_time_parse("1970-01-01T00:00:00Z", NOW_MS, 0, &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(retrieval_time_parse("2024-02-29", NOW_MS, 0, &t), 0);
    static const char *const bad[] = {"", "2h ago", "h", "-2h", "2y", "2026-02-30", "2026-13-01",
                                      "2026-11-25T25:00Z", "2026-11-25T01:02:03Q", "26-11-25", NULL};
    for (int i = 0; bad[i]; i++)
        if (retrieval_time_parse(bad[i], NOW_MS, 0, &t) == 0)
            fail_msg("'%s' accepted", bad[i]);
}

/* Parses body for caller; returns 0 or -1 with err. */
static int parse(const char *body, const struct identity *id, struct retrieval_spec *s,
                 struct retrieval_error *err)
{
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    int rc = retrieval_spec_parse(j, id, NOW_MS, s, err);
    json_decref(j);
    return rc;
}

static void expect_refusal(const char *body, const char *code, const char *loc)
{
    struct identity root = who("default", AUTH_ROLE_ROOT);
    struct retrieval_spec s;
    struct retrieval_error e;
    if (parse(body, &root, &s, &e) == 0)
        fail_msg("'%s' accepted", body);
    assert_string_equal(e.code, code);
    assert_string_equal(e.loc, loc);
}

static void spec_fields(void **state)
{
    (void)state;
    struct identity root = who("default", AUTH_ROLE_ROOT);
    struct retrieval_spec s;
    struct retrieval_error e;
    assert_int_equal(parse("{\"query\":\"q\"}", &root, &s, &e), 0);
    assert_int_equal(s.limit, 10);
    assert_int_equal(s.ctypes, RETRIEVAL_CT_ALL);
    assert_int_equal(s.levels, RETRIEVAL_LEVELS_ALL);
    assert_int_equal(s.n_targets, 0); /* ROOT: the whole account */
    assert_false(s.has_threshold);
    assert_true(retrieval_spec_score_ok(&s, 0.01));
    assert_false(retrieval_spec_score_ok(&s, 0.0));
    retrieval_spec_clear(&s);

    assert_int_equal(parse("{\"query\":\"q\",\"limit\":3,\"node_limit\":7,\"context_type\":[\"memory\",\"skill\"],"
                           "\"level\":\"0, 2\",\"tags\":[\"a=b\"],\"score_threshold\":0.5,"
                           "\"since\":\"7d\",\"until\":\"2026-11-24\",\"time_field\":\"created_at\","
                           "\"include_provenance\":true,\"telemetry\":{\"summary\":true}}",
                           &root, &s, &e), 0);
    assert_int_equal(s.limit, 7);
    assert_int_equal(s.ctypes, RETRIEVAL_CT_MEMORY | RETRIEVAL_CT_SKILL);
    assert_int_equal(s.levels, 5u);
    assert_int_equal(s.n_tags, 1);
    assert_true(s.time_created);
    assert_true(s.provenance);
    assert_int_equal(s.since_ms, NOW_MS - 7 * DAY_MS);
    assert_int_equal(s.until_ms, NOW_MS - 1);
    assert_true(retrieval_spec_score_ok(&s, 0.5));
    assert_false(retrieval_spec_score_ok(&s, 0.49));

    /* accepts: every filter at once. */
    struct retrieval_record r = rec("viking://user/default/memories/m.md",
                                    "{\"level\":2,\"context_type\":\"memory\",\"tags\":[\"a=b\"],"
                                    "\"created_ms\":1795478400000,\"updated_ms\":0}");
    assert_true(retrieval_spec_accepts(&s, &r));
    retrieval_record_clear(&r);
    r = rec("viking://user/default/memories/m.md", "{\"level\":1,\"context_type\":\"memory\","
            "\"tags\":[\"a=b\"],\"created_ms\":1795478400000}");
    assert_false(retrieval_spec_accepts(&s, &r)); /* level 1 not asked for */
    retrieval_record_clear(&r);
    r = rec("viking://resources/x.md", "{\"level\":2,\"tags\":[\"a=b\"],\"created_ms\":1795478400000}");
    assert_false(retrieval_spec_accepts(&s, &r)); /* a resource */
    retrieval_record_clear(&r);
    r = rec("viking://user/default/memories/m.md", "{\"level\":2,\"context_type\":\"memory\","
            "\"tags\":[\"a=c\"],\"created_ms\":1795478400000}");
    assert_false(retrieval_spec_accepts(&s, &r)); /* tag value differs */
    retrieval_record_clear(&r);
    r = rec("viking://user/default/memories/m.md", "{\"level\":2,\"context_type\":\"memory\","
            "\"tags\":[\"a=b\"],\"created_ms\":1795564800000}");
    assert_false(retrieval_spec_accepts(&s, &r)); /* created after until */
    retrieval_record_clear(&r);
    retrieval_spec_clear(&s);

    assert_int_equal(parse("{\"query\":\"q\",\"level\":[1],\"context_type\":\"\",\"filter\":"
                           "{\"op\":\"must\",\"field\":\"uri\",\"conds\":[\"viking://resources/a\"]}}",
                           &root, &s, &e), 0);
    assert_int_equal(s.levels, 2u);
    assert_int_equal(s.ctypes, RETRIEVAL_CT_ALL);
    r = rec("viking://resources/a", "{\"level\":1}");
    assert_true(retrieval_spec_accepts(&s, &r));
    retrieval_record_clear(&r);
    r = rec("viking://resources/b", "{\"level\":1}");
    assert_false(retrieval_spec_accepts(&s, &r));
    retrieval_record_clear(&r);
    retrieval_spec_clear(&s);
}

static void spec_refusals(void **state)
{
    (void)state;
    expect_refusal("{}", "INVALID_ARGUMENT", "body.query");
    expect_refusal("{\"query\":\"  \"}", "INVALID_ARGUMENT", "body.query");
    expect_refusal("{\"query\":3}", "INVALID_ARGUMENT", "body.query");
    expect_refusal("{\"query\":\"\",\"image_url\":\"http://x/a.png\"}", "UNIMPLEMENTED", "body.image_url");
    expect_refusal("{\"query\":\"q\",\"limit\":0}", "INVALID_ARGUMENT", "body.limit");
    expect_refusal("{\"query\":\"q\",\"node_limit\":\"5\"}", "INVALID_ARGUMENT", "body.node_limit");
    expect_refusal("{\"query\":\"q\",\"context_type\":\"thing\"}", "INVALID_ARGUMENT", "body.context_type");
    expect_refusal("{\"query\":\"q\",\"context_type\":[\"memory\",1]}", "INVALID_ARGUMENT", "body.context_type");
    expect_refusal("{\"query\":\"q\",\"level\":3}", "INVALID_ARGUMENT", "body.level");
    expect_refusal("{\"query\":\"q\",\"level\":\"0,x\"}", "INVALID_ARGUMENT", "body.level");
    expect_refusal("{\"query\":\"q\",\"level\":[]}", "INVALID_ARGUMENT", "body.level");
    expect_refusal("{\"query\":\"q\",\"tags\":[\"novalue\"]}", "INVALID_ARGUMENT", "body.tags");
    expect_refusal("{\"query\":\"q\",\"since\":\"last week\"}", "INVALID_ARGUMENT", "body.since");
    expect_refusal("{\"query\":\"q\",\"time_field\":\"mtime\"}", "INVALID_ARGUMENT", "body.time_field");
    expect_refusal("{\"query\":\"q\",\"score_threshold\":\"high\"}", "INVALID_ARGUMENT", "body.score_threshold");
    expect_refusal("{\"query\":\"q\",\"filter\":[1]}", "INVALID_FILTER", "body.filter");
    expect_refusal("{\"query\":\"q\",\"filter\":{\"op\":\"must\",\"field\":\"nope\",\"conds\":[1]}}",
                   "INVALID_FILTER", "body.filter");
    expect_refusal("{\"query\":\"q\",\"target_uri\":\"http://x\"}", "INVALID_URI", "body.target_uri");
    expect_refusal("{\"query\":\"q\",\"target_uri\":7}", "INVALID_ARGUMENT", "body.target_uri");
    expect_refusal("{\"query\":\"q\",\"target_uri\":[\"viking://resources\",7]}", "INVALID_ARGUMENT",
                   "body.target_uri.1");
}

static void expect_targets(const char *target_json, const struct identity *id, const char *want)
{
    json_t *t = target_json ? json_loads(target_json, JSON_DECODE_ANY, NULL) : NULL;
    char **out;
    size_t n;
    struct retrieval_error e;
    if (retrieval_targets_resolve(t, id, &out, &n, &e) != 0)
        fail_msg("%s refused: %s", target_json ? target_json : "(none)", e.message);
    char joined[2048] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", i ? " " : "", out[i]);
    assert_string_equal(joined, want);
    retrieval_targets_free(out, n);
    json_decref(t);
}

static void targets_per_role(void **state)
{
    (void)state;
    struct identity root = who("default", AUTH_ROLE_ROOT), alice = who("alice", AUTH_ROLE_USER);
    struct identity admin = who("adm", AUTH_ROLE_ADMIN);
    expect_targets(NULL, &root, "");
    expect_targets("\"\"", &root, "");
    expect_targets("\"viking://\"", &root, "");
    expect_targets("\"viking://user\"", &root, "viking://user");
    expect_targets("[\"viking://resources/a\",\"viking://resources\"]", &root, "viking://resources");
    expect_targets(NULL, &alice, "viking://user/alice viking://resources");
    expect_targets("\"/\"", &alice, "viking://user/alice viking://resources");
    expect_targets("[]", &alice, "viking://user/alice viking://resources");
    expect_targets("\"viking://\"", &admin, "viking://user/adm viking://resources");
    expect_targets("\"viking://user\"", &alice, "viking://user/alice");
    expect_targets("\"viking://~/memories/\"", &alice, "viking://user/alice/memories");
    expect_targets("[\"viking://agent/skills\",\"viking://resources/docs\",\"viking://resources/docs/a\"]",
                   &alice, "viking://agent/skills viking://resources/docs");
    expect_targets("[\"viking://resources/docs\",\"viking://resources/docs\"]", &alice,
                   "viking://resources/docs");

    json_t *t = json_string("viking://user/bob/memories");
    char **out;
    size_t n;
    struct retrieval_error e;
    assert_int_equal(retrieval_targets_resolve(t, &alice, &out, &n, &e), -1);
    assert_string_equal(e.code, "PERMISSION_DENIED");
    json_decref(t);
    t = json_string("viking://~/memories");
    assert_int_equal(retrieval_targets_resolve(t, &root, &out, &n, &e), -1);
    assert_string_equal(e.code, "INVALID_URI");
    json_decref(t);

    /* In scope: inside a target (segment-wise) and visible to the caller. */
    struct retrieval_spec s;
    assert_int_equal(parse("{\"query\":\"q\"}", &alice, &s, &e), 0);
    struct retrieval_record r = rec("viking://user/alice/memories/a.md", NULL);
    assert_true(retrieval_spec_in_scope(&s, &alice, &r));
    retrieval_record_clear(&r);
    r = rec("viking://user/bob/memories/a.md", NULL);
    assert_false(retrieval_spec_in_scope(&s, &alice, &r));
    retrieval_record_clear(&r);
    r = rec("viking://user/alice2/memories/a.md", NULL);
    assert_false(retrieval_spec_in_scope(&s, &alice, &r));
    retrieval_record_clear(&r);
    r = rec("viking://agent/skills/x", NULL);
    assert_false(retrieval_spec_in_scope(&s, &alice, &r));
    retrieval_record_clear(&r);
    r = rec("viking://resources", NULL);
    assert_true(retrieval_spec_in_scope(&s, &alice, &r));
    retrieval_record_clear(&r);
    retrieval_spec_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_fields),
        cmocka_unit_test(filter_ops),
        cmocka_unit_test(filter_times_and_nesting),
        cmocka_unit_test(filter_refusals),
        cmocka_unit_test(times),
        cmocka_unit_test(spec_fields),
        cmocka_unit_test(spec_refusals),
        cmocka_unit_test(targets_per_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
