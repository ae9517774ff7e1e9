/* How hits are scored and kept: rerank normalisation and blending, propagation, wire values, the
 * one-hit-per-URI set with its ordering, and reading a query planner's answer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "retrieval/retrieval_hits.h"
#include "retrieval/retrieval_plan.h"
#include "retrieval/retrieval_score.h"

static void normalize(void **state)
{
    (void)state;
    /* Calibrated scores (a cross-encoder's probabilities) are kept. */
    float a[] = {0.9f, 0.2f, 0.0f};
    retrieval_score_normalize(a, 3);
    assert_float_equal(a[0], 0.9f, 1e-6);
    assert_float_equal(a[1], 0.2f, 1e-6);
    /* BM25: divided by the best, so a document without the query's words stays at 0. */
    float b[] = {7.5f, 3.0f, 0.0f};
    retrieval_score_normalize(b, 3);
    assert_float_equal(b[0], 1.0f, 1e-6);
    assert_float_equal(b[1], 0.4f, 1e-6);
    assert_float_equal(b[2], 0.0f, 1e-6);
    /* Logits: min-max. */
    float c[] = {-2.0f, 2.0f, 0.0f};
    retrieval_score_normalize(c, 3);
    assert_float_equal(c[0], 0.0f, 1e-6);
    assert_float_equal(c[1], 1.0f, 1e-6);
    assert_float_equal(c[2], 0.5f, 1e-6);
    /* Non-finite scores count as the lowest; all non-finite → 0. */
    float d[] = {NAN, 4.0f, INFINITY, 2.0f};
    retrieval_score_normalize(d, 4);
    assert_float_equal(d[0], 0.5f, 1e-6);
    assert_float_equal(d[1], 1.0f, 1e-6);
    assert_float_equal(d[2], 0.5f, 1e-6);
    float e[] = {NAN, NAN};
    retrieval_score_normalize(e, 2);
    assert_float_equal(e[0], 0.0f, 1e-6);
    float f[] = {-3.0f, -3.0f};
    retrieval_score_normalize(f, 2);
    assert_float_equal(f[0], 1.0f, 1e-6);
    retrieval_score_normalize(NULL, 0);
}

static void blend_and_wire(void **state)
{
    (void)state;
    assert_float_equal(retrieval_score_blend(1.0f, 0.4f), 0.7f, 1e-6);
    assert_float_equal(retrieval_score_blend(0.0f, 0.4f), 0.2f, 1e-6);
    /* A reranker reorders: the lexical best beats a slightly better vector score. */
    assert_true(retrieval_score_blend(1.0f, 0.30f) > retrieval_score_blend(0.2f, 0.35f));
    assert_float_equal(retrieval_score_propagate(0.8f, 0.2f, 1.0f), 0.8f, 1e-6);
    assert_float_equal(retrieval_score_propagate(0.8f, 0.2f, 0.5f), 0.5f, 1e-6);
    assert_float_equal(retrieval_score_wire(0.25f), 0.25, 1e-9);
    assert_float_equal(retrieval_score_wire(NAN), 0.0, 1e-9);
    assert_float_equal(retrieval_score_wire(-INFINITY), 0.0, 1e-9);
}

static void add(struct retrieval_hits *h, const char *uri, int level, float score, int expect_new)
{
    char meta[64];
    snprintf(meta, sizeof meta, "{\"level\":%d}", level);
    struct retrieval_record r;
    assert_int_equal(retrieval_record_parse(uri, meta, &r), 0);
    assert_int_equal(retrieval_hits_add(h, &r, score, score), expect_new);
    retrieval_record_clear(&r);
}

