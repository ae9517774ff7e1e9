#ifndef SKALD_CTL_CMD_H
#define SKALD_CTL_CMD_H

#include "ctl_http.h"

#include <getopt.h>

/* A command gets its own argv (argv[0] is its name) and returns an exit code. */
typedef int (*ctl_cmd_fn)(const struct ctl *c, int argc, char **argv);

/* Parses a command's options with getopt_long ("--help" always understood) and checks that
 * exactly min..max positional arguments remain. Returns CTL_OK with *pos set to the first
 * positional index, CTL_USAGE after printing the usage to stderr, or -1 after printing it to
 * stdout for --help (the caller exits 0). on_opt gets each other option; nonzero is a usage error. */
int ctl_args(int argc, char **argv, const char *usage, const char *shortopts, const struct option *longopts,
             int (*on_opt)(int opt, const char *arg, void *ctx), void *ctx, int min, int max, int *pos);

/* One call, its result printed (the member pick of an object result when pick is set);
 * errors reported on stderr. Returns the exit code. Takes the body reference. */
int ctl_run(const struct ctl *c, const char *method, const char *path, json_t *body, const char *pick,
            const char *const *columns);
/* ctl_run's second half: prints result (taking its reference) when rc is CTL_OK, else err on
 * stderr. Returns the exit code. */
int ctl_report(const struct ctl *c, int rc, json_t *result, const char *err, const char *pick,
               const char *const *columns);
/* ctl_run for a request that waits server-side for background work: meanwhile the jobs done out
 * of the jobs known (the queue observer's totals, from just before the request) are shown on
 * stderr, as a bar redrawn in place on a terminal and as plain lines otherwise. The result and
 * the exit code are ctl_run's. Takes the body reference. */
int ctl_run_progress(const struct ctl *c, const char *method, const char *path, json_t *body,
                     const char *pick, const char *const *columns);

int ctl_cmd_health(const struct ctl *c, int argc, char **argv);
int ctl_cmd_status(const struct ctl *c, int argc, char **argv);
int ctl_cmd_reload(const struct ctl *c, int argc, char **argv);
int ctl_cmd_queue(const struct ctl *c, int argc, char **argv);
int ctl_cmd_lanes(const struct ctl *c, int argc, char **argv);
int ctl_cmd_wait(const struct ctl *c, int argc, char **argv);
int ctl_cmd_task(const struct ctl *c, int argc, char **argv);
int ctl_cmd_reindex(const struct ctl *c, int argc, char **argv);
int ctl_cmd_consistency(const struct ctl *c, int argc, char **argv);
int ctl_cmd_session(const struct ctl *c, int argc, char **argv);

int ctl_cmd_ls(const struct ctl *c, int argc, char **argv);
int ctl_cmd_tree(const struct ctl *c, int argc, char **argv);
int ctl_cmd_stat(const struct ctl *c, int argc, char **argv);
int ctl_cmd_read(const struct ctl *c, int argc, char **argv);
int ctl_cmd_abstract(const struct ctl *c, int argc, char **argv);
int ctl_cmd_overview(const struct ctl *c, int argc, char **argv);
int ctl_cmd_mkdir(const struct ctl *c, int argc, char **argv);
int ctl_cmd_rm(const struct ctl *c, int argc, char **argv);
int ctl_cmd_mv(const struct ctl *c, int argc, char **argv);
int ctl_cmd_write(const struct ctl *c, int argc, char **argv);
int ctl_cmd_add_resource(const struct ctl *c, int argc, char **argv);

int ctl_cmd_find(const struct ctl *c, int argc, char **argv);
int ctl_cmd_search(const struct ctl *c, int argc, char **argv);
int ctl_cmd_grep(const struct ctl *c, int argc, char **argv);
int ctl_cmd_glob(const struct ctl *c, int argc, char **argv);

#endif
