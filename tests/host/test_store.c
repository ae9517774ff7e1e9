/* The context store: what a handler reads back after each kind of write, on a temporary data
 * dir. */
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/sha256.h"
#include "store/store.h"

struct fixture {
    char dir[64];
    struct store *st;
    char err[512];
};

static int open_store(struct fixture *f)
{
    return store_open(f->dir, &f->st, f->err, sizeof f->err);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/skald-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(open_store(f), STORE_OK);
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

/* ---- helpers ---- */

static void put_file(struct fixture *f, const char *account, const char *uri, const char *text)
{
    struct store_put_node n = {.uri = uri, .kind = STORE_FILE, .content = text,
                               .content_len = strlen(text), .semantic = STORE_PROC_NONE,
                               .vectors = STORE_PROC_PENDING};
    int rc = store_put(f->st, account, "alice", &n, 1, f->err, sizeof f->err);
    if (rc != STORE_OK)
        fail_msg("put %s: %d %s", uri, rc, f->err);
}

static void put_dir(struct fixture *f, const char *account, const char *uri)
{
    struct store_put_node n = {.uri = uri, .kind = STORE_DIR, .semantic = STORE_PROC_PENDING,
                               .vectors = STORE_PROC_PENDING};
    int rc = store_put(f->st, account, "alice", &n, 1, f->err, sizeof f->err);
    if (rc != STORE_OK)
        fail_msg("put %s: %d %s", uri, rc, f->err);
}

static int exists(struct fixture *f, const char *account, const char *uri)
{
    struct store_node n;
    int rc = store_get(f->st, account, uri, 0, &n, f->err, sizeof f->err);
    store_node_clear(&n);
    assert_true(rc == STORE_OK || rc == STORE_ENOTFOUND);
    return rc == STORE_OK;
}

/* URIs seen by a visitor, joined by spaces. */
struct seen {
    char text[65536];
    size_t count;
    size_t stop_after; /* 0 = never stop */
};

static int collect(void *arg, const struct store_node *node)
{
    struct seen *s = arg;
    size_t len = strlen(s->text);
    snprintf(s->text + len, sizeof s->text - len, "%s%s", len ? " " : "", node->uri);
    s->count++;
    return s->stop_after && s->count >= s->stop_after;
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* ---- tests ---- */

static void put_get_round_trip_with_binary_content(void **state)
{
    struct fixture *f = *state;
    static const char body[] = "head\0middle\0\xff\x01tail";
    struct store_put_node n = {.uri = "viking://resources/docs/bin.dat", .kind = STORE_FILE,
                               .content = body, .content_len = sizeof body - 1,
                               .tags_json = "[\"lang=c\"]", .semantic = STORE_PROC_NONE,
                               .vectors = STORE_PROC_PENDING};
    assert_int_equal(store_put(f->st, "acme", "alice", &n, 1, f->err, sizeof f->err), STORE_OK);

    struct store_node got;
    assert_int_equal(store_get(f->st, "acme", n.uri, 1, &got, f->err, sizeof f->err), STORE_OK);
    assert_int_equal(got.kind, STORE_FILE);
    assert_string_equal(got.account, "acme");
    assert_string_equal(got.uri, n.uri);
    assert_string_equal(got.parent_uri, "viking://resources/docs");
    assert_string_equal(got.name, "bin.dat");
    assert_string_equal(got.owner_user, "alice");
    assert_int_equal(got.size, sizeof body - 1);
    assert_int_equal(got.content_len, sizeof body - 1);
    assert_memory_equal(got.content, body, sizeof body - 1);
    assert_int_equal(got.content[got.content_len], '\0');
    char hash[65];
    sha256_hex(body, sizeof body - 1, hash);
    assert_string_equal(got.content_hash, hash);
    assert_string_equal(got.tags_json, "[\"lang=c\"]");
    assert_int_equal(got.semantic, STORE_PROC_NONE);
    assert_int_equal(got.vectors, STORE_PROC_PENDING);
    assert_int_equal(got.revision, 1);
    assert_true(got.created_ms > 0);
    assert_null(got.l0);
    assert_null(got.last_error);
    int64_t created = got.created_ms;
    store_node_clear(&got);

    /* Without content nothing is loaded. */
    assert_int_equal(store_get(f->st, "acme", n.uri, 0, &got, f->err, sizeof f->err), STORE_OK);
    assert_null(got.content);
    store_node_clear(&got);

    /* Replacing keeps created_ms and the tags (tags_json NULL), bumps the revision. */
    n.content = "new";
    n.content_len = 3;
    n.tags_json = NULL;
    assert_int_equal(store_put(f->st, "acme", "bob", &n, 1, f->err, sizeof f->err), STORE_OK);
    assert_int_equal(store_get(f->st, "acme", n.uri, 1, &got, f->err, sizeof f->err), STORE_OK);
    assert_string_equal(got.content, "new");
    assert_int_equal(got.size, 3);
    assert_int_equal(got.revision, 2);
    assert_int_equal(got.created_ms, created);
    assert_string_equal(got.tags_json, "[\"lang=c\"]");
    assert_string_equal(got.owner_user, "alice");
    store_node_clear(&got);

    /* An empty file reads back as "" with length 0. */
    put_file(f, "acme", "viking://resources/docs/empty.txt", "");
    assert_int_equal(store_get(f->st, "acme", "viking://resources/docs/empty.txt", 1, &got,
                               f->err, sizeof f->err),
                     STORE_OK);
    assert_non_null(got.content);
    assert_int_equal(got.content_len, 0);
    store_node_clear(&got);
}

static void large_body_lives_on_disk_and_goes_with_its_node(void **state)
{
    struct fixture *f = *state;
    size_t len = 1024 * 1024 + 4096;
    char *big = malloc(len);
    assert_non_null(big);
    for (size_t i = 0; i < len; i++)
        big[i] = (char)(i * 7 + i / 1000);
    char content_dir[128];
    snprintf(content_dir, sizeof content_dir, "%s/content", f->dir);

    struct store_put_node n = {.uri = "viking://resources/big.bin", .kind = STORE_FILE,
                               .content = big, .content_len = len};
    assert_int_equal(store_put(f->st, "acme", "alice", &n, 1, f->err, sizeof f->err), STORE_OK);
    char hash[65], path[256];
    sha256_hex(big, len, hash);
    snprintf(path, sizeof path, "%s/%s", content_dir, hash);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, len);
    assert_int_equal(count_files(content_dir), 1);

    struct store_node got;
    assert_int_equal(store_get(f->st, "acme", n.uri, 1, &got, f->err, sizeof f->err), STORE_OK);
    assert_int_equal(got.content_len, len);
    assert_int_equal(got.size, len);
    assert_memory_equal(got.content, big, len);
    assert_string_equal(got.content_hash, hash);
    store_node_clear(&got);

    /* The same body under a second name shares the file, which stays while one node has it. */
    n.uri = "viking://resources/copy.bin";
    assert_int_equal(store_put(f->st, "acme", "alice", &n, 1, f->err, sizeof f->err), STORE_OK);
    assert_int_equal(count_files(content_dir), 1);
    assert_int_equal(store_remove(f->st, "acme", "viking://resources/copy.bin", 0, NULL, f->err,
                                  sizeof f->err),
                     STORE_OK);
    assert_int_equal(stat(path, &sb), 0);

    /* Appending past it writes a new file and drops the old one. */
    uint64_t rev = 0;
    assert_int_equal(store_write(f->st, "acme", "alice", "viking://resources/big.bin",
                                 STORE_WRITE_APPEND, "+tail", 5, &rev, f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(rev, 2);
    assert_int_not_equal(stat(path, &sb), 0);
    assert_int_equal(count_files(content_dir), 1);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/big.bin", 1, &got, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_int_equal(got.content_len, len + 5);
    assert_memory_equal(got.content + len, "+tail", 5);
    store_node_clear(&got);

    /* Removing the node (with its directory) removes the body. */
    put_file(f, "acme", "viking://resources/dir/x.md", "x");
    assert_int_equal(store_move(f->st, "acme", "viking://resources/big.bin",
                                "viking://resources/dir/big.bin", f->err, sizeof f->err),
                     STORE_OK);
    uint64_t removed = 0;
    assert_int_equal(store_remove(f->st, "acme", "viking://resources/dir", 1, &removed, f->err,
                                  sizeof f->err),
                     STORE_OK);
    assert_int_equal(removed, 3);
    assert_int_equal(count_files(content_dir), 0);

    /* A replaced large body by a small one leaves no file either. */
    n.uri = "viking://resources/again.bin";
    assert_int_equal(store_put(f->st, "acme", "alice", &n, 1, f->err, sizeof f->err), STORE_OK);
    assert_int_equal(count_files(content_dir), 1);
    assert_int_equal(store_write(f->st, "acme", "alice", n.uri, STORE_WRITE_REPLACE, "small", 5,
                                 NULL, f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(count_files(content_dir), 0);
    free(big);
}

static void parents_are_created_pending_and_scope_roots_exist(void **state)
{
    struct fixture *f = *state;
    put_file(f, "acme", "viking://resources/a/b/c.md", "# c");
    const char *parents[] = {"viking://resources/a", "viking://resources/a/b"};
    for (int i = 0; i < 2; i++) {
        struct store_node d;
        assert_int_equal(store_get(f->st, "acme", parents[i], 0, &d, f->err, sizeof f->err),
                         STORE_OK);
        assert_int_equal(d.kind, STORE_DIR);
        assert_int_equal(d.semantic, STORE_PROC_PENDING);
        assert_int_equal(d.vectors, STORE_PROC_PENDING);
        assert_string_equal(d.owner_user, "alice");
        assert_int_equal(d.child_count, 1);
        assert_int_equal(d.size, 0);
        assert_string_equal(d.content_hash, "");
        store_node_clear(&d);
    }

    /* The root and the scopes are directories in every account, stored or not. */
    const char *roots[] = {"viking://", "viking://resources", "viking://user", "viking://agent"};
    for (int i = 0; i < 4; i++) {
        struct store_node d;
        assert_int_equal(store_get(f->st, "other", roots[i], 0, &d, f->err, sizeof f->err),
                         STORE_OK);
        assert_int_equal(d.kind, STORE_DIR);
        assert_string_equal(d.uri, roots[i]);
        store_node_clear(&d);
    }
    struct store_node root;
    assert_int_equal(store_get(f->st, "acme", "viking://", 0, &root, f->err, sizeof f->err),
                     STORE_OK);
    assert_null(root.parent_uri);
    assert_string_equal(root.name, "");
    store_node_clear(&root);
    struct store_node res;
    assert_int_equal(store_get(f->st, "acme", "viking://resources", 0, &res, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(res.parent_uri, "viking://");
    assert_string_equal(res.name, "resources");
    assert_int_equal(res.child_count, 1);
    store_node_clear(&res);

    /* user/{uid} is created on demand like any parent. */
    put_file(f, "acme", "viking://user/alice/memories/m1.md", "m");
    assert_true(exists(f, "acme", "viking://user/alice"));

    struct seen seen = {0};
    assert_int_equal(store_list(f->st, "acme", "viking://", collect, &seen, f->err,
                                sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://agent viking://resources viking://user");

    /* Storing on a scope root does not change what the root lists. */
    assert_int_equal(store_set_sidecars(f->st, "acme", "viking://resources", "all resources",
                                        NULL, 0, f->err, sizeof f->err),
                     STORE_OK);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_list(f->st, "acme", "viking://", collect, &seen, f->err,
                                sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://agent viking://resources viking://user");
    assert_int_equal(store_get(f->st, "acme", "viking://resources", 0, &res, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(res.l0, "all resources");
    assert_int_equal(res.semantic, STORE_PROC_DONE);
    assert_int_equal(res.child_count, 1);
    store_node_clear(&res);
    assert_int_equal(store_set_tags(f->st, "acme", "viking://", "[\"all=1\"]", 0, 1, f->err,
                                    sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_get(f->st, "acme", "viking://", 0, &root, f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(root.child_count, 3);
    assert_string_equal(root.tags_json, "[\"all=1\"]");
    store_node_clear(&root);
    assert_int_equal(store_get(f->st, "acme", "viking://user/alice/memories/m1.md", 0, &res,
                               f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(res.tags_json, "[\"all=1\"]");
    store_node_clear(&res);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_list(f->st, "acme", "viking://", collect, &seen, f->err,
                                sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://agent viking://resources viking://user");

    /* A file where a parent must be: ENOTDIR, nothing stored. */
    struct store_put_node bad = {.uri = "viking://resources/a/b/c.md/inner.md",
                                 .kind = STORE_FILE, .content = "x", .content_len = 1};
    assert_int_equal(store_put(f->st, "acme", "alice", &bad, 1, f->err, sizeof f->err),
                     STORE_ENOTDIR);
    assert_false(exists(f, "acme", bad.uri));
    assert_int_equal(store_put(f->st, "acme", "alice", &(struct store_put_node){
                                   .uri = "viking://agent", .kind = STORE_FILE},
                               1, f->err, sizeof f->err),
                     STORE_EISDIR);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/", 0, &res, f->err,
                               sizeof f->err),
                     STORE_EINVAL);
}

static void listing_order_and_errors(void **state)
{
    struct fixture *f = *state;
    put_file(f, "acme", "viking://resources/p/zeta.md", "z");
    put_file(f, "acme", "viking://resources/p/alpha.md", "a");
    put_dir(f, "acme", "viking://resources/p/yard");
    put_file(f, "acme", "viking://resources/p/beta/inner.md", "i");
    put_file(f, "acme", "viking://resources/pq/other.md", "o");

    struct seen seen = {0};
    assert_int_equal(store_list(f->st, "acme", "viking://resources/p", collect, &seen, f->err,
                                sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://resources/p/beta viking://resources/p/yard "
                                   "viking://resources/p/alpha.md viking://resources/p/zeta.md");

    memset(&seen, 0, sizeof seen);
    seen.stop_after = 2;
    assert_int_equal(store_list(f->st, "acme", "viking://resources/p", collect, &seen, f->err,
                                sizeof f->err),
                     STORE_OK);
    assert_int_equal(seen.count, 2);

    assert_int_equal(store_list(f->st, "acme", "viking://resources/p/alpha.md", collect, &seen,
                                f->err, sizeof f->err),
                     STORE_ENOTDIR);
    assert_non_null(strstr(f->err, "alpha.md"));
    assert_int_equal(store_list(f->st, "acme", "viking://resources/nope", collect, &seen,
                                f->err, sizeof f->err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/nope", 0,
                               &(struct store_node){0}, f->err, sizeof f->err),
                     STORE_ENOTFOUND);

    /* More children than one page: every one, in order. */
    enum { N = 600 };
    struct store_put_node *batch = calloc(N, sizeof *batch);
    char(*uris)[64] = calloc(N, sizeof *uris);
    assert_non_null(batch);
    assert_non_null(uris);
    for (int i = 0; i < N; i++) {
        snprintf(uris[i], sizeof uris[i], "viking://resources/many/f%04d.md", N - 1 - i);
        batch[i] = (struct store_put_node){.uri = uris[i], .kind = STORE_FILE, .content = "x",
                                           .content_len = 1};
    }
    assert_int_equal(store_put(f->st, "acme", "alice", batch, N, f->err, sizeof f->err),
                     STORE_OK);
    put_dir(f, "acme", "viking://resources/many/zdir");
    struct seen *big = calloc(1, sizeof *big);
    assert_non_null(big);
    assert_int_equal(store_list(f->st, "acme", "viking://resources/many", collect, big, f->err,
                                sizeof f->err),
                     STORE_OK);
    assert_int_equal(big->count, N + 1);
    assert_true(strncmp(big->text, "viking://resources/many/zdir viking://resources/many/f0000.md "
                                   "viking://resources/many/f0001.md",
                        90) == 0);
    assert_non_null(strstr(big->text, "f0598.md viking://resources/many/f0599.md"));
    struct store_node many;
    assert_int_equal(store_get(f->st, "acme", "viking://resources/many", 0, &many, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_int_equal(many.child_count, N + 1);
    store_node_clear(&many);
    free(big);
    free(batch);
    free(uris);
}

struct content_seen {
    size_t files, with_body;
};

static int check_content(void *arg, const struct store_node *node)
{
    struct content_seen *s = arg;
    if (node->kind == STORE_FILE) {
        s->files++;
        if (node->content && node->content_len == node->size)
            s->with_body++;
    }
    return 0;
}

static void walk_order_and_depth(void **state)
{
    struct fixture *f = *state;
    put_file(f, "acme", "viking://resources/w/a/x/deep.md", "d");
    put_file(f, "acme", "viking://resources/w/a/b.md", "b");
    put_file(f, "acme", "viking://resources/w/a-b.md", "ab");
    put_file(f, "acme", "viking://resources/w/ab/c.md", "c");
    put_file(f, "acme", "viking://resources/w/b.md", "bb");

    struct seen seen = {0};
    assert_int_equal(store_walk(f->st, "acme", "viking://resources/w", 0, 0, collect, &seen,
                                f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text,
                        "viking://resources/w/a viking://resources/w/a/b.md "
                        "viking://resources/w/a/x viking://resources/w/a/x/deep.md "
                        "viking://resources/w/a-b.md viking://resources/w/ab "
                        "viking://resources/w/ab/c.md viking://resources/w/b.md");

    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_walk(f->st, "acme", "viking://resources/w", 1, 0, collect, &seen,
                                f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://resources/w/a viking://resources/w/a-b.md "
                                   "viking://resources/w/ab viking://resources/w/b.md");

    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_walk(f->st, "acme", "viking://resources/w", 2, 0, collect, &seen,
                                f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text,
                        "viking://resources/w/a viking://resources/w/a/b.md "
                        "viking://resources/w/a/x viking://resources/w/a-b.md "
                        "viking://resources/w/ab viking://resources/w/ab/c.md "
                        "viking://resources/w/b.md");

    memset(&seen, 0, sizeof seen);
    seen.stop_after = 3;
    assert_int_equal(store_walk(f->st, "acme", "viking://resources/w", 0, 0, collect, &seen,
                                f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(seen.count, 3);

    /* From the root: the scopes, then what is below them. */
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_walk(f->st, "acme", "viking://", 2, 0, collect, &seen, f->err,
                                sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://agent viking://resources viking://resources/w "
                                   "viking://user");

    struct content_seen cs = {0};
    assert_int_equal(store_walk(f->st, "acme", "viking://resources", 0, 1, check_content, &cs,
                                f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(cs.files, 5);
    assert_int_equal(cs.with_body, 5);

    assert_int_equal(store_walk(f->st, "acme", "viking://resources/w/b.md", 0, 0, collect, &seen,
                                f->err, sizeof f->err),
                     STORE_ENOTDIR);
    assert_int_equal(store_walk(f->st, "acme", "viking://resources/none", 0, 0, collect, &seen,
                                f->err, sizeof f->err),
                     STORE_ENOTFOUND);
}

static void write_modes(void **state)
{
    struct fixture *f = *state;
    const char *uri = "viking://resources/notes/n.md";
    uint64_t rev = 0;
    assert_int_equal(store_write(f->st, "acme", "alice", uri, STORE_WRITE_REPLACE, "x", 1, &rev,
                                 f->err, sizeof f->err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_write(f->st, "acme", "alice", uri, STORE_WRITE_APPEND, "x", 1, &rev,
                                 f->err, sizeof f->err),
                     STORE_ENOTFOUND);
    assert_false(exists(f, "acme", "viking://resources/notes"));

    assert_int_equal(store_write(f->st, "acme", "alice", uri, STORE_WRITE_CREATE, "one", 3, &rev,
                                 f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(rev, 1);
    struct store_node n;
    assert_int_equal(store_get(f->st, "acme", "viking://resources/notes", 0, &n, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_int_equal(n.semantic, STORE_PROC_PENDING);
    store_node_clear(&n);

    assert_int_equal(store_write(f->st, "acme", "alice", uri, STORE_WRITE_CREATE, "two", 3, &rev,
                                 f->err, sizeof f->err),
                     STORE_EEXIST);
    assert_int_equal(store_write(f->st, "acme", "alice", "viking://resources/notes",
                                 STORE_WRITE_CREATE, "d", 1, &rev, f->err, sizeof f->err),
                     STORE_EEXIST);
    assert_int_equal(store_write(f->st, "acme", "alice", "viking://resources/notes",
                                 STORE_WRITE_REPLACE, "d", 1, &rev, f->err, sizeof f->err),
                     STORE_EISDIR);
    assert_int_equal(store_write(f->st, "acme", "alice", "viking://resources",
                                 STORE_WRITE_APPEND, "d", 1, &rev, f->err, sizeof f->err),
                     STORE_EISDIR);
    assert_int_equal(store_write(f->st, "acme", "alice", "viking://resources/notes/n.md/x.md",
                                 STORE_WRITE_CREATE, "d", 1, &rev, f->err, sizeof f->err),
                     STORE_ENOTDIR);

    assert_int_equal(store_set_state(f->st, "acme", uri, 1, STORE_PROC_DONE, NULL, f->err,
                                     sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_write(f->st, "acme", "bob", uri, STORE_WRITE_APPEND, "+two", 4, &rev,
                                 f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(rev, 2);
    assert_int_equal(store_get(f->st, "acme", uri, 1, &n, f->err, sizeof f->err), STORE_OK);
    assert_string_equal(n.content, "one+two");
    assert_int_equal(n.size, 7);
    assert_int_equal(n.vectors, STORE_PROC_PENDING);
    assert_int_equal(n.revision, 2);
    char hash[65];
    sha256_hex("one+two", 7, hash);
    assert_string_equal(n.content_hash, hash);
    store_node_clear(&n);

    assert_int_equal(store_write(f->st, "acme", "bob", uri, STORE_WRITE_REPLACE, "three", 5,
                                 &rev, f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(rev, 3);
    assert_int_equal(store_get(f->st, "acme", uri, 1, &n, f->err, sizeof f->err), STORE_OK);
    assert_string_equal(n.content, "three");
    store_node_clear(&n);

    assert_int_equal(store_write(f->st, "acme", "alice", uri, (enum store_write_mode)7, "x", 1,
                                 &rev, f->err, sizeof f->err),
                     STORE_EINVAL);
}

static void remove_needs_recursive_and_counts(void **state)
{
    struct fixture *f = *state;
    put_file(f, "acme", "viking://resources/a/one.md", "1");
    put_file(f, "acme", "viking://resources/a/sub/two.md", "2");
    put_file(f, "acme", "viking://resources/ab/keep.md", "k");
    put_file(f, "acme", "viking://resources/a-b.md", "k");

    uint64_t removed = 99;
    assert_int_equal(store_remove(f->st, "acme", "viking://resources/a", 0, &removed, f->err,
                                  sizeof f->err),
                     STORE_ENOTEMPTY);
    assert_int_equal(removed, 0);
    assert_true(exists(f, "acme", "viking://resources/a/sub/two.md"));
    assert_true(exists(f, "acme", "viking://resources/a/one.md"));

    assert_int_equal(store_remove(f->st, "acme", "viking://resources/a", 1, &removed, f->err,
                                  sizeof f->err),
                     STORE_OK);
    assert_int_equal(removed, 4);
    assert_false(exists(f, "acme", "viking://resources/a"));
    assert_false(exists(f, "acme", "viking://resources/a/sub/two.md"));
    assert_true(exists(f, "acme", "viking://resources/ab/keep.md"));
    assert_true(exists(f, "acme", "viking://resources/a-b.md"));

    assert_int_equal(store_remove(f->st, "acme", "viking://resources/a", 1, &removed, f->err,
                                  sizeof f->err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_remove(f->st, "acme", "viking://resources/ab/keep.md", 0, &removed,
                                  f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(removed, 1);
    put_dir(f, "acme", "viking://resources/emptydir");
    assert_int_equal(store_remove(f->st, "acme", "viking://resources/emptydir", 0, &removed,
                                  f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(store_remove(f->st, "acme", "viking://resources", 1, &removed, f->err,
                                  sizeof f->err),
                     STORE_EINVAL);
    assert_int_equal(store_remove(f->st, "acme", "viking://", 1, &removed, f->err,
                                  sizeof f->err),
                     STORE_EINVAL);
    assert_true(exists(f, "acme", "viking://resources/a-b.md"));
}

static void move_subtree(void **state)
{
    struct fixture *f = *state;
    put_file(f, "acme", "viking://resources/a/one.md", "1");
    put_file(f, "acme", "viking://resources/a/sub/two.md", "2");
    put_file(f, "acme", "viking://resources/ab/keep.md", "k");

    assert_int_equal(store_move(f->st, "acme", "viking://resources/a", "viking://resources/a/in",
                                f->err, sizeof f->err),
                     STORE_EINVAL);
    assert_int_equal(store_move(f->st, "acme", "viking://resources/a", "viking://resources/a",
                                f->err, sizeof f->err),
                     STORE_EINVAL);
    assert_int_equal(store_move(f->st, "acme", "viking://resources/a", "viking://resources/ab",
                                f->err, sizeof f->err),
                     STORE_EEXIST);
    assert_int_equal(store_move(f->st, "acme", "viking://resources/zz", "viking://resources/yy",
                                f->err, sizeof f->err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_move(f->st, "acme", "viking://resources", "viking://agent/r", f->err,
                                sizeof f->err),
                     STORE_EINVAL);
    assert_int_equal(store_move(f->st, "acme", "viking://resources/a",
                                "viking://resources/ab/keep.md/x", f->err, sizeof f->err),
                     STORE_ENOTDIR);
    assert_true(exists(f, "acme", "viking://resources/a/one.md"));

    assert_int_equal(store_move(f->st, "acme", "viking://resources/a",
                                "viking://agent/skills/moved", f->err, sizeof f->err),
                     STORE_OK);
    assert_false(exists(f, "acme", "viking://resources/a"));
    assert_false(exists(f, "acme", "viking://resources/a/one.md"));
    assert_true(exists(f, "acme", "viking://resources/ab/keep.md"));

    struct store_node n;
    assert_int_equal(store_get(f->st, "acme", "viking://agent/skills/moved", 0, &n, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(n.parent_uri, "viking://agent/skills");
    assert_string_equal(n.name, "moved");
    assert_int_equal(n.child_count, 2);
    store_node_clear(&n);
    assert_int_equal(store_get(f->st, "acme", "viking://agent/skills/moved/sub/two.md", 1, &n,
                               f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(n.parent_uri, "viking://agent/skills/moved/sub");
    assert_string_equal(n.name, "two.md");
    assert_string_equal(n.content, "2");
    store_node_clear(&n);
    assert_true(exists(f, "acme", "viking://agent/skills"));

    struct seen seen = {0};
    assert_int_equal(store_walk(f->st, "acme", "viking://agent/skills", 0, 0, collect, &seen,
                                f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://agent/skills/moved "
                                   "viking://agent/skills/moved/one.md "
                                   "viking://agent/skills/moved/sub "
                                   "viking://agent/skills/moved/sub/two.md");

    /* A file moves alone and is renamed. */
    assert_int_equal(store_move(f->st, "acme", "viking://resources/ab/keep.md",
                                "viking://resources/ab/kept.md", f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/ab/kept.md", 1, &n, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(n.name, "kept.md");
    assert_string_equal(n.content, "k");
    store_node_clear(&n);
}

static void tags_replace_append_recursive(void **state)
{
    struct fixture *f = *state;
    put_file(f, "acme", "viking://resources/t/x.md", "x");
    put_file(f, "acme", "viking://resources/t/sub/y.md", "y");
    put_file(f, "acme", "viking://resources/tt/z.md", "z");

    struct store_node n;
    assert_int_equal(store_set_tags(f->st, "acme", "viking://resources/t/x.md", "[\"a=1\"]", 0, 0,
                                    f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_set_tags(f->st, "acme", "viking://resources/t/x.md",
                                    "[\"b=2\", \"a=1\"]", 1, 0, f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/t/x.md", 0, &n, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(n.tags_json, "[\"a=1\",\"b=2\"]");
    assert_int_equal(n.revision, 3);
    store_node_clear(&n);

    /* Non-recursive leaves the children alone. */
    assert_int_equal(store_set_tags(f->st, "acme", "viking://resources/t", "[\"d=1\"]", 0, 0,
                                    f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/t/sub/y.md", 0, &n, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(n.tags_json, "[]");
    store_node_clear(&n);

    assert_int_equal(store_set_tags(f->st, "acme", "viking://resources/t", "[\"r=1\"]", 1, 1,
                                    f->err, sizeof f->err),
                     STORE_OK);
    const char *expect[][2] = {{"viking://resources/t", "[\"d=1\",\"r=1\"]"},
                               {"viking://resources/t/x.md", "[\"a=1\",\"b=2\",\"r=1\"]"},
                               {"viking://resources/t/sub", "[\"r=1\"]"},
                               {"viking://resources/t/sub/y.md", "[\"r=1\"]"},
                               {"viking://resources/tt/z.md", "[]"}};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(store_get(f->st, "acme", expect[i][0], 0, &n, f->err, sizeof f->err),
                         STORE_OK);
        assert_string_equal(n.tags_json, expect[i][1]);
        store_node_clear(&n);
    }

    assert_int_equal(store_set_tags(f->st, "acme", "viking://resources/t", "[\"only=1\"]", 0, 1,
                                    f->err, sizeof f->err),
                     STORE_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(store_get(f->st, "acme", expect[i][0], 0, &n, f->err, sizeof f->err),
                         STORE_OK);
        assert_string_equal(n.tags_json, "[\"only=1\"]");
        store_node_clear(&n);
    }
    assert_int_equal(store_get(f->st, "acme", "viking://resources/tt/z.md", 0, &n, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(n.tags_json, "[]");
    store_node_clear(&n);

    assert_int_equal(store_set_tags(f->st, "acme", "viking://resources/t", "{\"a\":1}", 0, 0,
                                    f->err, sizeof f->err),
                     STORE_EINVAL);
    assert_int_equal(store_set_tags(f->st, "acme", "viking://resources/t", "[1]", 0, 0, f->err,
                                    sizeof f->err),
                     STORE_EINVAL);
    assert_int_equal(store_set_tags(f->st, "acme", "viking://resources/missing", "[]", 0, 0,
                                    f->err, sizeof f->err),
                     STORE_ENOTFOUND);
}

static void sidecars_summary_and_states(void **state)
{
    struct fixture *f = *state;
    put_file(f, "acme", "viking://resources/s/doc.md", "text");
    struct store_node d;
    assert_int_equal(store_get(f->st, "acme", "viking://resources/s", 0, &d, f->err,
                               sizeof f->err),
                     STORE_OK);
    uint64_t rev = d.revision;
    store_node_clear(&d);

    /* A change in between makes the sidecars stale: refused, nothing stored. */
    assert_int_equal(store_set_tags(f->st, "acme", "viking://resources/s", "[\"k=v\"]", 0, 0,
                                    f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_set_sidecars(f->st, "acme", "viking://resources/s", "abs", "over", rev,
                                        f->err, sizeof f->err),
                     STORE_ECONFLICT);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/s", 0, &d, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_null(d.l0);
    assert_int_equal(d.semantic, STORE_PROC_PENDING);
    rev = d.revision;
    store_node_clear(&d);

    assert_int_equal(store_set_state(f->st, "acme", "viking://resources/s", 0, STORE_PROC_FAILED,
                                     "vlm timed out", f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/s", 0, &d, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_int_equal(d.semantic, STORE_PROC_FAILED);
    assert_string_equal(d.last_error, "vlm timed out");
    assert_int_equal(d.revision, rev); /* states do not bump the revision */
    store_node_clear(&d);

    assert_int_equal(store_set_sidecars(f->st, "acme", "viking://resources/s", "abs", "over", rev,
                                        f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/s", 0, &d, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(d.l0, "abs");
    assert_string_equal(d.l1, "over");
    assert_int_equal(d.semantic, STORE_PROC_DONE);
    assert_null(d.last_error);
    assert_int_equal(d.revision, rev + 1);
    rev = d.revision;
    store_node_clear(&d);

    /* NULL leaves a sidecar as it is. */
    assert_int_equal(store_set_sidecars(f->st, "acme", "viking://resources/s", NULL, "over2", rev,
                                        f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/s", 0, &d, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(d.l0, "abs");
    assert_string_equal(d.l1, "over2");
    store_node_clear(&d);

    assert_int_equal(store_set_sidecars(f->st, "acme", "viking://resources/s/doc.md", "a", "o", 1,
                                        f->err, sizeof f->err),
                     STORE_ENOTDIR);
    assert_int_equal(store_set_summary(f->st, "acme", "viking://resources/s", "sum", rev + 1,
                                       f->err, sizeof f->err),
                     STORE_EISDIR);
    assert_int_equal(store_set_summary(f->st, "acme", "viking://resources/s/doc.md", "sum", 7,
                                       f->err, sizeof f->err),
                     STORE_ECONFLICT);
    assert_int_equal(store_set_summary(f->st, "acme", "viking://resources/s/doc.md", "sum", 1,
                                       f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_get(f->st, "acme", "viking://resources/s/doc.md", 0, &d, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(d.summary, "sum");
    assert_int_equal(d.revision, 2);
    store_node_clear(&d);

    /* A DONE keeps the error of the other, failed, state. */
    const char *doc = "viking://resources/s/doc.md";
    assert_int_equal(store_set_state(f->st, "acme", doc, 1, STORE_PROC_FAILED, "embed down",
                                     f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_set_state(f->st, "acme", doc, 0, STORE_PROC_DONE, NULL, f->err,
                                     sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_get(f->st, "acme", doc, 0, &d, f->err, sizeof f->err), STORE_OK);
    assert_string_equal(d.last_error, "embed down");
    store_node_clear(&d);
    assert_int_equal(store_set_state(f->st, "acme", doc, 1, STORE_PROC_DONE, NULL, f->err,
                                     sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_get(f->st, "acme", doc, 0, &d, f->err, sizeof f->err), STORE_OK);
    assert_null(d.last_error);
    assert_int_equal(d.vectors, STORE_PROC_DONE);
    store_node_clear(&d);

    assert_int_equal(store_set_state(f->st, "acme", doc, 2, STORE_PROC_DONE, NULL, f->err,
                                     sizeof f->err),
                     STORE_EINVAL);
    assert_int_equal(store_set_state(f->st, "acme", "viking://resources/none", 0,
                                     STORE_PROC_DONE, NULL, f->err, sizeof f->err),
                     STORE_ENOTFOUND);
}

/* What settling a task counts: pending wins, failed names its first node, siblings that share a
 * prefix ("q" and "qq", "q.md") stay out, and a missing root counts nothing. */
static void count_open_counts_a_subtree(void **state)
{
    struct fixture *f = *state;
    put_file(f, "acme", "viking://resources/q/a.md", "a");  /* q: dir PENDING, a: vectors PENDING */
    put_file(f, "acme", "viking://resources/q/b.md", "b");
    put_file(f, "acme", "viking://resources/qq/c.md", "c"); /* outside q */
    put_file(f, "acme", "viking://resources/q.md", "d");    /* outside q */
    uint64_t pending, failed;
    char first[256];
    assert_int_equal(store_count_open(f->st, "acme", "viking://resources/q", &pending, &failed,
                                      first, sizeof first, f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(pending, 3); /* q, a.md, b.md */
    assert_int_equal(failed, 0);
    assert_string_equal(first, "");
    const char *q = "viking://resources/q", *a = "viking://resources/q/a.md",
               *b = "viking://resources/q/b.md";
    for (int which = 0; which < 2; which++)
        assert_int_equal(store_set_state(f->st, "acme", q, which, STORE_PROC_DONE, NULL, f->err,
                                         sizeof f->err),
                         STORE_OK);
    assert_int_equal(store_set_state(f->st, "acme", a, 1, STORE_PROC_DONE, NULL, f->err,
                                     sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_set_state(f->st, "acme", b, 1, STORE_PROC_FAILED, "no model", f->err,
                                     sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_count_open(f->st, "acme", q, &pending, &failed, first, sizeof first,
                                      f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(pending, 0);
    assert_int_equal(failed, 1);
    assert_string_equal(first, "viking://resources/q/b.md: no model");
    /* A file is a subtree of one. */
    assert_int_equal(store_count_open(f->st, "acme", a, &pending, &failed, first, sizeof first,
                                      f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(pending + failed, 0);
    assert_int_equal(store_count_open(f->st, "acme", "viking://resources/gone", &pending, &failed,
                                      first, sizeof first, f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(pending + failed, 0);
    /* Another account's nodes stay out. */
    assert_int_equal(store_count_open(f->st, "beta", q, &pending, &failed, first, sizeof first,
                                      f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(pending + failed, 0);
}

static void scan_states_finds_pending_and_failed(void **state)
{
    struct fixture *f = *state;
    put_file(f, "acme", "viking://resources/q/a.md", "a");  /* q: dir PENDING, a: vectors PENDING */
    put_file(f, "acme", "viking://resources/qq/b.md", "b"); /* outside q */
    put_file(f, "beta", "viking://resources/q/c.md", "c");
    const char *done[] = {"viking://resources/q", "viking://resources/qq"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(store_set_state(f->st, "acme", done[i], 0, STORE_PROC_DONE, NULL, f->err,
                                         sizeof f->err),
                         STORE_OK);
        assert_int_equal(store_set_state(f->st, "acme", done[i], 1, STORE_PROC_DONE, NULL, f->err,
                                         sizeof f->err),
                         STORE_OK);
    }
    assert_int_equal(store_set_state(f->st, "acme", "viking://resources/q/a.md", 1,
                                     STORE_PROC_FAILED, "x", f->err, sizeof f->err),
                     STORE_OK);

    unsigned pending = 1u << STORE_PROC_PENDING, failed = 1u << STORE_PROC_FAILED;
    struct seen seen = {0};
    assert_int_equal(store_scan_states(f->st, "acme", "viking://resources/q", pending, collect,
                                       &seen, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "");
    assert_int_equal(store_scan_states(f->st, "acme", "viking://resources/q", failed, collect,
                                       &seen, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://resources/q/a.md");

    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_scan_states(f->st, "acme", "viking://resources/qq", pending | failed,
                                       collect, &seen, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://resources/qq/b.md");

    /* The root of a subtree counts when its own state matches. */
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_scan_states(f->st, "beta", "viking://resources/q", pending, collect,
                                       &seen, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://resources/q viking://resources/q/c.md");

    /* Every account. */
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_scan_states(f->st, NULL, NULL, pending | failed, collect, &seen,
                                       f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://resources/q/a.md viking://resources/qq/b.md "
                                   "viking://resources/q viking://resources/q/c.md");

    /* More rows than a page. */
    enum { N = 700 };
    struct store_put_node *batch = calloc(N, sizeof *batch);
    char(*uris)[64] = calloc(N, sizeof *uris);
    assert_non_null(batch);
    assert_non_null(uris);
    for (int i = 0; i < N; i++) {
        snprintf(uris[i], sizeof uris[i], "viking://resources/bulk/%d.md", i);
        batch[i] = (struct store_put_node){.uri = uris[i], .kind = STORE_FILE, .content = "x",
                                           .content_len = 1, .vectors = STORE_PROC_PENDING};
    }
    assert_int_equal(store_put(f->st, "gamma", "u", batch, N, f->err, sizeof f->err), STORE_OK);
    struct seen *many = calloc(1, sizeof *many);
    assert_non_null(many);
    assert_int_equal(store_scan_states(f->st, "gamma", NULL, pending, collect, many, f->err,
                                       sizeof f->err),
                     STORE_OK);
    assert_int_equal(many->count, N + 1); /* and the bulk directory */
    memset(many, 0, sizeof *many);
    assert_int_equal(store_scan_states(f->st, NULL, NULL, pending, collect, many, f->err,
                                       sizeof f->err),
                     STORE_OK);
    assert_int_equal(many->count, N + 1 + 3);
    free(many);
    free(batch);
    free(uris);

    /* A state recorded on a scope root makes it a stored node that scans find. */
    assert_int_equal(store_set_state(f->st, "delta", "viking://agent", 0, STORE_PROC_PENDING,
                                     NULL, f->err, sizeof f->err),
                     STORE_OK);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_scan_states(f->st, "delta", "viking://agent", pending, collect, &seen,
                                       f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://agent");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_scan_states(f->st, "delta", NULL, pending, collect, &seen, f->err,
                                       sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "viking://agent");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_scan_states(f->st, "delta", "viking://user", pending, collect, &seen,
                                       f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.text, "");
    assert_int_equal(store_scan_states(f->st, "delta", "viking://resources/none", pending,
                                       collect, &seen, f->err, sizeof f->err),
                     STORE_ENOTFOUND);
}

struct task_seen {
    char ids[1024];
    size_t count;
};

static int collect_task(void *arg, const struct store_task *t)
{
    struct task_seen *s = arg;
    size_t len = strlen(s->ids);
    snprintf(s->ids + len, sizeof s->ids - len, "%s%s", len ? " " : "", t->task_id);
    s->count++;
    return 0;
}

static void make_task(struct fixture *f, const char *id, const char *account, const char *user,
                      const char *type, const char *resource)
{
    struct store_task t = {.account = (char *)account, .user = (char *)user,
                           .task_type = (char *)type, .status = "pending",
                           .resource_id = (char *)resource};
    snprintf(t.task_id, sizeof t.task_id, "%s", id);
    int rc = store_task_create(f->st, &t, f->err, sizeof f->err);
    if (rc != STORE_OK)
        fail_msg("task %s: %s", id, f->err);
    usleep(2000); /* distinct creation times */
}

static void tasks_lifecycle_filters_and_isolation(void **state)
{
    struct fixture *f = *state;
    make_task(f, "t1", "acme", "alice", "add_resource", "viking://resources/a");
    make_task(f, "t2", "acme", "alice", "admin_reindex", "viking://resources/a");
    make_task(f, "t3", "acme", "bob", "add_resource", "viking://resources/b");
    make_task(f, "t4", "beta", "alice", "add_resource", "viking://resources/a");

    struct store_task dup = {.account = "acme", .user = "alice", .task_type = "add_resource",
                             .status = "pending"};
    snprintf(dup.task_id, sizeof dup.task_id, "t1");
    assert_int_equal(store_task_create(f->st, &dup, f->err, sizeof f->err), STORE_EEXIST);

    struct store_task t;
    assert_int_equal(store_task_get(f->st, "acme", "alice", "t1", &t, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(t.task_id, "t1");
    assert_string_equal(t.task_type, "add_resource");
    assert_string_equal(t.status, "pending");
    assert_string_equal(t.resource_id, "viking://resources/a");
    assert_null(t.stage);
    assert_null(t.result_json);
    assert_null(t.error);
    assert_true(t.created_ms > 0);
    assert_int_equal(t.jobs_total, 0);
    int64_t created = t.created_ms;
    store_task_clear(&t);

    /* Another user or account does not see it; a NULL user sees every user of the account. */
    assert_int_equal(store_task_get(f->st, "acme", "bob", "t1", &t, f->err, sizeof f->err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_task_get(f->st, "beta", "alice", "t1", &t, f->err, sizeof f->err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_task_get(f->st, "beta", NULL, "t1", &t, f->err, sizeof f->err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_task_get(f->st, "acme", NULL, "t3", &t, f->err, sizeof f->err),
                     STORE_OK);
    store_task_clear(&t);

    usleep(2000);
    assert_int_equal(store_task_update(f->st, "t1", "running", "parsing", NULL, NULL, f->err,
                                       sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_task_progress(f->st, "t1", 5, 0, 0, f->err, sizeof f->err), STORE_OK);
    assert_int_equal(store_task_progress(f->st, "t1", 0, 3, 1, f->err, sizeof f->err), STORE_OK);
    assert_int_equal(store_task_update(f->st, "t1", "completed", NULL, "{\"root_uri\":\"x\"}",
                                       NULL, f->err, sizeof f->err),
                     STORE_OK);
    assert_int_equal(store_task_get(f->st, "acme", "alice", "t1", &t, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(t.status, "completed");
    assert_string_equal(t.stage, "parsing");
    assert_string_equal(t.result_json, "{\"root_uri\":\"x\"}");
    assert_int_equal(t.jobs_total, 5);
    assert_int_equal(t.jobs_done, 3);
    assert_int_equal(t.jobs_failed, 1);
    assert_int_equal(t.created_ms, created);
    assert_true(t.updated_ms > created);
    store_task_clear(&t);
    assert_int_equal(store_task_update(f->st, "nope", "failed", NULL, NULL, "x", f->err,
                                       sizeof f->err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_task_progress(f->st, "nope", 1, 0, 0, f->err, sizeof f->err),
                     STORE_ENOTFOUND);

    struct task_seen seen = {0};
    assert_int_equal(store_task_list(f->st, "acme", "alice", NULL, NULL, NULL, 50, collect_task,
                                     &seen, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.ids, "t2 t1");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_task_list(f->st, "acme", "alice", "add_resource", NULL, NULL, 50,
                                     collect_task, &seen, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.ids, "t1");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_task_list(f->st, "acme", "alice", NULL, "pending", NULL, 50,
                                     collect_task, &seen, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.ids, "t2");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_task_list(f->st, "acme", NULL, NULL, NULL, "viking://resources/b", 50,
                                     collect_task, &seen, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.ids, "t3");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_task_list(f->st, "acme", NULL, NULL, NULL, NULL, 2, collect_task,
                                     &seen, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.ids, "t3 t2");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_task_list(f->st, "beta", "alice", NULL, NULL, NULL, 50, collect_task,
                                     &seen, f->err, sizeof f->err),
                     STORE_OK);
    assert_string_equal(seen.ids, "t4");
}

static void accounts_are_independent(void **state)
{
    struct fixture *f = *state;
    put_file(f, "acme", "viking://resources/same.md", "acme's");
    put_file(f, "beta", "viking://resources/same.md", "beta's");
    struct store_node n;
    assert_int_equal(store_get(f->st, "acme", "viking://resources/same.md", 1, &n, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(n.content, "acme's");
    store_node_clear(&n);
    assert_int_equal(store_remove(f->st, "beta", "viking://resources/same.md", 0, NULL, f->err,
                                  sizeof f->err),
                     STORE_OK);
    assert_true(exists(f, "acme", "viking://resources/same.md"));
    assert_false(exists(f, "beta", "viking://resources/same.md"));
    assert_false(exists(f, "gamma", "viking://resources/same.md"));

    struct seen seen = {0};
    assert_int_equal(store_list(f->st, "beta", "viking://resources", collect, &seen, f->err,
                                sizeof f->err),
                     STORE_OK);
    assert_int_equal(seen.count, 0);
}

static void batch_is_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    put_dir(f, "acme", "viking://resources/d");
    struct store_put_node batch[] = {
        {.uri = "viking://resources/new/one.md", .kind = STORE_FILE, .content = "1",
         .content_len = 1},
        {.uri = "viking://resources/d", .kind = STORE_FILE, .content = "2", .content_len = 1},
    };
    assert_int_equal(store_put(f->st, "acme", "alice", batch, 2, f->err, sizeof f->err),
                     STORE_EISDIR);
    assert_non_null(strstr(f->err, "viking://resources/d"));
    assert_false(exists(f, "acme", "viking://resources/new"));
    assert_false(exists(f, "acme", "viking://resources/new/one.md"));

    batch[1] = (struct store_put_node){.uri = "viking://resources/x", .kind = STORE_FILE,
                                       .tags_json = "not json"};
    assert_int_equal(store_put(f->st, "acme", "alice", batch, 2, f->err, sizeof f->err),
                     STORE_EINVAL);
    assert_false(exists(f, "acme", "viking://resources/new/one.md"));

    put_file(f, "acme", "viking://resources/f.md", "f");
    assert_int_equal(store_mkdir(f->st, "acme", "alice", "viking://resources/f.md", NULL, f->err,
                                 sizeof f->err),
                     STORE_EEXIST);
    struct store_put_node as_dir = {.uri = "viking://resources/f.md", .kind = STORE_DIR};
    assert_int_equal(store_put(f->st, "acme", "alice", &as_dir, 1, f->err, sizeof f->err),
                     STORE_ENOTDIR);

    assert_int_equal(store_mkdir(f->st, "acme", "alice", "viking://resources/m/n", "about n",
                                 f->err, sizeof f->err),
                     STORE_OK);
    struct store_node n;
    assert_int_equal(store_get(f->st, "acme", "viking://resources/m/n", 0, &n, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(n.l0, "about n");
    assert_int_equal(n.kind, STORE_DIR);
    store_node_clear(&n);
    assert_true(exists(f, "acme", "viking://resources/m"));
    assert_int_equal(store_mkdir(f->st, "acme", "alice", "viking://resources/m", NULL, f->err,
                                 sizeof f->err),
                     STORE_EEXIST);
    assert_int_equal(store_mkdir(f->st, "acme", "alice", "viking://user", NULL, f->err,
                                 sizeof f->err),
                     STORE_EEXIST);
}

enum { WRITERS = 4, PUTS_PER_WRITER = 500 };

struct writer {
    struct store *st;
    int id;
    int failures;
    char err[256];
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (int i = 0; i < PUTS_PER_WRITER; i++) {
        char uri[96], text[64];
        snprintf(uri, sizeof uri, "viking://resources/w%d/doc%03d.md", w->id, i);
        snprintf(text, sizeof text, "writer %d document %d", w->id, i);
        struct store_put_node n = {.uri = uri, .kind = STORE_FILE, .content = text,
                                   .content_len = strlen(text),
                                   .vectors = STORE_PROC_PENDING};
        if (store_put(w->st, "acme", "alice", &n, 1, w->err, sizeof w->err) != STORE_OK)
            w->failures++;
        /* Readers run alongside the writers. */
        struct store_node got;
        if (store_get(w->st, "acme", uri, 1, &got, w->err, sizeof w->err) != STORE_OK ||
            strcmp(got.content, text) != 0)
            w->failures++;
        store_node_clear(&got);
        if (store_set_state(w->st, "acme", uri, 1, STORE_PROC_DONE, NULL, w->err,
                            sizeof w->err) != STORE_OK)
            w->failures++;
    }
    return NULL;
}

static void concurrent_writers_all_land_and_persist(void **state)
{
    struct fixture *f = *state;
    pthread_t threads[WRITERS];
    struct writer writers[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        writers[i] = (struct writer){.st = f->st, .id = i};
        assert_int_equal(pthread_create(&threads[i], NULL, writer_main, &writers[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        if (writers[i].failures)
            fail_msg("writer %d: %d failures, last: %s", i, writers[i].failures, writers[i].err);
    }
    make_task(f, "persisted", "acme", "alice", "add_resource", NULL);

    /* Everything is there after closing and opening again. */
    store_close(f->st);
    f->st = NULL;
    assert_int_equal(open_store(f), STORE_OK);
    struct seen *seen = calloc(1, sizeof *seen);
    assert_non_null(seen);
    assert_int_equal(store_walk(f->st, "acme", "viking://resources", 0, 0, collect, seen, f->err,
                                sizeof f->err),
                     STORE_OK);
    assert_int_equal(seen->count, WRITERS * PUTS_PER_WRITER + WRITERS);
    free(seen);
    struct store_node n;
    assert_int_equal(store_get(f->st, "acme", "viking://resources/w3/doc499.md", 1, &n, f->err,
                               sizeof f->err),
                     STORE_OK);
    assert_string_equal(n.content, "writer 3 document 499");
    assert_int_equal(n.vectors, STORE_PROC_DONE);
    store_node_clear(&n);
    struct store_task t;
    assert_int_equal(store_task_get(f->st, "acme", "alice", "persisted", &t, f->err,
                                    sizeof f->err),
                     STORE_OK);
    store_task_clear(&t);
}

static void bad_arguments_are_refused(void **state)
{
    struct fixture *f = *state;
    struct store_node n;
    assert_int_equal(store_get(f->st, "acme", "http://x", 0, &n, f->err, sizeof f->err),
                     STORE_EINVAL);
    assert_int_equal(store_get(f->st, "acme", "viking://resources//x", 0, &n, f->err,
                               sizeof f->err),
                     STORE_EINVAL);
    assert_int_equal(store_get(f->st, "", "viking://resources", 0, &n, f->err, sizeof f->err),
                     STORE_EINVAL);
    assert_int_equal(store_mkdir(f->st, "acme", "alice", NULL, NULL, f->err, sizeof f->err),
                     STORE_EINVAL);
    struct store_put_node bad = {.uri = "viking://resources/x", .kind = STORE_FILE,
                                 .vectors = (enum store_proc_state)9};
    assert_int_equal(store_put(f->st, "acme", "alice", &bad, 1, f->err, sizeof f->err),
                     STORE_EINVAL);
    struct store_task t = {.account = "acme", .user = "u", .task_type = "x", .status = "pending"};
    assert_int_equal(store_task_create(f->st, &t, f->err, sizeof f->err), STORE_EINVAL);

    /* A data dir that cannot hold the store. */
    struct store *st = NULL;
    char path[128];
    snprintf(path, sizeof path, "%s/afile", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_not_equal(store_open(path, &st, f->err, sizeof f->err), STORE_OK);
    assert_null(st);
    assert_non_null(strstr(f->err, "afile"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(put_get_round_trip_with_binary_content, setup, teardown),
        cmocka_unit_test_setup_teardown(large_body_lives_on_disk_and_goes_with_its_node, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(parents_are_created_pending_and_scope_roots_exist, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(listing_order_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(walk_order_and_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(write_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(remove_needs_recursive_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(move_subtree, setup, teardown),
        cmocka_unit_test_setup_teardown(tags_replace_append_recursive, setup, teardown),
        cmocka_unit_test_setup_teardown(sidecars_summary_and_states, setup, teardown),
        cmocka_unit_test_setup_teardown(scan_states_finds_pending_and_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(count_open_counts_a_subtree, setup, teardown),
        cmocka_unit_test_setup_teardown(tasks_lifecycle_filters_and_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(accounts_are_independent, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_is_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_writers_all_land_and_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments_are_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
