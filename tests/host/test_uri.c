/* viking:// URIs: canonical form, aliases per role, the traversal and encoding rejections, access
 * per role, context types, parent/name/is_under/join, and name sanitising. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "uri/viking_uri.h"

static struct identity make(const char *account, const char *user, const char *peer,
                            enum auth_role role)
{
    struct identity id;
    memset(&id, 0, sizeof id);
    snprintf(id.account, sizeof id.account, "%s", account);
    snprintf(id.user, sizeof id.user, "%s", user);
    snprintf(id.peer, sizeof id.peer, "%s", peer);
    id.role = role;
    return id;
}

static void expect_canon(const char *in, const struct identity *who, const char *want)
{
    char out[VIKING_URI_MAX + 1], reason[256] = "";
    if (viking_uri_canonicalize(in, who, out, sizeof out, reason, sizeof reason) != 0)
        fail_msg("'%s' rejected: %s", in, reason);
    assert_string_equal(out, want);
}

static void expect_reject(const char *in, const struct identity *who, const char *reason_part)
{
    char out[VIKING_URI_MAX + 1] = "", reason[256] = "";
    if (viking_uri_canonicalize(in, who, out, sizeof out, reason, sizeof reason) == 0)
        fail_msg("'%s' accepted as '%s'", in, out);
    if (!strstr(reason, reason_part))
        fail_msg("'%s': reason '%s' lacks '%s'", in, reason, reason_part);
}

static void canonical_form(void **state)
{
    (void)state;
    struct identity root = make("default", "default", "", AUTH_ROLE_ROOT);
    struct identity alice = make("acme", "alice", "", AUTH_ROLE_USER);
    expect_canon("viking://", &root, "viking://");
    expect_canon("viking:///", &alice, "viking://");
    expect_canon("viking://resources", &alice, "viking://resources");
    expect_canon("viking://resources/docs/", &alice, "viking://resources/docs");
    expect_canon("viking://resources//docs///a.md", &alice, "viking://resources/docs/a.md");
    expect_canon("viking://agent/skills/search/", &root, "viking://agent/skills/search");
    expect_canon("viking://user", &alice, "viking://user");
    expect_canon("viking://user/alice/peers/p-1/memories", &alice,
                 "viking://user/alice/peers/p-1/memories");
    expect_canon("viking://user/bob/memories", &alice, "viking://user/bob/memories"); /* access says 403 */
    /* Only whole '.'/'..' segments are traversal; `~` is an alias only as the scope. */
    expect_canon("viking://resources/a..b/.abstract.md/...", &alice,
                 "viking://resources/a..b/.abstract.md/...");
    expect_canon("viking://resources/~/x", &alice, "viking://resources/~/x");
    expect_canon("viking://resources/\xe6\x96\x87\xe6\xa1\xa3 v1.md", &alice,
                 "viking://resources/\xe6\x96\x87\xe6\xa1\xa3 v1.md");
}

static void aliases_per_role(void **state)
{
    (void)state;
    struct identity alice = make("acme", "alice", "", AUTH_ROLE_USER);
    struct identity admin = make("acme", "boss", "", AUTH_ROLE_ADMIN);
    struct identity root = make("default", "default", "", AUTH_ROLE_ROOT);
    expect_canon("viking://~", &alice, "viking://user/alice");
    expect_canon("viking://~/", &alice, "viking://user/alice");
    expect_canon("viking://~/memories/x.md", &alice, "viking://user/alice/memories/x.md");
    expect_canon("viking://session/s1/messages", &alice, "viking://user/alice/sessions/s1/messages");
    expect_canon("viking://session", &alice, "viking://user/alice/sessions");
    expect_canon("viking://~/resources", &admin, "viking://user/boss/resources");
    expect_canon("viking://session/abc", &admin, "viking://user/boss/sessions/abc");
    expect_reject("viking://~", &root, "Home alias URI is not canonical");
    expect_reject("viking://~/memories", &root, "Home alias");
    expect_reject("viking://session/s1", &root, "Home alias");
    expect_reject("viking://~/x", NULL, "Home alias");
    /* An alias that pushes the URI past the depth limit. */
    char deep[512] = "viking://session";
    for (int i = 0; i < 30; i++)
        strcat(deep, "/d");
    expect_reject(deep, &alice, "more than 32 segments");
}

