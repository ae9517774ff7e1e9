/*
 * The smallest libmicrohttpd server answering /health like skald, for the HTTP benchmark's
 * baseline. usage: mhd_minimal PORT MODE, MODE = pool2 (skald's mode: two epoll threads),
 * epoll1 (one epoll thread) or poll (one poll thread). Runs until SIGTERM.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char body[] = "{\"status\":\"ok\",\"healthy\":true,\"version\":\"0.1.0\",\"auth_mode\":\"dev\"}";
static struct MHD_Response *response;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **state)
{
    (void)cls; (void)url; (void)method; (void)version; (void)data; (void)size;
    static int marker;
    /* Answer from the second call: answering in the first turns keep-alive off in 0.9.75. */
    if (*state != &marker) {
        *state = &marker;
        return MHD_YES;
    }
    return MHD_queue_response(c, MHD_HTTP_OK, response);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    unsigned pool = 0;
    if (strcmp(argv[2], "pool2") == 0) {
        flags |= MHD_USE_EPOLL;
        pool = 2;
    } else if (strcmp(argv[2], "epoll1") == 0) {
        flags |= MHD_USE_EPOLL;
    } else if (strcmp(argv[2], "poll") == 0) {
        flags |= MHD_USE_POLL;
    } else {
        return 2;
    }
    response = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, "Content-Type", "application/json");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = pool
        ? MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                           MHD_OPTION_THREAD_POOL_SIZE, pool, MHD_OPTION_CONNECTION_LIMIT, 8192u,
                           MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END)
        : MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                           MHD_OPTION_CONNECTION_LIMIT, 8192u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                           MHD_OPTION_END);
    if (!d)
        return 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(response);
    return 0;
}
