/* SKILL.md documents: front matter forms, building one from an object, the rules for storing a
 * skill, and the validate answer in strict and lenient modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "skills/skill_doc.h"

static void parse_forms(void **state)
{
    (void)state;
    struct skill_doc d;
    char why[256];
    const char *text =
        "---\n"
        "name: pdf-tools\n"
        "description: \"Reads \\\"PDF\\\" files: text, tables\"  \n"
        "tags: [pdf, 'docs, reading', \"x\"]\n"
        "allowed-tools: Bash(pdftotext:*) Read, Write\n"
        "# a comment\n"
        "metadata:\n"
        "  version: 1.2\n"
        "  author: 'O''Brien'\n"
        "notes: |\n"
        "  line one\n"
        "    indented\n"
        "  line three\n"
        "---\n"
        "\n"
        "# PDF tools\n\nUse pdftotext.\n";
    assert_int_equal(skill_doc_parse(text, &d, why, sizeof why), 0);
    assert_string_equal(d.name, "pdf-tools");
    assert_string_equal(d.description, "Reads \"PDF\" files: text, tables");
    assert_int_equal(json_array_size(d.tags), 3);
    assert_string_equal(json_string_value(json_array_get(d.tags, 1)), "docs, reading");
    assert_int_equal(json_array_size(d.allowed_tools), 3);
    assert_string_equal(json_string_value(json_array_get(d.allowed_tools, 0)), "Bash(pdftotext:*)");
    json_t *meta = json_object_get(d.meta, "metadata");
    assert_string_equal(json_string_value(json_object_get(meta, "author")), "O'Brien");
    assert_string_equal(json_string_value(json_object_get(d.meta, "notes")),
                        "line one\n  indented\nline three");
    assert_string_equal(d.body, "# PDF tools\n\nUse pdftotext.");
    assert_string_equal(d.text, text);
    assert_null(skill_doc_invalid(&d));
    skill_doc_clear(&d);

    /* Block lists, folded text, CRLF, a byte-order mark. */
    assert_int_equal(skill_doc_parse("\xEF\xBB\xBF---\r\nname: x_1\r\ndescription: >\r\n  one\r\n  two\r\n"
                                     "tags:\r\n  - a\r\n  - \"b\"\r\n---\r\nbody\r\n",
                                     &d, why, sizeof why), 0);
    assert_string_equal(d.name, "x_1");
    assert_string_equal(d.description, "one two");
    assert_int_equal(json_array_size(d.tags), 2);
    assert_string_equal(d.body, "body");
    skill_doc_clear(&d);

    assert_int_equal(skill_doc_parse("# no front matter\n", &d, why, sizeof why), -1);
    assert_non_null(strstr(why, "front matter"));
    assert_int_equal(skill_doc_parse("---\nname: x\n", &d, why, sizeof why), -1);
}

static void rules(void **state)
{
    (void)state;
    struct skill_doc d;
    char why[256];
    assert_int_equal(skill_doc_parse("---\ndescription: d\n---\n", &d, why, sizeof why), 0);
    assert_non_null(strstr(skill_doc_invalid(&d), "no name"));
    skill_doc_clear(&d);
    assert_int_equal(skill_doc_parse("---\nname: a b\ndescription: d\n---\n", &d, why, sizeof why), 0);
    assert_non_null(strstr(skill_doc_invalid(&d), "letters"));
    skill_doc_clear(&d);
    assert_int_equal(skill_doc_parse("---\nname: ../x\ndescription: d\n---\n", &d, why, sizeof why), 0);
    assert_non_null(skill_doc_invalid(&d));
    skill_doc_clear(&d);
    assert_int_equal(skill_doc_parse("---\nname: ok\n---\n", &d, why, sizeof why), 0);
    assert_non_null(strstr(skill_doc_invalid(&d), "description"));
    skill_doc_clear(&d);
    assert_true(skill_name_valid("Tool_2-x"));
    assert_false(skill_name_valid(""));
    assert_false(skill_name_valid("a.b"));
    char long_name[80];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    assert_false(skill_name_valid(long_name));
    long_name[64] = '\0';
    assert_true(skill_name_valid(long_name));
}

static void from_object(void **state)
{
    (void)state;
    json_t *obj = json_pack("{s:s, s:s, s:s, s:[s], s:s}", "name", "greeter", "description",
                            "Says \"hi\"\nto people", "content", "# Greeter\n\nSay hi.", "tags",
                            "kind=demo", "allowed_tools", "Read Write");
    struct skill_doc d;
    char why[256];
    assert_int_equal(skill_doc_from_object(obj, &d, why, sizeof why), 0);
    assert_string_equal(d.name, "greeter");
    assert_string_equal(d.description, "Says \"hi\"\nto people");
    assert_string_equal(d.body, "# Greeter\n\nSay hi.");
    assert_int_equal(json_array_size(d.tags), 1);
    assert_int_equal(json_array_size(d.allowed_tools), 2);
    assert_true(strncmp(d.text, "---\nname: \"greeter\"\n", 20) == 0);
    /* What it wrote reads back the same. */
    struct skill_doc again;
    assert_int_equal(skill_doc_parse(d.text, &again, why, sizeof why), 0);
    assert_string_equal(again.description, d.description);
    skill_doc_clear(&again);
    skill_doc_clear(&d);
    json_decref(obj);
}

static void validate(void **state)
{
    (void)state;
    json_t *data = json_string("---\nname: Bad Name\ndescription: d\n---\nbody\n");
    json_t *r = skill_doc_validate(data, 0, "other", "src/SKILL.md");
    assert_true(json_is_true(json_object_get(r, "valid")));
    assert_int_equal(json_array_size(json_object_get(r, "warnings")), 2);
    assert_int_equal(json_object_get(r, "body_lines") ? json_integer_value(json_object_get(r, "body_lines")) : -1, 1);
    assert_string_equal(json_string_value(json_object_get(r, "source_path")), "src/SKILL.md");
    json_decref(r);
    r = skill_doc_validate(data, 1, "other", NULL);
    assert_true(json_is_false(json_object_get(r, "valid")));
    json_t *errors = json_object_get(r, "errors");
    assert_int_equal(json_array_size(errors), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "rule")),
                        "name_matches_directory");
    json_decref(r);
    json_decref(data);

    data = json_string("no front matter");
    r = skill_doc_validate(data, 0, NULL, NULL);
    assert_true(json_is_false(json_object_get(r, "valid")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "errors"), 0), "rule")),
                        "yaml_format");
    json_decref(r);
    json_decref(data);

    data = json_pack("{s:s}", "content", "x");
    r = skill_doc_validate(data, 0, NULL, NULL);
    assert_true(json_is_false(json_object_get(r, "valid")));
    assert_int_equal(json_array_size(json_object_get(r, "errors")), 2); /* name, description */
    json_decref(r);
    json_decref(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_forms),
        cmocka_unit_test(rules),
        cmocka_unit_test(from_object),
        cmocka_unit_test(validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
