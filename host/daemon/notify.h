/*
 * The systemd notify protocol, spoken by the daemon itself (no libsystemd): newline-separated
 * KEY=VALUE datagrams to the Unix socket named by $NOTIFY_SOCKET (a path, or "@name" for an
 * abstract socket). Without $NOTIFY_SOCKET every call is a no-op. Never call from an HTTP thread:
 * a send may wait (up to a second) on a full receiver.
 */
#ifndef SKALD_DAEMON_NOTIFY_H
#define SKALD_DAEMON_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

/* Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID and removes them from the environment
 * (call before any thread starts). Returns 0 (also when unset), or -1 with err when the socket
 * address is malformed or the socket cannot be created. */
int notify_init(char *err, size_t err_cap);
void notify_close(void);

int notify_enabled(void);
/* The watchdog period systemd expects pings within, in microseconds; 0 when none is asked for
 * this process. */
uint64_t notify_watchdog_usec(void);

/* Phases named in STATUS=. */
#define NOTIFY_PHASE_STARTING "starting"
#define NOTIFY_PHASE_RECOVERING "recovering"
#define NOTIFY_PHASE_SERVING "serving"
#define NOTIFY_PHASE_RELOADING "reloading"
#define NOTIFY_PHASE_STOPPING "stopping"

/* READY=1 with STATUS=phase. */
void notify_ready(const char *phase);
/* STATUS=phase, sent only when it differs from the last one sent. */
void notify_status(const char *phase);
/* RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC now) and STATUS=reloading. */
void notify_reloading(void);
/* STOPPING=1 with STATUS=stopping. */
void notify_stopping(void);
/* WATCHDOG=1. */
void notify_watchdog(void);

#endif
