#ifndef SKALD_CTL_CONFIG_H
#define SKALD_CTL_CONFIG_H

#include <stddef.h>

/* The user's defaults from $XDG_CONFIG_HOME/skald/skaldctl.ini (else ~/.config/skald/...):
 * keys url and api_key, in any section. A missing file is no error and leaves both empty.
 * Returns 0, or -1 with err set when the file exists but cannot be read or has a bad line. */
int ctl_config_load(char *url, size_t url_len, char *key, size_t key_len, char *err, size_t errlen);

#endif
