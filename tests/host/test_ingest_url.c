/* URL fetches against a listener on 127.0.0.1: refused by default before any connection, and
 * when private targets are allowed, body, limits, time-outs and redirects. Also the address
 * classes themselves. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest/addr_policy.h"
#include "ingest/ingest_status.h"
#include "ingest/url_fetch.h"

#define BIG 100000

struct listener {
    int fd, port;
    atomic_int connections, stop;
    pthread_t thread;
};

static struct listener srv;
static char err[512];

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void reply(int fd, const char *status, const char *headers, const char *body, size_t len)
{
    char head[1024];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nConnection: close\r\n%s\r\n", status,
                     headers);
    send_all(fd, head, (size_t)n);
    if (body)
        send_all(fd, body, len);
}

static void handle(int fd)
{
    char req[8192];
    size_t got = 0;
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (got < sizeof req - 1) {
        ssize_t n = recv(fd, req + got, sizeof req - 1 - got, 0);
        if (n <= 0)
            return;
        got += (size_t)n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    char path[1024] = "";
    if (sscanf(req, "GET %1023s", path) != 1)
        return;
    char loc[256];
    static char big[BIG];
    memset(big, 'x', sizeof big);
    if (strcmp(path, "/doc.md") == 0) {
        const char *b = "# Hello\n\nworld\n";
        reply(fd, "200 OK", "Content-Type: text/markdown\r\nContent-Length: 15\r\n", b, 15);
    } else if (strcmp(path, "/files/My%20Guide.md") == 0) {
        reply(fd, "200 OK", "Content-Type: text/plain\r\nContent-Length: 5\r\n", "guide", 5);
    } else if (strcmp(path, "/big-declared") == 0) {
        reply(fd, "200 OK", "Content-Length: 100000\r\n", big, BIG);
    } else if (strcmp(path, "/big-undeclared") == 0) {
        reply(fd, "200 OK", "", big, BIG); /* no length: the end is the close */
    } else if (strcmp(path, "/slow") == 0) {
        reply(fd, "200 OK", "Content-Length: 5\r\n", NULL, 0);
        for (int i = 0; i < 40 && !atomic_load(&srv.stop); i++)
            usleep(50 * 1000);
        send_all(fd, "late!", 5);
    } else if (strncmp(path, "/to/", 4) == 0) {
        if (strcmp(path + 4, "unspecified") == 0)
            snprintf(loc, sizeof loc, "Location: http://0.0.0.0:%d/doc.md\r\n", srv.port);
        else if (strcmp(path + 4, "metadata") == 0)
            snprintf(loc, sizeof loc, "Location: http://169.254.169.254/latest/meta-data/\r\n");
        else if (strcmp(path + 4, "file") == 0)
            snprintf(loc, sizeof loc, "Location: file:///etc/passwd\r\n");
        else if (strcmp(path + 4, "loopback-v6") == 0)
            snprintf(loc, sizeof loc, "Location: http://[::ffff:127.0.0.1]:%d/doc.md\r\n", srv.port);
        else if (strcmp(path + 4, "loop") == 0)
            snprintf(loc, sizeof loc, "Location: /to/loop\r\n");
        else
            snprintf(loc, sizeof loc, "Location: /files/My%%20Guide.md\r\n");
        reply(fd, "302 Found", loc, NULL, 0);
    } else {
        reply(fd, "404 Not Found", "Content-Length: 0\r\n", NULL, 0);
    }
}

static void *serve(void *arg)
{
    (void)arg;
    while (!atomic_load(&srv.stop)) {
        struct pollfd p = {srv.fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0)
            continue;
        atomic_fetch_add(&srv.connections, 1);
        handle(c);
        close(c);
    }
    return NULL;
}

static int start_listener(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof srv);
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (srv.fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(srv.fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(srv.fd, 16) != 0 ||
        getsockname(srv.fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    srv.port = ntohs(a.sin_port);
    return pthread_create(&srv.thread, NULL, serve, NULL) == 0 ? 0 : -1;
}

static int stop_listener(void **state)
{
    (void)state;
    atomic_store(&srv.stop, 1);
    pthread_join(srv.thread, NULL);
    close(srv.fd);
    return 0;
}

/* Connections the listener has accepted, after giving a late one time to arrive. */
static int settled_connections(void)
{
    usleep(200 * 1000);
    return atomic_load(&srv.connections);
}

static int fetch(const char *path_or_url, const struct url_fetch_opts *o,
                 struct url_fetch_result *r)
{
    char url[512];
    if (path_or_url[0] == '/')
        snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv.port, path_or_url);
    else
        snprintf(url, sizeof url, path_or_url, srv.port);
    err[0] = '\0';
    return url_fetch(url, o, r, err, sizeof err);
}

static void refused_by_default_without_connecting(void **state)
{
    (void)state;
    const char *urls[] = {"http://127.0.0.1:%d/doc.md",
                          "http://localhost:%d/doc.md",
                          "http://127.1.2.3:%d/doc.md",
                          "http://[::ffff:127.0.0.1]:%d/doc.md",
                          "http://2130706433:%d/doc.md",
                          "http://0x7f000001:%d/doc.md",
                          "http://0.0.0.0:%d/doc.md",
                          "http://[::1]:%d/doc.md"};
    struct url_fetch_result r;
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        int rc = fetch(urls[i], NULL, &r);
        if (rc != INGEST_EDENIED)
            fail_msg("%s: %d %s", urls[i], rc, err);
        assert_null(r.body);
        assert_non_null(strstr(err, "not a public address"));
    }
    assert_int_equal(settled_connections(), 0);
}

