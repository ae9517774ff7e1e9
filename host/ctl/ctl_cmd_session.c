/* session new|list|show|add|commit|delete. */
#include "ctl_cmd.h"

#include <stdio.h>
#include <string.h>

static const char *const session_usage =
    "session new | session list | session show ID | session add ID ROLE TEXT | session commit ID | "
    "session delete ID";

/* /api/v1/sessions/ID + suffix into path; a usage error when the id does not fit. */
static int session_path(char *path, size_t len, const char *id, const char *suffix)
{
    if (ctl_path_segment(path, len, "/api/v1/sessions/", id, suffix) != CTL_OK) {
        fprintf(stderr, "skaldctl: session id too long\n");
        return CTL_USAGE;
    }
    return CTL_OK;
}

int ctl_cmd_session(const struct ctl *c, int argc, char **argv)
{
    static const char *const list_cols[] = {"session_id", "mod_time", "uri", NULL};
    int pos;
    int rc = ctl_args(argc, argv, session_usage, NULL, NULL, NULL, NULL, 1, 4, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    const char *sub = argv[pos];
    int nargs = argc - pos - 1;
    char path[1024];
    if (strcmp(sub, "new") == 0 && nargs == 0)
        return ctl_run(c, "POST", "/api/v1/sessions", NULL, NULL, NULL);
    if (strcmp(sub, "list") == 0 && nargs == 0)
        return ctl_run(c, "GET", "/api/v1/sessions", NULL, NULL, list_cols);
    if (strcmp(sub, "show") == 0 && nargs == 1)
        return (rc = session_path(path, sizeof path, argv[pos + 1], "")) != CTL_OK
                   ? rc
                   : ctl_run(c, "GET", path, NULL, NULL, NULL);
    if (strcmp(sub, "commit") == 0 && nargs == 1)
        return (rc = session_path(path, sizeof path, argv[pos + 1], "/commit")) != CTL_OK
                   ? rc
                   : ctl_run(c, "POST", path, NULL, NULL, NULL);
    if (strcmp(sub, "delete") == 0 && nargs == 1)
        return (rc = session_path(path, sizeof path, argv[pos + 1], "")) != CTL_OK
                   ? rc
                   : ctl_run(c, "DELETE", path, NULL, NULL, NULL);
    if (strcmp(sub, "add") == 0 && nargs == 3) {
        if ((rc = session_path(path, sizeof path, argv[pos + 1], "/messages")) != CTL_OK)
            return rc;
        json_t *body = json_pack("{s:s, s:s}", "role", argv[pos + 2], "content", argv[pos + 3]);
        if (!body) {
            fprintf(stderr, "skaldctl: the role or text is not valid UTF-8\n");
            return CTL_USAGE;
        }
        return ctl_run(c, "POST", path, body, NULL, NULL);
    }
    fprintf(stderr, "usage: skaldctl %s\n", session_usage);
    return CTL_USAGE;
}
