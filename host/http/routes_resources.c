#include "http/router.h"

const struct route routes_resources[] = {
    {NULL, NULL, 0, NULL, NULL},
};
