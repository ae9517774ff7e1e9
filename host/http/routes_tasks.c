#include "http/router.h"

const struct route routes_tasks[] = {
    {NULL, NULL, 0, NULL, NULL},
};