static void hit_set(void **state)
{
    (void)state;
    struct retrieval_hits h = {0};
    add(&h, "viking://resources/a", 0, 0.5f, 1);
    add(&h, "viking://resources/a", 1, 0.7f, 0); /* L1 of the same directory, better: replaces */
    add(&h, "viking://resources/a", 0, 0.6f, 0); /* worse: ignored */
    add(&h, "viking://resources/b.md", 2, 0.7f, 1);
    add(&h, "viking://resources/c.md", 2, 0.9f, 1);
    assert_int_equal(h.n, 3);
    retrieval_hits_sort(&h);
    assert_string_equal(h.items[0].rec.uri, "viking://resources/c.md");
    /* Equal scores: by URI, so answers are stable. */
    assert_string_equal(h.items[1].rec.uri, "viking://resources/a");
    assert_int_equal(h.items[1].rec.level, 1);
    assert_string_equal(h.items[2].rec.uri, "viking://resources/b.md");
    assert_int_equal(retrieval_hits_find(&h, "viking://resources/b.md"), 2);
    retrieval_hits_truncate(&h, 2);
    assert_int_equal(h.n, 2);
    assert_int_equal(retrieval_hits_find(&h, "viking://resources/b.md"), -1);
    /* Many URIs: the index grows and still finds each one. */
    char uri[64];
    for (int i = 0; i < 2000; i++) {
        snprintf(uri, sizeof uri, "viking://resources/doc%d.md", i);
        add(&h, uri, 2, (float)i / 2000.0f, 1);
    }
    for (int i = 0; i < 2000; i += 97) {
        snprintf(uri, sizeof uri, "viking://resources/doc%d.md", i);
        assert_true(retrieval_hits_find(&h, uri) >= 0);
    }
    retrieval_hits_sort_vector(&h);
    assert_string_equal(h.items[0].rec.uri, "viking://resources/doc1999.md");
    retrieval_hits_reset(&h);
    assert_int_equal(h.n, 0);
    assert_int_equal(retrieval_hits_find(&h, uri), -1);
    retrieval_hits_free(&h);
}

static void plan_answers(void **state)
{
    (void)state;
    struct retrieval_plan p;
    char why[256];
    assert_int_equal(retrieval_plan_parse(
        "Here is the plan:\n```json\n{\"reasoning\":\"user asks about leases\",\"queries\":["
        "{\"query\":\" queue lease expiry \",\"context_type\":\"Resource\",\"intent\":\"docs\",\"priority\":1},"
        "{\"query\":\"user prefers C\",\"context_type\":\"memory\",\"priority\":\"2\"},"
        "{\"query\":\"\",\"context_type\":\"memory\"},"
        "{\"context_type\":\"skill\"},"
        "{\"query\":\"run the tests\",\"context_type\":\"tool\",\"priority\":9}]}\n```\n",
        &p, why, sizeof why), 0);
    assert_string_equal(p.reasoning, "user asks about leases");
    assert_int_equal(p.n, 3);
    assert_string_equal(p.queries[0].query, "queue lease expiry");
    assert_string_equal(p.queries[0].context_type, "resource");
    assert_int_equal(p.queries[0].priority, 1);
    assert_string_equal(p.queries[1].context_type, "memory");
    assert_int_equal(p.queries[1].priority, 2);
    assert_string_equal(p.queries[1].intent, "");
    assert_string_equal(p.queries[2].context_type, "resource"); /* unknown type */
    assert_int_equal(p.queries[2].priority, 3);                 /* out of range */
    json_t *j = retrieval_plan_json(&p);
    assert_string_equal(json_string_value(json_object_get(j, "reasoning")), "user asks about leases");
    assert_int_equal(json_array_size(json_object_get(j, "queries")), 3);
    json_decref(j);
    retrieval_plan_clear(&p);

    /* A bare array, capped at five; a single query object. */
    assert_int_equal(retrieval_plan_parse("[{\"query\":\"1\"},{\"query\":\"2\"},{\"query\":\"3\"},"
                                          "{\"query\":\"4\"},{\"query\":\"5\"},{\"query\":\"6\"}]",
                                          &p, why, sizeof why), 0);
    assert_int_equal(p.n, 5);
    retrieval_plan_clear(&p);
    assert_int_equal(retrieval_plan_parse("{\"query\":\"only\",\"context_type\":\"skill\"}", &p, why,
                                          sizeof why), 0);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.queries[0].context_type, "skill");
    retrieval_plan_clear(&p);
    /* Nothing to search is a valid plan. */
    assert_int_equal(retrieval_plan_parse("{\"reasoning\":\"small talk\",\"queries\":[]}", &p, why,
                                          sizeof why), 0);
    assert_int_equal(p.n, 0);
    retrieval_plan_clear(&p);

    /* What an extractive summariser or a broken model writes is no plan. */
    assert_int_equal(retrieval_plan_parse("# Summary\n\nThe session talked about queues.", &p, why,
                                          sizeof why), -1);
    assert_non_null(strstr(why, "no JSON"));
    assert_int_equal(retrieval_plan_parse("{\"answer\":42}", &p, why, sizeof why), -1);
    assert_int_equal(retrieval_plan_parse("{\"queries\":[{\"q\":1},\"x\"]}", &p, why, sizeof why), -1);
    assert_non_null(strstr(why, "none of the model's 2 queries"));
    assert_int_equal(retrieval_plan_parse("", &p, why, sizeof why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalize),
        cmocka_unit_test(blend_and_wire),
        cmocka_unit_test(hit_set),
        cmocka_unit_test(plan_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