static void scopes_and_ids(void **state)
{
    (void)state;
    struct identity alice = make("acme", "alice", "", AUTH_ROLE_USER);
    struct identity root = make("default", "default", "", AUTH_ROLE_ROOT);
    struct identity memories = make("acme", "memories", "", AUTH_ROLE_USER);
    expect_reject("viking://temp/x", &root, "Must be one of: agent, resources, session, user");
    expect_reject("viking://queue", &alice, "Invalid scope 'queue'");
    expect_reject("viking://upload/f", &alice, "Invalid scope 'upload'");
    expect_reject("viking://foo/bar", &alice,
                  "Invalid scope 'foo'. Must be one of: agent, queue, resources, session, temp, "
                  "upload, user");
    expect_reject("viking://Resources", &alice, "Invalid scope");
    const char *uidless[] = {"memories", "resources", "skills", "peers", "privacy", "sessions"};
    for (size_t i = 0; i < 6; i++) {
        char uri[128], hint[128];
        snprintf(uri, sizeof uri, "viking://user/%s/x", uidless[i]);
        snprintf(hint, sizeof hint, "use viking://~/%s/", uidless[i]);
        expect_reject(uri, &alice, hint);
        expect_reject(uri, &root, "has no user id");
    }
    expect_canon("viking://user/memories/x", &memories, "viking://user/memories/x");
    expect_reject("viking://user/a@b@c", &root, "invalid user id");
    expect_reject("viking://user/a b", &root, "invalid user id");
    expect_reject("viking://user/alice/peers/x@y@z/memories", &alice, "invalid peer id");
    expect_reject("viking://session/bad$id", &alice, "invalid session id");
    char long_id[80];
    memset(long_id, 'u', 65);
    long_id[65] = '\0';
    char uri[128];
    snprintf(uri, sizeof uri, "viking://user/%s", long_id);
    expect_reject(uri, &root, "invalid user id");
}

static void traversal_and_encoding(void **state)
{
    (void)state;
    struct identity root = make("default", "default", "", AUTH_ROLE_ROOT);
    struct identity alice = make("acme", "alice", "", AUTH_ROLE_USER);
    const struct identity *who[] = {&root, &alice};
    for (int w = 0; w < 2; w++) {
        expect_reject("viking://resources/../user/bob", who[w], "'.' and '..'");
        expect_reject("viking://resources/a/..", who[w], "'.' and '..'");
        expect_reject("viking://..", who[w], "'.' and '..'");
        expect_reject("viking://resources/./x", who[w], "'.' and '..'");
        expect_reject("viking://resources/a/.", who[w], "'.' and '..'");
        expect_reject("viking://resources/%2e%2e/x", who[w], "percent");
        expect_reject("viking://resources/%2E%2E/x", who[w], "percent");
        expect_reject("viking://resources/a%2fb", who[w], "percent");
        expect_reject("viking://resources/a%2Fb", who[w], "percent");
        expect_reject("viking://resources/a%5cb", who[w], "percent");
        expect_reject("viking://resources/a%00b", who[w], "percent");
        expect_reject("viking://resources/a%20b", who[w], "percent");
        expect_reject("viking://resources/%", who[w], "percent");
        expect_reject("viking://resources\\..\\user", who[w], "backslash");
        expect_reject("viking://resources/a\\b", who[w], "backslash");
        expect_reject("viking://resources/a\x01", who[w], "control character");
        expect_reject("viking://resources/a\tb", who[w], "control character");
        expect_reject("viking://resources/a\nb", who[w], "control character");
        expect_reject("viking://resources/a\rb", who[w], "control character");
        expect_reject("viking://resources/a\x7f", who[w], "control character");
        expect_reject("viking://resources/a\xc2\x85", who[w], "control character"); /* C1 NEL */
        expect_reject("viking://resources/\xff", who[w], "UTF-8");
        expect_reject("viking://resources/\xc0\xaf..", who[w], "UTF-8"); /* overlong '/' */
        expect_reject("viking://resources/\xe0\x80\xae", who[w], "UTF-8"); /* overlong '.' */
        expect_reject("viking://resources/\xed\xa0\x80", who[w], "UTF-8"); /* surrogate */
        expect_reject("viking://resources/\xe6\x96", who[w], "UTF-8"); /* cut short */
        expect_reject("http://resources/x", who[w], "must start with viking://");
        expect_reject("VIKING://resources", who[w], "must start with viking://");
        expect_reject("viking:/resources", who[w], "must start with viking://");
        expect_reject("resources/x", who[w], "must start with viking://");
        expect_reject("", who[w], "must start with viking://");
    }
}

