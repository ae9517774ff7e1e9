/* Server-wide commands: health, status, reload, queue, lanes, wait and tasks. */
#include "ctl_cmd.h"
#include "ctl_output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A command without options or arguments: one GET or POST, result printed. */
static int simple(const struct ctl *c, int argc, char **argv, const char *usage, const char *method,
                  const char *path, const char *pick, const char *const *columns)
{
    int pos;
    int rc = ctl_args(argc, argv, usage, NULL, NULL, NULL, NULL, 0, 0, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    return ctl_run(c, method, path, NULL, pick, columns);
}

int ctl_cmd_health(const struct ctl *c, int argc, char **argv)
{
    return simple(c, argc, argv, "health", "GET", "/health", NULL, NULL);
}

int ctl_cmd_status(const struct ctl *c, int argc, char **argv)
{
    return simple(c, argc, argv, "status", "GET", "/api/v1/system/status", NULL, NULL);
}

int ctl_cmd_reload(const struct ctl *c, int argc, char **argv)
{
    return simple(c, argc, argv, "reload", "POST", "/api/v1/system/reload", NULL, NULL);
}

int ctl_cmd_queue(const struct ctl *c, int argc, char **argv)
{
    static const char *const cols[] = {"topic", "pending", "leased", "dead", NULL};
    int pos;
    int rc = ctl_args(argc, argv, "queue", NULL, NULL, NULL, NULL, 0, 0, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    /* The per-topic counts live in the status document; the table shows only them. */
    json_t *result;
    char err[1024];
    rc = ctl_call(c, "GET", "/api/v1/system/status", NULL, &result, err, sizeof err);
    if (rc != CTL_OK) {
        fprintf(stderr, "skaldctl: %s\n", err);
        return rc;
    }
    json_t *queue = json_object_get(result, "queue");
    json_t *topics = json_object_get(queue, "topics");
    json_t *shown = c->json ? queue : topics;
    rc = ctl_print(shown ? shown : json_null(), c->json, cols) == 0 ? CTL_OK : CTL_SERVER_ERROR;
    json_decref(result);
    return rc;
}

int ctl_cmd_lanes(const struct ctl *c, int argc, char **argv)
{
    return simple(c, argc, argv, "lanes", "GET", "/api/v1/observer/lock", NULL, NULL);
}

static int wait_opt(int opt, const char *arg, void *ctx)
{
    if (opt != 't')
        return -1;
    char *end;
    errno = 0;
    double s = strtod(arg, &end);
    if (errno || end == arg || *end || s < 0)
        return -1;
    *(double *)ctx = s;
    return 0;
}

int ctl_cmd_wait(const struct ctl *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, {"timeout", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
    double timeout = -1;
    int pos;
    int rc = ctl_args(argc, argv, "wait [--timeout SECONDS]", "t:", longopts, wait_opt, &timeout, 0, 0, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    json_t *body = NULL;
    if (timeout >= 0 && !(body = json_pack("{s:f}", "timeout", timeout))) {
        fprintf(stderr, "skaldctl: out of memory\n");
        return CTL_SERVER_ERROR;
    }
    return ctl_run_progress(c, "POST", "/api/v1/system/wait", body, NULL, NULL);
}

int ctl_cmd_task(const struct ctl *c, int argc, char **argv)
{
    static const char *const usage = "task list | task show ID | task cancel ID";
    static const char *const cols[] = {"task_id", "task_type", "status", "stage", "created_at_iso", NULL};
    int pos;
    int rc = ctl_args(argc, argv, usage, NULL, NULL, NULL, NULL, 1, 2, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    const char *sub = argv[pos];
    int nargs = argc - pos - 1;
    if (strcmp(sub, "list") == 0 && nargs == 0)
        return ctl_run(c, "GET", "/api/v1/tasks", NULL, NULL, cols);
    int show = strcmp(sub, "show") == 0;
    if ((show || strcmp(sub, "cancel") == 0) && nargs == 1) {
        char path[1024];
        const char *suffix = show ? "" : "/cancel";
        if (ctl_path_segment(path, sizeof path, "/api/v1/tasks/", argv[pos + 1], suffix) != CTL_OK) {
            fprintf(stderr, "skaldctl: task id too long\n");
            return CTL_USAGE;
        }
        return ctl_run(c, show ? "GET" : "POST", path, NULL, NULL, NULL);
    }
    fprintf(stderr, "usage: skaldctl %s\n", usage);
    return CTL_USAGE;
}
