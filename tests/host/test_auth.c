/* Identity resolution: dev and api_key modes, key extraction and precedence, malformed identity
 * headers, the key table, key lines as written in the config, and ROOT's path allow-list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth/auth_key_spec.h"
#include "auth/auth_table.h"
#include "auth/identity.h"

#define ROOT_KEY "root-secret-0123456789"
#define ALICE_KEY "alice-secret-abcdef"
#define BOSS_KEY "boss-secret-xyz"

static struct auth_table *dev_table(void)
{
    struct auth_table *t = auth_table_new(AUTH_MODE_DEV);
    assert_non_null(t);
    return t;
}

static struct auth_table *key_table(void)
{
    struct auth_table *t = auth_table_new(AUTH_MODE_API_KEY);
    assert_non_null(t);
    uint8_t h[AUTH_KEY_HASH_LEN];
    char why[256];
    auth_key_hash(ROOT_KEY, h);
    assert_int_equal(auth_table_set_root(t, h, why, sizeof why), 0);
    auth_key_hash(ALICE_KEY, h);
    assert_int_equal(auth_table_add_user(t, h, "alice", "acme", "alice", AUTH_ROLE_USER, why,
                                         sizeof why), 0);
    auth_key_hash(BOSS_KEY, h);
    assert_int_equal(auth_table_add_user(t, h, "boss", "acme", "boss", AUTH_ROLE_ADMIN, why,
                                         sizeof why), 0);
    return t;
}

static int resolve(const struct auth_table *t, const struct auth_headers *h, struct identity *id,
                   const char **code, char *msg, size_t cap)
{
    *code = "unset";
    msg[0] = '\0';
    return auth_resolve(t, h, id, code, msg, cap);
}

static void expect_failure(const struct auth_table *t, const struct auth_headers *h,
                           const char *want_code, const char *msg_part)
{
    struct identity id;
    const char *code;
    char msg[256];
    assert_int_equal(resolve(t, h, &id, &code, msg, sizeof msg), -1);
    assert_string_equal(code, want_code);
    if (!strstr(msg, msg_part))
        fail_msg("message '%s' lacks '%s'", msg, msg_part);
    /* Whatever key was sent, the message never echoes it. */
    const char *bearer = h->authorization;
    if (bearer && strncmp(bearer, "Bearer ", 7) == 0)
        bearer += 7;
    const char *sent[] = {h->api_key, bearer};
    for (int i = 0; i < 2; i++)
        if (sent[i] && strlen(sent[i]) > 3 && strstr(msg, sent[i]))
            fail_msg("message '%s' echoes the key", msg);
    if (strstr(msg, "secret"))
        fail_msg("message '%s' echoes a key", msg);
}

static void ids(void **state)
{
    (void)state;
    assert_true(auth_id_valid("alice", 0));
    assert_true(auth_id_valid("a.b-c_d@example.com", 0));
    assert_true(auth_id_valid("_svc", 0));
    assert_false(auth_id_valid("_svc", 1));
    assert_true(auth_id_valid("acme", 1));
    assert_false(auth_id_valid("", 0));
    assert_false(auth_id_valid(".", 0));
    assert_false(auth_id_valid("..", 0));
    assert_true(auth_id_valid("...", 0));
    assert_false(auth_id_valid("a@b@c", 0));
    assert_false(auth_id_valid("a/b", 0));
    assert_false(auth_id_valid("a\\b", 0));
    assert_false(auth_id_valid("a b", 0));
    assert_false(auth_id_valid("caf\xc3\xa9", 0));
    char id[80];
    memset(id, 'x', AUTH_ID_MAX);
    id[AUTH_ID_MAX] = '\0';
    assert_true(auth_id_valid(id, 1));
    id[AUTH_ID_MAX] = 'x';
    id[AUTH_ID_MAX + 1] = '\0';
    assert_false(auth_id_valid(id, 1));
    assert_string_equal(auth_mode_name(AUTH_MODE_DEV), "dev");
    assert_string_equal(auth_mode_name(AUTH_MODE_API_KEY), "api_key");
    assert_string_equal(auth_role_name(AUTH_ROLE_USER), "user");
    assert_string_equal(auth_role_name(AUTH_ROLE_ADMIN), "admin");
    assert_string_equal(auth_role_name(AUTH_ROLE_ROOT), "root");
}

