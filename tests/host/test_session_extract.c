/* Memory extraction answers: every shape a model may answer in, and what happens to the parts
 * that are not valid (kept out, reported), so a half-broken answer still yields its good memories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "session/session_extract.h"

#define ALL ((1u << EXTRACT_N_CATEGORIES) - 1)

static void parse(const char *text, unsigned mask, struct extract_result *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(session_extract_parse(text, strlen(text), mask, r), 0);
}

static int warned(const struct extract_result *r, const char *needle)
{
    size_t i;
    json_t *w;
    json_array_foreach(r->warnings, i, w) {
        if (strstr(json_string_value(w), needle))
            return 1;
    }
    return 0;
}

static void object_with_memories(void **state)
{
    (void)state;
    struct extract_result r;
    parse("{\"memories\":[{\"category\":\"profile\",\"title\":\"Name\",\"content\":\"Ada\"},"
          "{\"category\":\"Preference\",\"title\":\"Tea\",\"content\":\"likes tea\"}]}",
          ALL, &r);
    assert_int_equal(r.n, 2);
    assert_string_equal(session_extract_categories[r.items[0].category], "profile");
    assert_string_equal(session_extract_categories[r.items[1].category], "preferences");
    assert_string_equal(r.items[1].content, "likes tea");
    assert_int_equal(json_array_size(r.warnings), 0);
    session_extract_clear(&r);
}

static void fenced_array_and_single_object(void **state)
{
    (void)state;
    struct extract_result r;
    parse("```json\n[{\"category\":\"events\",\"title\":\"Launch\",\"content\":\"shipped\"}]\n```", ALL,
          &r);
    assert_int_equal(r.n, 1);
    session_extract_clear(&r);
    parse("{\"category\":\"cases\",\"title\":\"Fix\",\"content\":\"restart it\"}", ALL, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(session_extract_categories[r.items[0].category], "cases");
    session_extract_clear(&r);
}

static void broken_lines_keep_the_good_ones(void **state)
{
    (void)state;
    struct extract_result r;
    parse("{\"category\":\"profile\",\"title\":\"Name\",\"content\":\"Ada\"},\n"
          "{\"category\": \"events\", \"title\": \"cut off in the mid\n"
          "{\"category\":\"gossip\",\"title\":\"rumour\",\"content\":\"x\"}\n"
          "{\"category\":\"entities\",\"title\":\"skald\",\"content\":\"a daemon\"}\n",
          ALL, &r);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.items[0].title, "Name");
    assert_string_equal(r.items[1].title, "skald");
    assert_true(warned(&r, "line 2 is not valid JSON"));
    assert_true(warned(&r, "unknown category 'gossip'"));
    session_extract_clear(&r);
}

static void invalid_items_are_reported(void **state)
{
    (void)state;
    struct extract_result r;
    parse("{\"memories\":[{\"title\":\"t\",\"content\":\"c\"},{\"category\":\"events\",\"content\":\"c\"},"
          "{\"category\":\"events\",\"title\":\"t\",\"content\":\"\"},7,"
          "{\"category\":\"events\",\"title\":\"ok\",\"content\":\"fine\"}]}",
          ALL, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.items[0].title, "ok");
    assert_true(warned(&r, "memory 1 has no category"));
    assert_true(warned(&r, "memory 2 has no title"));
    assert_true(warned(&r, "memory 3 has no content"));
    assert_true(warned(&r, "memory 4 is not an object"));
    session_extract_clear(&r);
}

static void policy_mask_and_prose(void **state)
{
    (void)state;
    struct extract_result r;
    parse("{\"memories\":[{\"category\":\"events\",\"title\":\"a\",\"content\":\"b\"}]}", 1u << 0, &r);
    assert_int_equal(r.n, 0);
    assert_true(warned(&r, "not enabled"));
    session_extract_clear(&r);
    parse("I could not find anything worth remembering.", ALL, &r);
    assert_int_equal(r.n, 0);
    assert_true(warned(&r, "not valid JSON"));
    session_extract_clear(&r);
    parse("  \n ", ALL, &r);
    assert_true(warned(&r, "empty"));
    session_extract_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(object_with_memories),
        cmocka_unit_test(fenced_array_and_single_object),
        cmocka_unit_test(broken_lines_keep_the_good_ones),
        cmocka_unit_test(invalid_items_are_reported),
        cmocka_unit_test(policy_mask_and_prose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