static void length_and_depth_limits(void **state)
{
    (void)state;
    struct identity root = make("default", "default", "", AUTH_ROLE_ROOT);
    char seg[300], uri[2048], out[VIKING_URI_MAX + 1], reason[128];
    memset(seg, 'a', VIKING_SEGMENT_MAX);
    seg[VIKING_SEGMENT_MAX] = '\0';
    snprintf(uri, sizeof uri, "viking://resources/%s", seg);
    expect_canon(uri, &root, uri);
    memset(seg, 'a', VIKING_SEGMENT_MAX + 1);
    seg[VIKING_SEGMENT_MAX + 1] = '\0';
    snprintf(uri, sizeof uri, "viking://resources/%s", seg);
    expect_reject(uri, &root, "longer than 255 bytes");

    strcpy(uri, "viking://resources");
    for (int i = 1; i < VIKING_DEPTH_MAX; i++)
        strcat(uri, "/d");
    expect_canon(uri, &root, uri); /* exactly 32 segments */
    strcat(uri, "/d");
    expect_reject(uri, &root, "more than 32 segments");

    memset(seg, 'b', 250);
    seg[250] = '\0';
    snprintf(uri, sizeof uri, "viking://resources/%s/%s/%s/%s/%s", seg, seg, seg, seg, seg);
    expect_reject(uri, &root, "longer than 1024 bytes");

    /* A buffer too small for the canonical form is an error, not a truncation. */
    assert_int_equal(viking_uri_canonicalize("viking://resources/docs", &root, out, 12, reason,
                                             sizeof reason), -1);
}

static void access_per_role(void **state)
{
    (void)state;
    struct identity root = make("default", "default", "", AUTH_ROLE_ROOT);
    struct identity alice = make("acme", "alice", "", AUTH_ROLE_USER);
    struct identity admin = make("acme", "boss", "", AUTH_ROLE_ADMIN);
    struct identity peer = make("acme", "alice", "p1", AUTH_ROLE_USER);
    assert_int_equal(viking_uri_access(&root, "viking://user/bob/memories/x"), 0);
    assert_int_equal(viking_uri_access(&root, "viking://user/alice/peers/p2"), 0);
    const char *shared[] = {"viking://", "viking://resources", "viking://resources/docs/a.md",
                            "viking://agent", "viking://agent/skills/s", "viking://user",
                            "viking://user/alice", "viking://user/alice/memories/m.md"};
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
        assert_int_equal(viking_uri_access(&alice, shared[i]), 0);
    assert_int_equal(viking_uri_access(&alice, "viking://user/bob"), -1);
    assert_int_equal(viking_uri_access(&alice, "viking://user/bob/memories/m.md"), -1);
    assert_int_equal(viking_uri_access(&alice, "viking://user/alicex/memories"), -1);
    assert_int_equal(viking_uri_access(&alice, "viking://user/ali"), -1);
    assert_int_equal(viking_uri_access(&admin, "viking://user/alice"), -1);
    assert_int_equal(viking_uri_access(&admin, "viking://user/boss/sessions/s"), 0);
    assert_int_equal(viking_uri_access(&admin, "viking://resources/x"), 0);
    /* With an actor peer, other peers' subtrees are out of reach; the caller's own are not. */
    assert_int_equal(viking_uri_access(&peer, "viking://user/alice/peers/p1/memories"), 0);
    assert_int_equal(viking_uri_access(&peer, "viking://user/alice/peers"), 0);
    assert_int_equal(viking_uri_access(&peer, "viking://user/alice/peers/p2"), -1);
    assert_int_equal(viking_uri_access(&peer, "viking://user/alice/peers/p2/memories/x"), -1);
    assert_int_equal(viking_uri_access(&alice, "viking://user/alice/peers/p2/memories/x"), 0);
    assert_int_equal(viking_uri_access(&peer, "viking://user/alice/memories"), 0);
    /* Not a canonical URI, unknown scope or no caller: refused. */
    assert_int_equal(viking_uri_access(&alice, "http://user/alice"), -1);
    assert_int_equal(viking_uri_access(&alice, "viking://temp/x"), -1);
    assert_int_equal(viking_uri_access(NULL, "viking://resources"), -1);
    assert_int_equal(viking_uri_access(&alice, "viking://user/alice/../bob"), -1);
    assert_int_equal(viking_uri_access(&root, "viking://resources/./x"), -1);
}

