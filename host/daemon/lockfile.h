/*
 * The data-dir lock: flock() on <data_dir>/skald.lock, held for the life of the process.
 * The kernel drops a flock when its holder dies, so a file left by a killed process (whatever PID
 * it names, even a live unrelated one) never blocks a start, while two live instances never both
 * run. The PID written in the file is for people to read, never for deciding.
 */
#ifndef SKALD_DAEMON_LOCKFILE_H
#define SKALD_DAEMON_LOCKFILE_H

#include <stddef.h>

/* Takes the lock in data_dir (which must exist). Returns the open descriptor (keep it open; close
 * releases the lock), or -1 with err saying why; when another live process holds the lock, err
 * names its PID as read from the file. */
int lockfile_acquire(const char *data_dir, char *err, size_t err_cap);

#endif
