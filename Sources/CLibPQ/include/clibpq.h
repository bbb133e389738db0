#ifndef WARDEN_CLIBPQ_H
#define WARDEN_CLIBPQ_H
#include <libpq-fe.h>

/// `PG_DIAG_SQLSTATE` is a character macro Swift cannot import.
static const int WARDEN_PG_DIAG_SQLSTATE = PG_DIAG_SQLSTATE;
#endif