static void context_types(void **state)
{
    (void)state;
    assert_string_equal(viking_uri_context_type("viking://user/alice/memories/m.md"), "memory");
    assert_string_equal(viking_uri_context_type("viking://user/alice/memories"), "memory");
    assert_string_equal(viking_uri_context_type("viking://user/alice/resources/r"), "resource");
    assert_string_equal(viking_uri_context_type("viking://user/alice/skills/s/SKILL.md"), "skill");
    assert_string_equal(viking_uri_context_type("viking://user/alice/peers/p/memories/x"), "memory");
    assert_string_equal(viking_uri_context_type("viking://user/alice/peers/p/skills"), "skill");
    assert_string_equal(viking_uri_context_type("viking://user/alice/peers/p"), "resource");
    assert_string_equal(viking_uri_context_type("viking://user/alice/sessions/s"), "resource");
    assert_string_equal(viking_uri_context_type("viking://user/alice/profile.md"), "resource");
    assert_string_equal(viking_uri_context_type("viking://agent/skills/search"), "skill");
    assert_string_equal(viking_uri_context_type("viking://agent/tools/t"), "resource");
    assert_string_equal(viking_uri_context_type("viking://resources/memories/x"), "resource");
    assert_string_equal(viking_uri_context_type("viking://"), "resource");
}

static void parent_name_under_join(void **state)
{
    (void)state;
    char out[VIKING_URI_MAX + 1];
    assert_int_equal(viking_uri_parent("viking://resources/docs/a.md", out, sizeof out), 0);
    assert_string_equal(out, "viking://resources/docs");
    assert_int_equal(viking_uri_parent("viking://resources", out, sizeof out), 0);
    assert_string_equal(out, "viking://");
    assert_int_equal(viking_uri_parent("viking://", out, sizeof out), -1);
    assert_int_equal(viking_uri_parent("viking://resources/docs", out, 10), -1);

    assert_string_equal(viking_uri_name("viking://resources/docs/a.md"), "a.md");
    assert_string_equal(viking_uri_name("viking://resources"), "resources");
    assert_string_equal(viking_uri_name("viking://"), "");

    assert_true(viking_uri_is_under("viking://a/b", "viking://a/b"));
    assert_true(viking_uri_is_under("viking://a/b/c", "viking://a/b"));
    assert_false(viking_uri_is_under("viking://a/bc", "viking://a/b"));
    assert_false(viking_uri_is_under("viking://a/b", "viking://a/b/c"));
    assert_false(viking_uri_is_under("viking://a", "viking://a/b"));
    assert_true(viking_uri_is_under("viking://resources/x", "viking://"));
    assert_true(viking_uri_is_under("viking://", "viking://"));
    assert_false(viking_uri_is_under("viking://user/alice2/x", "viking://user/alice"));

    assert_int_equal(viking_uri_join("viking://resources/docs", "a/b.md", out, sizeof out), 0);
    assert_string_equal(out, "viking://resources/docs/a/b.md");
    assert_int_equal(viking_uri_join("viking://", "resources", out, sizeof out), 0);
    assert_string_equal(out, "viking://resources");
    assert_int_equal(viking_uri_join("viking://resources", "dir/", out, sizeof out), 0);
    assert_string_equal(out, "viking://resources/dir");
    assert_int_equal(viking_uri_join("viking://resources", "a/../b", out, sizeof out), -1);
    assert_int_equal(viking_uri_join("viking://resources", "./b", out, sizeof out), -1);
    assert_int_equal(viking_uri_join("viking://resources", "/etc", out, sizeof out), -1);
    assert_int_equal(viking_uri_join("viking://resources", "a//b", out, sizeof out), -1);
    assert_int_equal(viking_uri_join("viking://resources", "a\\b", out, sizeof out), -1);
    assert_int_equal(viking_uri_join("viking://resources", "", out, sizeof out), -1);
    assert_int_equal(viking_uri_join("viking://resources", "docs", out, 20), -1);
    char seg[300];
    memset(seg, 'x', 256);
    seg[256] = '\0';
    assert_int_equal(viking_uri_join("viking://resources", seg, out, sizeof out), -1);
}

