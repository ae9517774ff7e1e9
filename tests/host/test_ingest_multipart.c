/* multipart/form-data as temp_upload receives it: boundaries, line ends, fields, bad bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/ingest_status.h"
#include "ingest/multipart.h"

static struct multipart_form form;
static char err[256];

static int parse(const char *ctype, const char *body)
{
    err[0] = '\0';
    return multipart_parse(ctype, body, strlen(body), &form, err, sizeof err);
}

static void part_equals(const struct multipart_part *p, const char *bytes)
{
    assert_non_null(p);
    assert_int_equal(p->len, strlen(bytes));
    assert_memory_equal(p->data, bytes, p->len);
}

/* What curl -F sends: CRLF lines, an unquoted boundary, a file part with a filename. */
static void curl_style_upload(void **state)
{
    (void)state;
    const char *body = "--XyZ123\r\n"
                       "Content-Disposition: form-data; name=\"file\"; filename=\"notes.md\"\r\n"
                       "Content-Type: text/markdown\r\n"
                       "\r\n"
                       "# Title\r\n\r\nbody line\r\n"
                       "--XyZ123\r\n"
                       "Content-Disposition: form-data; name=\"upload_mode\"\r\n"
                       "\r\n"
                       "shared\r\n"
                       "--XyZ123\r\n"
                       "Content-Disposition: form-data; name=\"telemetry\"\r\n"
                       "\r\n"
                       "true\r\n"
                       "--XyZ123--\r\n";
    assert_int_equal(parse("multipart/form-data; boundary=XyZ123", body), INGEST_OK);
    assert_int_equal(form.count, 3);
    const struct multipart_part *f = multipart_find(&form, "file");
    part_equals(f, "# Title\r\n\r\nbody line"); /* the CRLF before the delimiter is not data */
    assert_true(f->has_filename);
    assert_string_equal(f->filename, "notes.md");
    assert_string_equal(f->content_type, "text/markdown");
    /* Zero copy: the bytes are inside the body. */
    assert_true((const char *)f->data > body && (const char *)f->data < body + strlen(body));

    struct multipart_temp_upload up;
    assert_int_equal(multipart_temp_upload(&form, &up, err, sizeof err), INGEST_OK);
    assert_ptr_equal(up.file, f);
    assert_string_equal(up.upload_mode, "shared");
    assert_int_equal(up.telemetry, 1);
}

/* Browsers quote the boundary; the boundary text may contain characters that need quoting. */
static void quoted_boundary_and_defaults(void **state)
{
    (void)state;
    const char *body = "preamble to ignore\r\n"
                       "------Web Kit=7\r\n"
                       "content-disposition: form-data; name=file; filename=\"C:\\\\Users\\\\me\\\\a b.txt\"\r\n"
                       "\r\n"
                       "hello\r\n"
                       "------Web Kit=7--";
    assert_int_equal(parse("Multipart/Form-Data; charset=utf-8; boundary=\"----Web Kit=7\"", body),
                     INGEST_OK);
    assert_int_equal(form.count, 1);
    const struct multipart_part *f = multipart_find(&form, "file");
    part_equals(f, "hello");
    assert_string_equal(f->filename, "a b.txt"); /* only the last path component */
    assert_string_equal(f->content_type, "");
    struct multipart_temp_upload up;
    assert_int_equal(multipart_temp_upload(&form, &up, err, sizeof err), INGEST_OK);
    assert_string_equal(up.upload_mode, "local");
    assert_int_equal(up.telemetry, 0);
}

/* Bare LF line ends are accepted; data keeps its own CRLFs and boundary-like text. */
static void lf_lines_and_boundary_text_in_data(void **state)
{
    (void)state;
    const char *body = "--b\n"
                       "Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''na%C3%AFve.md\n"
                       "\n"
                       "x\r\n--bb not a delimiter\n--b2 neither\nend\n"
                       "--b--\n";
    assert_int_equal(parse("multipart/form-data; boundary=b", body), INGEST_OK);
    const struct multipart_part *f = multipart_find(&form, "file");
    part_equals(f, "x\r\n--bb not a delimiter\n--b2 neither\nend");
    assert_string_equal(f->filename, "na\xc3\xafve.md");
}