static void dev_mode(void **state)
{
    (void)state;
    struct auth_table *t = dev_table();
    struct identity id;
    const char *code;
    char msg[256];
    struct auth_headers none = {0};
    assert_int_equal(resolve(t, &none, &id, &code, msg, sizeof msg), 0);
    assert_null(code);
    assert_string_equal(id.account, "default");
    assert_string_equal(id.user, "default");
    assert_string_equal(id.peer, "");
    assert_int_equal(id.role, AUTH_ROLE_ROOT);

    struct auth_headers named = {.account = " acme ", .user = "\talice", .actor_peer = "p-1",
                                 .api_key = "whatever"};
    assert_int_equal(resolve(t, &named, &id, &code, msg, sizeof msg), 0);
    assert_string_equal(id.account, "acme");
    assert_string_equal(id.user, "alice");
    assert_string_equal(id.peer, "p-1");
    assert_int_equal(id.role, AUTH_ROLE_ROOT);
    assert_int_equal(auth_table_mode(t), AUTH_MODE_DEV);

    struct auth_headers empty = {.account = "  ", .user = "", .actor_peer = " "};
    assert_int_equal(resolve(t, &empty, &id, &code, msg, sizeof msg), 0);
    assert_string_equal(id.account, "default");
    assert_string_equal(id.user, "default");
    assert_string_equal(id.peer, "");

    const char *bad_accounts[] = {"_acme", "a@b@c", "a/b", "..", "a b", "x\x01"};
    for (size_t i = 0; i < sizeof bad_accounts / sizeof bad_accounts[0]; i++) {
        struct auth_headers h = {.account = bad_accounts[i]};
        expect_failure(t, &h, "INVALID_ARGUMENT", "X-OpenViking-Account");
    }
    char long_id[80];
    memset(long_id, 'u', 65);
    long_id[65] = '\0';
    const char *bad_users[] = {"a/b", "a\\b", "x@y@z", ".", long_id};
    for (size_t i = 0; i < sizeof bad_users / sizeof bad_users[0]; i++) {
        struct auth_headers h = {.user = bad_users[i]};
        expect_failure(t, &h, "INVALID_ARGUMENT", "X-OpenViking-User");
        struct auth_headers p = {.actor_peer = bad_users[i]};
        expect_failure(t, &p, "INVALID_ARGUMENT", "X-OpenViking-Actor-Peer");
    }
    /* An underscore is fine at the start of a user id, not of an account. */
    struct auth_headers svc = {.user = "_svc"};
    assert_int_equal(resolve(t, &svc, &id, &code, msg, sizeof msg), 0);
    assert_string_equal(id.user, "_svc");
    auth_table_free(t);
}

static void api_key_mode(void **state)
{
    (void)state;
    struct auth_table *t = key_table();
    struct identity id;
    const char *code;
    char msg[256];
    assert_int_equal(auth_table_mode(t), AUTH_MODE_API_KEY);
    assert_true(auth_table_has_root(t));
    assert_int_equal(auth_table_user_count(t), 2);

    struct auth_headers root = {.api_key = ROOT_KEY};
    assert_int_equal(resolve(t, &root, &id, &code, msg, sizeof msg), 0);
    assert_int_equal(id.role, AUTH_ROLE_ROOT);

    /* Identity headers are dropped: the key alone says who the caller is. */
    struct auth_headers alice = {.api_key = ALICE_KEY, .account = "other", .user = "mallory"};
    assert_int_equal(resolve(t, &alice, &id, &code, msg, sizeof msg), 0);
    assert_string_equal(id.account, "acme");
    assert_string_equal(id.user, "alice");
    assert_int_equal(id.role, AUTH_ROLE_USER);
    /* ...even malformed ones. */
    struct auth_headers junk = {.api_key = ALICE_KEY, .account = "_bad/acc", .user = "a@b@c"};
    assert_int_equal(resolve(t, &junk, &id, &code, msg, sizeof msg), 0);
    assert_string_equal(id.account, "acme");

    struct auth_headers bearer = {.authorization = "Bearer " BOSS_KEY, .actor_peer = "main"};
    assert_int_equal(resolve(t, &bearer, &id, &code, msg, sizeof msg), 0);
    assert_string_equal(id.user, "boss");
    assert_int_equal(id.role, AUTH_ROLE_ADMIN);
    assert_string_equal(id.peer, "main");

    /* X-API-Key wins over Authorization, whether or not it is the right key. */
    struct auth_headers both = {.api_key = ALICE_KEY, .authorization = "Bearer " ROOT_KEY};
    assert_int_equal(resolve(t, &both, &id, &code, msg, sizeof msg), 0);
    assert_string_equal(id.user, "alice");
    struct auth_headers wrong_first = {.api_key = "not-a-key", .authorization = "Bearer " ROOT_KEY};
    expect_failure(t, &wrong_first, "UNAUTHENTICATED", "Invalid API Key");
    /* An empty X-API-Key counts as absent. */
    struct auth_headers empty_first = {.api_key = " ", .authorization = "Bearer " ALICE_KEY};
    assert_int_equal(resolve(t, &empty_first, &id, &code, msg, sizeof msg), 0);
    assert_string_equal(id.user, "alice");

    struct auth_headers none = {0};
    expect_failure(t, &none, "UNAUTHENTICATED", "Missing API Key");
    struct auth_headers lower = {.authorization = "bearer " ALICE_KEY};
    expect_failure(t, &lower, "UNAUTHENTICATED", "Missing API Key");
    struct auth_headers basic = {.authorization = "Basic YWxpY2U6c2VjcmV0"};
    expect_failure(t, &basic, "UNAUTHENTICATED", "Missing API Key");
    struct auth_headers bare = {.authorization = "Bearer "};
    expect_failure(t, &bare, "UNAUTHENTICATED", "Missing API Key");
    struct auth_headers wrong = {.api_key = "alice-secret-abcdeg"}; /* last byte differs */
    expect_failure(t, &wrong, "UNAUTHENTICATED", "Invalid API Key");
    struct auth_headers prefix = {.api_key = "alice-secret-abcde"};
    expect_failure(t, &prefix, "UNAUTHENTICATED", "Invalid API Key");
    struct auth_headers wrong_bearer = {.authorization = "Bearer wrong-secret"};
    expect_failure(t, &wrong_bearer, "UNAUTHENTICATED", "Invalid API Key");

    /* The key is checked first: a stranger learns nothing about header validation. */
    struct auth_headers bad_peer_no_key = {.actor_peer = "a/b"};
    expect_failure(t, &bad_peer_no_key, "UNAUTHENTICATED", "Missing API Key");
    struct auth_headers bad_peer = {.api_key = ALICE_KEY, .actor_peer = "a/b"};
    expect_failure(t, &bad_peer, "INVALID_ARGUMENT", "X-OpenViking-Actor-Peer");
    auth_table_free(t);
}

