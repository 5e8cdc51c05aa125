/*
 * store.c - picks the backend named by a store URI. The only file above the backends that
 * knows they exist.
 */
#include "store/store.h"

#include "core/db.h"
#include "store/postgres/pg.h"
#include "store/sqlite/sqlite.h"

#include <string.h>

int am_store_open(am_db *db, const char *uri, unsigned flags,
                  const struct am_store_ops **out_ops, struct am_store **out_st)
{
    *out_ops = NULL;
    *out_st = NULL;
    int rc;

    if (strncmp(uri, "postgres://", 11) == 0 || strncmp(uri, "postgresql://", 13) == 0) {
        rc = am_pg_open(db, uri, flags, out_st);
        if (rc == AM_OK)
            *out_ops = &am_store_postgres;
        return rc;
    }
    if (strncmp(uri, "sqlite:", 7) == 0)
        uri += 7;
    rc = am_sqlite_open(db, uri, flags, out_st);
    if (rc == AM_OK)
        *out_ops = &am_store_sqlite;
    return rc;
}