static void allowed_private_target_fetches(void **state)
{
    (void)state;
    struct url_fetch_opts o = url_fetch_opts_default();
    o.allow_private = 1;
    struct url_fetch_result r;
    assert_int_equal(fetch("/doc.md", &o, &r), INGEST_OK);
    assert_int_equal(r.len, 15);
    assert_string_equal((char *)r.body, "# Hello\n\nworld\n");
    assert_int_equal(r.http_status, 200);
    assert_string_equal(r.content_type, "text/markdown");
    assert_string_equal(r.file_name, "doc.md");
    url_fetch_result_free(&r);
    assert_int_equal(settled_connections(), 1);

    assert_int_equal(fetch("/missing", &o, &r), INGEST_EFETCH);
    assert_non_null(strstr(err, "404"));
    assert_null(r.body);
}

static void size_and_time_limits(void **state)
{
    (void)state;
    struct url_fetch_opts o = url_fetch_opts_default();
    o.allow_private = 1;
    o.max_bytes = 1000;
    struct url_fetch_result r;
    assert_int_equal(fetch("/big-declared", &o, &r), INGEST_ETOOBIG);
    assert_null(r.body);
    assert_int_equal(fetch("/big-undeclared", &o, &r), INGEST_ETOOBIG);
    assert_null(r.body);
    o.max_bytes = BIG;
    assert_int_equal(fetch("/big-undeclared", &o, &r), INGEST_OK); /* exactly at the limit */
    assert_int_equal(r.len, BIG);
    url_fetch_result_free(&r);

    o.timeout_ms = 300;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fetch("/slow", &o, &r), INGEST_ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(took < 1.5);
    assert_string_equal(ingest_status_code(INGEST_ETIMEDOUT), "DEADLINE_EXCEEDED");

    atomic_int cancel = 1;
    o.timeout_ms = 0;
    o.cancel = &cancel;
    assert_int_equal(fetch("/slow", &o, &r), INGEST_ECANCELLED);
}

static void redirects_checked_on_every_hop(void **state)
{
    (void)state;
    struct url_fetch_opts o = url_fetch_opts_default();
    o.allow_private = 1;
    struct url_fetch_result r;
    assert_int_equal(fetch("/to/guide", &o, &r), INGEST_OK);
    assert_string_equal((char *)r.body, "guide");
    assert_string_equal(r.file_name, "My Guide.md"); /* from the final URL, decoded */
    url_fetch_result_free(&r);
    int before = settled_connections();
    assert_int_equal(before, 2);

    /* 0.0.0.0 reaches this very listener on Linux: the hop must be vetoed, not connected. */
    assert_int_equal(fetch("/to/unspecified", &o, &r), INGEST_EDENIED);
    assert_non_null(strstr(err, "0.0.0.0"));
    assert_int_equal(settled_connections(), before + 1);

    assert_int_equal(fetch("/to/metadata", &o, &r), INGEST_EDENIED);
    assert_non_null(strstr(err, "169.254.169.254"));
    assert_int_equal(fetch("/to/file", &o, &r), INGEST_EDENIED);
    assert_null(r.body);

    o.max_redirects = 3;
    assert_int_equal(fetch("/to/loop", &o, &r), INGEST_EFETCH);
    assert_non_null(strstr(err, "redirects"));
    o.max_redirects = 0;
    assert_int_equal(fetch("/to/guide", &o, &r), INGEST_EFETCH);

    /* Private allowed here, so the mapped loopback form is fetched; refused without it. */
    o.max_redirects = -1;
    assert_int_equal(fetch("/to/loopback-v6", &o, &r), INGEST_OK);
    url_fetch_result_free(&r);
}