static void user_keys_only_and_many_keys(void **state)
{
    (void)state;
    /* No root key: the root key path matches nothing, user keys still work. */
    struct auth_table *t = auth_table_new(AUTH_MODE_API_KEY);
    assert_non_null(t);
    char why[256], key[32], user[32], label[32];
    uint8_t h[AUTH_KEY_HASH_LEN];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(user, sizeof user, "u%d", i);
        snprintf(label, sizeof label, "l%d", i);
        auth_key_hash(key, h);
        assert_int_equal(auth_table_add_user(t, h, label, "acme", user, AUTH_ROLE_USER, why,
                                             sizeof why), 0);
    }
    assert_false(auth_table_has_root(t));
    struct identity id;
    const char *code;
    char msg[256];
    const int probe[] = {0, 1, 57, 99};
    for (size_t i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "key-%d", probe[i]);
        snprintf(user, sizeof user, "u%d", probe[i]);
        struct auth_headers hd = {.api_key = key};
        assert_int_equal(resolve(t, &hd, &id, &code, msg, sizeof msg), 0);
        assert_string_equal(id.user, user);
    }
    struct auth_headers zero = {.api_key = "key-100"};
    expect_failure(t, &zero, "UNAUTHENTICATED", "Invalid API Key");

    /* A hash may belong to one entry only, and never to the root key too. */
    auth_key_hash("key-5", h);
    assert_int_equal(auth_table_add_user(t, h, "dup", "acme", "x", AUTH_ROLE_USER, why, sizeof why), -1);
    assert_non_null(strstr(why, "l5"));
    assert_int_equal(auth_table_set_root(t, h, why, sizeof why), -1);
    assert_non_null(strstr(why, "l5"));
    auth_key_hash("fresh", h);
    assert_int_equal(auth_table_add_user(t, h, "r", "acme", "x", AUTH_ROLE_ROOT, why, sizeof why), -1);
    assert_int_equal(auth_table_set_root(t, h, why, sizeof why), 0);
    assert_int_equal(auth_table_add_user(t, h, "again", "acme", "x", AUTH_ROLE_USER, why, sizeof why), -1);
    assert_non_null(strstr(why, "root"));
    auth_table_free(t);
}

static void expect_spec_error(const char *line, const char *why_part, const char *secret)
{
    struct auth_key_spec spec;
    char why[256] = "";
    assert_int_equal(auth_key_spec_parse(line, &spec, why, sizeof why), -1);
    if (!strstr(why, why_part))
        fail_msg("'%s': reason '%s' lacks '%s'", line, why, why_part);
    if (secret && strstr(why, secret))
        fail_msg("reason '%s' quotes the key", why);
}

