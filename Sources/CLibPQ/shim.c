#include "clibpq.h"
/* libpq's API is not variadic: Swift calls it directly through this module. */