static void empty_field_and_binary_bytes(void **state)
{
    (void)state;
    static const char body[] = "--q\r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n"
                               "\r\n--q\r\nContent-Disposition: form-data; name=\"file\"; filename=\"z.bin\"\r\n\r\n"
                               "a\0b\r\n--q--\r\n";
    assert_int_equal(multipart_parse("multipart/form-data; boundary=q", body, sizeof body - 1,
                                     &form, err, sizeof err),
                     INGEST_OK);
    assert_int_equal(multipart_find(&form, "empty")->len, 0);
    assert_int_equal(multipart_find(&form, "file")->len, 3);
    assert_memory_equal(multipart_find(&form, "file")->data, "a\0b", 3);
    char text[8];
    assert_int_equal(multipart_text(&form, "file", text, sizeof text, err, sizeof err),
                     INGEST_EINVAL); /* a NUL is no text */
    assert_int_equal(multipart_text(&form, "nope", text, sizeof text, err, sizeof err),
                     INGEST_ENOTFOUND);
    assert_int_equal(multipart_text(&form, "empty", text, sizeof text, err, sizeof err), INGEST_OK);
    assert_string_equal(text, "");
}

static void missing_or_bad_boundary(void **state)
{
    (void)state;
    const char *body = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--b--\r\n";
    assert_int_equal(parse("multipart/form-data", body), INGEST_EINVAL);
    assert_non_null(strstr(err, "no boundary"));
    assert_int_equal(parse(NULL, body), INGEST_EINVAL);
    assert_int_equal(parse("application/json", body), INGEST_EINVAL);
    assert_non_null(strstr(err, "not multipart/form-data"));
    assert_int_equal(parse("multipart/form-data; boundary=\"\"", body), INGEST_EINVAL);
    assert_int_equal(parse("multipart/form-data; boundary=other", body), INGEST_EINVAL);
    assert_non_null(strstr(err, "boundary never appears"));
}

static void truncated_bodies(void **state)
{
    (void)state;
    const char *ct = "multipart/form-data; boundary=b";
    assert_int_equal(parse(ct, ""), INGEST_EINVAL);
    assert_non_null(strstr(err, "truncated"));
    assert_int_equal(parse(ct, "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n"),
                     INGEST_EINVAL);
    assert_non_null(strstr(err, "truncated"));
    assert_int_equal(parse(ct, "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhalf of the fi"),
                     INGEST_EINVAL);
    assert_non_null(strstr(err, "truncated"));
    assert_non_null(strstr(err, "'file'"));
    assert_int_equal(parse(ct, "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nall\r\n--b"),
                     INGEST_EINVAL);
    assert_non_null(strstr(err, "truncated"));
}

static void missing_file_part_and_bad_fields(void **state)
{
    (void)state;
    const char *ct = "multipart/form-data; boundary=b";
    struct multipart_temp_upload up;
    assert_int_equal(parse(ct, "--b\r\nContent-Disposition: form-data; name=\"upload_mode\"\r\n\r\nlocal\r\n--b--\r\n"),
                     INGEST_OK);
    assert_int_equal(multipart_temp_upload(&form, &up, err, sizeof err), INGEST_EINVAL);
    assert_non_null(strstr(err, "missing 'file' part"));

    assert_int_equal(parse(ct, "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n"
                               "--b\r\nContent-Disposition: form-data; name=\"upload_mode\"\r\n\r\nglobal\r\n--b--\r\n"),
                     INGEST_OK);
    assert_int_equal(multipart_temp_upload(&form, &up, err, sizeof err), INGEST_EINVAL);
    assert_non_null(strstr(err, "upload_mode"));

    assert_int_equal(parse(ct, "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n"),
                     INGEST_EINVAL);
    assert_non_null(strstr(err, "no Content-Disposition name"));
    assert_int_equal(parse(ct, "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--bjunk"),
                     INGEST_EINVAL);
}

static void too_many_parts(void **state)
{
    (void)state;
    size_t cap = 64 * (MULTIPART_MAX_PARTS + 2);
    char *body = malloc(cap);
    assert_non_null(body);
    size_t n = 0;
    for (int i = 0; i <= MULTIPART_MAX_PARTS; i++)
        n += (size_t)snprintf(body + n, cap - n,
                              "--b\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
    snprintf(body + n, cap - n, "--b--\r\n");
    assert_int_equal(parse("multipart/form-data; boundary=b", body), INGEST_ETOOBIG);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(curl_style_upload),
        cmocka_unit_test(quoted_boundary_and_defaults),
        cmocka_unit_test(lf_lines_and_boundary_text_in_data),
        cmocka_unit_test(empty_field_and_binary_bytes),
        cmocka_unit_test(missing_or_bad_boundary),
        cmocka_unit_test(truncated_bodies),
        cmocka_unit_test(missing_file_part_and_bad_fields),
        cmocka_unit_test(too_many_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