static void key_lines(void **state)
{
    (void)state;
    struct auth_key_spec spec;
    char why[256];
    uint8_t h[AUTH_KEY_HASH_LEN];
    assert_int_equal(auth_key_spec_parse("account=acme user=alice role=user key=" ALICE_KEY, &spec,
                                         why, sizeof why), 0);
    assert_string_equal(spec.account, "acme");
    assert_string_equal(spec.user, "alice");
    assert_int_equal(spec.role, AUTH_ROLE_USER);
    auth_key_hash(ALICE_KEY, h);
    assert_memory_equal(spec.hash, h, sizeof h);

    /* sha256("abc"), upper case hex, fields in any order, role admin. */
    assert_int_equal(auth_key_spec_parse("\trole=admin  key_sha256=BA7816BF8F01CFEA414140DE5DAE2223"
                                         "B00361A396177A9CB410FF61F20015AD user=boss account=acme ",
                                         &spec, why, sizeof why), 0);
    assert_int_equal(spec.role, AUTH_ROLE_ADMIN);
    auth_key_hash("abc", h);
    assert_memory_equal(spec.hash, h, sizeof h);
    assert_int_equal(auth_key_spec_parse("account=acme user=u key=k", &spec, why, sizeof why), 0);
    assert_int_equal(spec.role, AUTH_ROLE_USER);

    expect_spec_error("user=alice key=topsecret", "account= is missing", "topsecret");
    expect_spec_error("account=_acme user=alice key=topsecret", "account= is not", "topsecret");
    expect_spec_error("account=acme key=topsecret", "user= is missing", "topsecret");
    expect_spec_error("account=acme user=a/b key=topsecret", "user= is not", "topsecret");
    expect_spec_error("account=acme user=alice role=root key=topsecret", "role=", "topsecret");
    expect_spec_error("account=acme user=alice", "exactly one of key= and key_sha256=", NULL);
    expect_spec_error("account=acme user=alice key=topsecret key_sha256=00", "exactly one", "topsecret");
    expect_spec_error("account=acme user=alice key=", "key= is empty", NULL);
    expect_spec_error("account=acme user=alice key_sha256=abc", "64 hex digits", NULL);
    expect_spec_error("account=acme user=alice key_sha256=zz7816bf8f01cfea414140de5dae2223b00361a3"
                      "96177a9cb410ff61f20015ad", "64 hex digits", "zz78");
    /* A plain key with a space splits into a stray field; the message must not quote it. */
    expect_spec_error("account=acme user=alice key=top secretpart", "field 4", "secretpart");
    expect_spec_error("account=acme user=alice key=a topsecret=x", "field 4", "topsecret");
    expect_spec_error("account=acme account=acme user=alice key=topsecret", "account= given twice",
                      "topsecret");
    expect_spec_error("", "account= is missing", NULL);

    assert_int_equal(auth_key_hash_from_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
                                            "91b7852b855", h), 0);
    auth_key_hash("", spec.hash);
    assert_memory_equal(spec.hash, h, sizeof h);
    assert_int_equal(auth_key_hash_from_hex("e3b0", h), -1);
}

static void root_path_allow_list(void **state)
{
    (void)state;
    struct auth_table *keys = key_table();
    struct auth_table *dev = dev_table();
    const char *allowed[] = {"/api/v1/admin/accounts", "/api/v1/observer/queue",
                             "/api/v1/console", "/api/v1/tasks", "/api/v1/tasks/abc",
                             "/api/v1/system/backends", "/api/v1/system/sync",
                             "/api/v1/system/status", "/api/v1/system/wait",
                             "/api/v1/system/wait?timeout=3", "/api/v1/system/reload",
                             "/api/v1/debug/health", "/api/v1/debug/embed"};
    const char *denied[] = {"/api/v1/resources", "/api/v1/fs/ls", "/api/v1/content/read",
                            "/api/v1/search/find", "/api/v1/sessions", "/api/v1/system/consistency",
                            "/api/v1/system/statusx", "/api/v1/system", "/api/v1/debug",
                            "/api/v1/skills"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (!auth_root_path_allowed(keys, allowed[i]))
            fail_msg("%s should be allowed for ROOT", allowed[i]);
        assert_true(auth_root_path_allowed(dev, allowed[i]));
    }
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        if (auth_root_path_allowed(keys, denied[i]))
            fail_msg("%s should be denied for ROOT in api_key mode", denied[i]);
        assert_true(auth_root_path_allowed(dev, denied[i]));
    }
    auth_table_free(keys);
    auth_table_free(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids),
        cmocka_unit_test(dev_mode),
        cmocka_unit_test(api_key_mode),
        cmocka_unit_test(user_keys_only_and_many_keys),
        cmocka_unit_test(key_lines),
        cmocka_unit_test(root_path_allow_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
