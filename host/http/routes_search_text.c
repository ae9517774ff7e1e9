#include "http/router.h"

const struct route routes_search_text[] = {
    {NULL, NULL, 0, NULL, NULL},
};