static void bad_urls_refused_before_network(void **state)
{
    (void)state;
    const char *bad[] = {"ftp://127.0.0.1:%d/x", "file:///etc/passwd", "gopher://127.0.0.1:%d/",
                         "not a url", "http://user:pw@127.0.0.1:%d/doc.md", "http://:pw@127.0.0.1:%d/",
                         "http://", ""};
    struct url_fetch_result r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = fetch(bad[i], NULL, &r);
        if (rc != INGEST_EINVAL)
            fail_msg("%s: %d %s", bad[i], rc, err);
    }
    assert_int_equal(settled_connections(), 0);
}

static enum addr_class classify(const char *text, const char **kind)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (strchr(text, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
        len = sizeof *a;
    }
    return addr_classify((struct sockaddr *)&ss, len, kind);
}

static void address_classes(void **state)
{
    (void)state;
    struct {
        const char *addr;
        enum addr_class cls;
        const char *kind;
    } cases[] = {
        {"8.8.8.8", ADDR_PUBLIC, "public"},
        {"93.184.216.34", ADDR_PUBLIC, "public"},
        {"127.0.0.1", ADDR_PRIVATE, "loopback"},
        {"127.255.0.9", ADDR_PRIVATE, "loopback"},
        {"10.1.2.3", ADDR_PRIVATE, "private"},
        {"172.16.0.1", ADDR_PRIVATE, "private"},
        {"172.31.255.255", ADDR_PRIVATE, "private"},
        {"172.32.0.1", ADDR_PUBLIC, "public"},
        {"192.168.1.1", ADDR_PRIVATE, "private"},
        {"100.64.0.1", ADDR_PRIVATE, "shared (CGNAT)"},
        {"100.128.0.1", ADDR_PUBLIC, "public"},
        {"169.254.169.254", ADDR_BLOCKED, "link-local"},
        {"0.0.0.0", ADDR_BLOCKED, "unspecified"},
        {"224.0.0.1", ADDR_BLOCKED, "multicast"},
        {"255.255.255.255", ADDR_BLOCKED, "broadcast"},
        {"240.0.0.1", ADDR_BLOCKED, "reserved"},
        {"::1", ADDR_PRIVATE, "loopback"},
        {"::", ADDR_BLOCKED, "unspecified"},
        {"fc00::1", ADDR_PRIVATE, "unique local"},
        {"fdab:cdef::1", ADDR_PRIVATE, "unique local"},
        {"fe80::1", ADDR_BLOCKED, "link-local"},
        {"ff02::1", ADDR_BLOCKED, "multicast"},
        {"::ffff:127.0.0.1", ADDR_PRIVATE, "loopback"},
        {"::ffff:169.254.169.254", ADDR_BLOCKED, "link-local"},
        {"::ffff:10.0.0.1", ADDR_PRIVATE, "private"},
        {"::ffff:8.8.8.8", ADDR_PUBLIC, "public"},
        {"64:ff9b::a9fe:a9fe", ADDR_BLOCKED, "link-local"},
        {"2002:7f00:1::", ADDR_PRIVATE, "loopback"},
        {"::127.0.0.1", ADDR_BLOCKED, "reserved"},
        {"2001:db8::1", ADDR_BLOCKED, "reserved"},
        {"2606:4700::1111", ADDR_PUBLIC, "public"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *kind = NULL;
        enum addr_class c = classify(cases[i].addr, &kind);
        if (c != cases[i].cls || strcmp(kind, cases[i].kind) != 0)
            fail_msg("%s: class %d kind %s", cases[i].addr, c, kind);
    }
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "192.168.0.10", &a.sin_addr);
    char why[128];
    assert_int_equal(addr_policy_allows((struct sockaddr *)&a, sizeof a, 0, why, sizeof why), 0);
    assert_non_null(strstr(why, "192.168.0.10"));
    assert_int_equal(addr_policy_allows((struct sockaddr *)&a, sizeof a, 1, why, sizeof why), 1);
    inet_pton(AF_INET, "169.254.169.254", &a.sin_addr);
    assert_int_equal(addr_policy_allows((struct sockaddr *)&a, sizeof a, 1, why, sizeof why), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(address_classes),
        cmocka_unit_test_setup_teardown(refused_by_default_without_connecting, start_listener,
                                        stop_listener),
        cmocka_unit_test_setup_teardown(allowed_private_target_fetches, start_listener,
                                        stop_listener),
        cmocka_unit_test_setup_teardown(size_and_time_limits, start_listener, stop_listener),
        cmocka_unit_test_setup_teardown(redirects_checked_on_every_hop, start_listener,
                                        stop_listener),
        cmocka_unit_test_setup_teardown(bad_urls_refused_before_network, start_listener,
                                        stop_listener),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
