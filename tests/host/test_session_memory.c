/* Extracted memories written to a real store on a temporary data dir: created, merged into the
 * memory with the same title or a similar one, skipped when already known, with the diff saying
 * which and the category directory's L0/L1 marked as owed. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session/session_memory.h"

struct fixture {
    char dir[64];
    struct store *st;
    char err[512];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/skald-memory-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(store_open(f->dir, &f->st, f->err, sizeof f->err), STORE_OK);
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->st);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void answer(const char *text, struct extract_result *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(session_extract_parse(text, strlen(text), (1u << EXTRACT_N_CATEGORIES) - 1, r), 0);
}

static char *read_file(struct fixture *f, const char *uri)
{
    struct store_node n = {0};
    assert_int_equal(store_get(f->st, "acme", uri, 1, &n, f->err, sizeof f->err), STORE_OK);
    char *text = n.content;
    n.content = NULL;
    store_node_clear(&n);
    return text;
}

static void similarity_measures(void **state)
{
    (void)state;
    assert_true(session_memory_jaccard("The user likes tea", "the USER likes tea!") > 0.99);
    assert_true(session_memory_jaccard("alpha beta", "gamma delta") < 0.01);
    assert_true(session_memory_containment("likes tea", "# Tea\n\nThe user likes tea a lot.") > 0.99);
    assert_true(session_memory_containment("likes green tea", "The user likes tea.") < 0.9);
    assert_true(session_memory_jaccard("", "x") == 0);
}

static void create_merge_skip(void **state)
{
    struct fixture *f = *state;
    struct extract_result r;
    struct memory_counts c;
    json_t *diff = json_pack("{s:[], s:[], s:[]}", "adds", "updates", "skipped");
    answer("{\"memories\":[{\"category\":\"preferences\",\"title\":\"Tea\",\"content\":\"The user "
           "likes tea.\"},{\"category\":\"profile\",\"title\":\"Name\",\"content\":\"The user is "
           "Ada.\"}]}",
           &r);
    assert_int_equal(session_memory_apply(f->st, "acme", "ada", &r, diff, &c, f->err, sizeof f->err),
                     STORE_OK);
    session_extract_clear(&r);
    assert_int_equal(c.created[1], 1);
    assert_int_equal(c.created[0], 1);
    char *tea = read_file(f, "viking://user/ada/memories/preferences/tea.md");
    assert_string_equal(tea, "# Tea\n\nThe user likes tea.\n");
    free(tea);
    /* The category directory's L0/L1 is owed now. */
    struct store_node dir = {0};
    assert_int_equal(store_get(f->st, "acme", "viking://user/ada/memories/preferences", 0, &dir,
                               f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(dir.semantic, STORE_PROC_PENDING);
    store_node_clear(&dir);

    /* Again the same fact (skipped), a new one under the same title (merged), one close to an
     * existing memory under another title (merged into it), and a new one (created). */
    answer("{\"memories\":[{\"category\":\"preferences\",\"title\":\"Tea again\",\"content\":\"The "
           "user likes tea.\"},{\"category\":\"preferences\",\"title\":\"TEA\",\"content\":\"Green "
           "tea in the morning.\"},{\"category\":\"profile\",\"title\":\"Who\",\"content\":\"The "
           "user is Ada Lovelace.\"},{\"category\":\"events\",\"title\":\"Launch\",\"content\":"
           "\"Shipped skald.\"}]}",
           &r);
    assert_int_equal(session_memory_apply(f->st, "acme", "ada", &r, diff, &c, f->err, sizeof f->err),
                     STORE_OK);
    session_extract_clear(&r);
    assert_int_equal(c.skipped[1], 1);
    assert_int_equal(c.merged[1], 1);
    assert_int_equal(c.merged[0], 1);
    assert_int_equal(c.created[3], 1);
    tea = read_file(f, "viking://user/ada/memories/preferences/tea.md");
    assert_string_equal(tea, "# Tea\n\nThe user likes tea.\n\nGreen tea in the morning.\n");
    free(tea);
    char *name = read_file(f, "viking://user/ada/memories/profile/name.md");
    assert_non_null(strstr(name, "The user is Ada Lovelace."));
    free(name);
    assert_int_equal(json_array_size(json_object_get(diff, "adds")), 3);
    assert_int_equal(json_array_size(json_object_get(diff, "updates")), 2);
    assert_int_equal(json_array_size(json_object_get(diff, "skipped")), 1);
    json_t *upd = json_array_get(json_object_get(diff, "updates"), 0);
    assert_string_equal(json_string_value(json_object_get(upd, "before")),
                        "# Tea\n\nThe user likes tea.\n");
    json_decref(diff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(similarity_measures),
        cmocka_unit_test_setup_teardown(create_merge_skip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
