#include "http/router.h"

const struct route routes_fs[] = {
    {NULL, NULL, 0, NULL, NULL},
};
