/*
 * store.c - picks the backend named by a store URI. The only file above the backends that
 * knows they exist.
 */
#include "store/store.h"

#include "core/db.h"
#include "store/sqlite/sqlite.h"

#include <string.h>

int am_store_open(am_db *db, const char *uri, unsigned flags,
                  const struct am_store_ops **out_ops, struct am_store **out_st)
{
    *out_ops = NULL;
    *out_st = NULL;
    if (strncmp(uri, "postgres://", 11) == 0 || strncmp(uri, "postgresql://", 13) == 0)
        return am_error(db, AM_EUNAVAIL, "the PostgreSQL backend is not built yet: %s",
                        "use a SQLite file path");
    if (strncmp(uri, "sqlite:", 7) == 0)
        uri += 7;
    int rc = am_sqlite_open(db, uri, flags, out_st);
    if (rc == AM_OK)
        *out_ops = &am_store_sqlite;
    return rc;
}
