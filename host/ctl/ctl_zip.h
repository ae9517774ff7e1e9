#ifndef SKALD_CTL_ZIP_H
#define SKALD_CTL_ZIP_H

#include <stddef.h>

/* Writes a new zip at zip_path holding the tree under dir, each member named top/RELATIVE_PATH
 * (the server makes a single top folder the resource's root). Regular files and directories are
 * kept; hidden entries are left out; symbolic links and special files are skipped with a note on
 * stderr. Returns CTL_OK, or CTL_USAGE with err set (nothing is left at zip_path then). */
int ctl_zip_dir(const char *dir, const char *top, const char *zip_path, char *err, size_t errlen);

#endif
