#include "http/router.h"

const struct route routes_content[] = {
    {NULL, NULL, 0, NULL, NULL},
};
