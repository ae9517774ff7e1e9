/*
 * skald-conn-count COUNT_FILE: listens on 127.0.0.1 (a free port, printed on stdout), accepts
 * every connection, answers it with a tiny Markdown document over HTTP/1.0 and rewrites
 * COUNT_FILE with the number of connections seen so far ("0" from the start). Runs until
 * killed. The SSRF tests use it as the target a server-side fetch must never reach.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_count(const char *path, unsigned long n)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%lu\n", n);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: skald-conn-count COUNT_FILE\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0 || write_count(argv[1], 0) != 0) {
        perror("skald-conn-count");
        return 1;
    }
    printf("%u\n", ntohs(a.sin_port));
    fflush(stdout);
    static const char answer[] = "HTTP/1.0 200 OK\r\nContent-Type: text/markdown\r\n"
                                 "Content-Length: 22\r\n\r\n# Reached\n\nIt leaked.\n";
    unsigned long n = 0;
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            continue;
        n++;
        if (write_count(argv[1], n) != 0)
            perror("skald-conn-count");
        char buf[4096];
        if (read(c, buf, sizeof buf) >= 0 && write(c, answer, sizeof answer - 1) < 0)
            perror("skald-conn-count");
        close(c);
    }
}
