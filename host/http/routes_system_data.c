#include "http/router.h"

const struct route routes_system_data[] = {
    {NULL, NULL, 0, NULL, NULL},
};