static void expect_name(const char *in, const char *want)
{
    char out[64];
    viking_name_sanitize(in, out, sizeof out);
    assert_string_equal(out, want);
}

static void name_sanitising(void **state)
{
    (void)state;
    expect_name("Hello World!", "Hello_World");
    expect_name("report-2024.v2.md", "report-2024.v2.md");
    expect_name("a  /\\  b", "a_b");
    expect_name("__a__b__", "a_b");
    expect_name("..hidden..", "hidden");
    expect_name("._a_._b_.", "a_._b"); /* leading and trailing '_'/'.' go, inner ones stay */
    expect_name("", "unnamed");
    expect_name("!!!", "unnamed");
    expect_name("..", "unnamed");
    expect_name("\xe6\x96\x87\xe6\xa1\xa3 v1.md", "\xe6\x96\x87\xe6\xa1\xa3_v1.md");
    expect_name("caf\xc3\xa9", "caf\xc3\xa9");
    expect_name("\xff" "abc\xfe", "abc"); /* invalid UTF-8 bytes become '_' */
    expect_name("a\xc2\x85" "b", "a_b");  /* C1 control */
    expect_name("a\x01\x02" "b", "a_b");

    char in[128], want[128];
    memset(in, 'a', 60);
    in[60] = '\0';
    memset(want, 'a', 50);
    want[50] = '\0';
    expect_name(in, want);
    /* A 2-byte character that would end at byte 51 is dropped whole, not split. */
    memset(in, 'a', 49);
    strcpy(in + 49, "\xc3\xa9z");
    memset(want, 'a', 49);
    want[49] = '\0';
    expect_name(in, want);
    memset(in, 'a', 48);
    strcpy(in + 48, "\xc3\xa9z");
    memset(want, 'a', 48);
    strcpy(want + 48, "\xc3\xa9");
    expect_name(in, want);
    /* 17 three-byte characters are 51 bytes: 16 fit. */
    in[0] = want[0] = '\0';
    for (int i = 0; i < 17; i++)
        strcat(in, "\xe4\xb8\xad");
    for (int i = 0; i < 16; i++)
        strcat(want, "\xe4\xb8\xad");
    expect_name(in, want);
    /* Truncation that leaves a trailing separator strips it. */
    memset(in, 'a', 49);
    strcpy(in + 49, " tail");
    memset(want, 'a', 49);
    want[49] = '\0';
    expect_name(in, want);

    char small[4];
    viking_name_sanitize("abcdef", small, sizeof small);
    assert_string_equal(small, "abc");
    viking_name_sanitize("", small, sizeof small);
    assert_string_equal(small, "unn");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canonical_form),
        cmocka_unit_test(aliases_per_role),
        cmocka_unit_test(scopes_and_ids),
        cmocka_unit_test(traversal_and_encoding),
        cmocka_unit_test(length_and_depth_limits),
        cmocka_unit_test(access_per_role),
        cmocka_unit_test(context_types),
        cmocka_unit_test(parent_name_under_join),
        cmocka_unit_test(name_sanitising),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
