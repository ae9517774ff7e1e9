/* Session messages: what a client's message body becomes when stored, what is refused and why,
 * token estimates and the JSON-lines files; the commit's keep window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session/session_commit.h"
#include "session/session_message.h"

static const struct identity alice = {"acme", "alice", "", AUTH_ROLE_USER};

static json_t *build(const char *body_text, struct session_msg_error *e)
{
    json_error_t jerr;
    json_t *body = json_loads(body_text, 0, &jerr);
    assert_non_null(body);
    json_t *m = session_message_build(body, &alice, "body", 1795572447558LL, e);
    json_decref(body);
    return m;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void content_becomes_one_text_part(void **state)
{
    (void)state;
    struct session_msg_error e;
    json_t *m = build("{\"role\":\"user\",\"content\":\"hello there\"}", &e);
    assert_non_null(m);
    assert_string_equal(str(m, "role"), "user");
    assert_int_equal(strncmp(str(m, "id"), "msg_", 4), 0);
    assert_int_equal(strlen(str(m, "id")), 4 + 32);
    assert_string_equal(str(m, "created_at"), "2026-11-25T02:07:27.558Z");
    json_t *parts = json_object_get(m, "parts");
    assert_int_equal(json_array_size(parts), 1);
    assert_string_equal(str(json_array_get(parts, 0), "type"), "text");
    assert_string_equal(str(json_array_get(parts, 0), "text"), "hello there");
    json_decref(m);
}

static void client_id_and_metadata_are_kept(void **state)
{
    (void)state;
    struct session_msg_error e;
    json_t *m = build("{\"id\":\"turn-7.a\",\"role\":\"assistant\",\"content\":\"x\",\"peer_id\":\"bob\","
                      "\"turn_id\":\"t7\",\"message_kind\":\"assistant_step\","
                      "\"created_at\":\"2026-01-02T03:04:05Z\",\"source_message_ids\":[\"a\",\"b\"]}",
                      &e);
    assert_non_null(m);
    assert_string_equal(str(m, "id"), "turn-7.a");
    assert_string_equal(str(m, "peer_id"), "bob");
    assert_string_equal(str(m, "turn_id"), "t7");
    assert_string_equal(str(m, "message_kind"), "assistant_step");
    assert_string_equal(str(m, "created_at"), "2026-01-02T03:04:05Z");
    assert_int_equal(json_array_size(json_object_get(m, "source_message_ids")), 2);
    json_decref(m);
}

static void parts_win_and_each_kind_is_normalised(void **state)
{
    (void)state;
    struct session_msg_error e;
    json_t *m = build("{\"role\":\"user\",\"content\":\"ignored\",\"parts\":["
                      "\"bare string\","
                      "{\"text\":\"no type\"},"
                      "{\"type\":\"context\",\"uri\":\"viking://~/memories/a.md\"},"
                      "{\"type\":\"tool\",\"tool_name\":\"grep\",\"tool_input\":{\"q\":1},"
                      "\"tool_output\":\"found\"},"
                      "{\"type\":\"image_url\",\"image_url\":\"https://x/y.png\"},"
                      "{\"type\":\"weird\",\"n\":1}]}",
                      &e);
    assert_non_null(m);
    json_t *p = json_object_get(m, "parts");
    assert_int_equal(json_array_size(p), 6);
    assert_string_equal(str(json_array_get(p, 0), "text"), "bare string");
    assert_string_equal(str(json_array_get(p, 1), "type"), "text");
    assert_string_equal(str(json_array_get(p, 1), "text"), "no type");
    json_t *ctx = json_array_get(p, 2);
    assert_string_equal(str(ctx, "uri"), "viking://user/alice/memories/a.md");
    assert_string_equal(str(ctx, "context_type"), "memory");
    assert_string_equal(str(ctx, "abstract"), "");
    assert_string_equal(str(json_array_get(p, 3), "tool_status"), "pending");
    assert_string_equal(str(json_object_get(json_array_get(p, 4), "image_url"), "url"),
                        "https://x/y.png");
    json_t *weird = json_array_get(p, 5);
    assert_string_equal(str(weird, "type"), "text");
    assert_non_null(strstr(str(weird, "text"), "\"weird\""));
    json_decref(m);
}

static void refusals_name_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *body, *loc, *uri;
    } cases[] = {
        {"{\"content\":\"x\"}", "body.role", ""},
        {"{\"role\":\"\",\"content\":\"x\"}", "body.role", ""},
        {"{\"role\":\"user\"}", "body", ""},
        {"{\"role\":\"user\",\"content\":3}", "body.content", ""},
        {"{\"role\":\"user\",\"parts\":{}}", "body.parts", ""},
        {"{\"role\":\"user\",\"parts\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"\"}}]}",
         "body.parts.0", ""},
        {"{\"role\":\"user\",\"parts\":[{\"type\":\"tool\",\"tool_status\":\"nope\"}]}", "body.parts.0", ""},
        {"{\"role\":\"user\",\"parts\":[{\"type\":\"context\",\"uri\":\"viking://../x\"}]}",
         "body.parts.0", "viking://../x"},
        {"{\"role\":\"user\",\"content\":\"x\",\"message_kind\":\"chat\"}", "body.message_kind", ""},
        {"{\"role\":\"user\",\"content\":\"x\",\"id\":\"has space\"}", "body.id", ""},
        {"{\"role\":\"user\",\"content\":\"x\",\"created_at\":\"yesterday\"}", "body.created_at", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct session_msg_error e;
        json_t *m = build(cases[i].body, &e);
        if (m)
            fail_msg("accepted: %s", cases[i].body);
        assert_string_equal(e.loc, cases[i].loc);
        assert_string_equal(e.uri, cases[i].uri);
        assert_true(e.msg[0] != '\0');
    }
}

static void tokens_and_jsonl_round_trip(void **state)
{
    (void)state;
    struct session_msg_error e;
    json_t *m = build("{\"role\":\"user\",\"content\":\"12345678\"}", &e);
    assert_int_equal(session_message_tokens(m), 2);
    json_t *list = json_pack("[O, O]", m, m);
    size_t len = 0;
    char *text = session_jsonl_dump(list, &len);
    assert_non_null(text);
    assert_int_equal(text[len - 1], '\n');
    size_t bad = 0;
    char *with_noise = NULL;
    assert_true(asprintf(&with_noise, "%s\nnot json\n\n[1]\n", text) > 0);
    json_t *back = session_jsonl_parse(with_noise, strlen(with_noise), &bad);
    assert_int_equal(json_array_size(back), 2);
    assert_int_equal(bad, 2);
    assert_true(json_equal(json_array_get(back, 1), m));
    free(with_noise);
    free(text);
    json_decref(back);
    json_decref(list);
    json_decref(m);
}

static json_t *conversation(const char *roles)
{
    json_t *a = json_array();
    for (const char *r = roles; *r; r++)
        json_array_append_new(a, json_pack("{s:s, s:[{s:s, s:s}]}", "role",
                                           *r == 'u' ? "user" : "assistant", "parts", "type",
                                           "text", "text", "four word text here"));
    return a;
}

static void keep_window_and_turn_budget(void **state)
{
    (void)state;
    json_t *m = conversation("uauaua");
    struct commit_opts o = {.keep_recent_count = 0};
    assert_int_equal(session_commit_keep(m, &o), 0);
    o.keep_recent_count = 2;
    assert_int_equal(session_commit_keep(m, &o), 2);
    o.keep_recent_count = 50;
    assert_int_equal(session_commit_keep(m, &o), 6);
    /* Turn budget: the last two turns (from their user messages on) are 4 messages; a budget of
     * 10 tokens (5 per message) keeps 2 of them, but never fewer than min_tail. */
    o = (struct commit_opts){.turn_budget = 1, .keep_turns = 2, .token_budget = -1, .min_tail = -1};
    assert_int_equal(session_commit_keep(m, &o), 4);
    o.token_budget = 10;
    assert_int_equal(session_commit_keep(m, &o), 2);
    o.min_tail = 3;
    assert_int_equal(session_commit_keep(m, &o), 3);
    json_decref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(content_becomes_one_text_part),
        cmocka_unit_test(client_id_and_metadata_are_kept),
        cmocka_unit_test(parts_win_and_each_kind_is_normalised),
        cmocka_unit_test(refusals_name_the_field),
        cmocka_unit_test(tokens_and_jsonl_round_trip),
        cmocka_unit_test(keep_window_and_turn_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
