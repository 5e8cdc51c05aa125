/*
 * schema.c - the PostgreSQL schema and its migrations.
 *
 * The table schema_version holds the version. Migrations run in one transaction on open
 * under an advisory lock, so servers starting together on one database migrate it once.
 * A database newer than this build is refused. Never edit a released step: append one.
 *
 * Differences from SQLite: bigserial keys stand for rowid; records carry a generated
 * tsvector (english) with a GIN index instead of FTS5; events' search text lives in
 * events_fts, filled by the background indexer, which picks events by a fts_done flag
 * (sequence numbers are not commit order when several servers write, so no watermark).
 */
#include "store/postgres/pg.h"

#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_LOCK "7305104425129411"    /* pg_advisory_xact_lock key */

static const char *const migrations[] = {
    /* 1: memories, events, sessions, records, jobs */
    "CREATE TABLE memories ("
    "  rowid BIGSERIAL PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL UNIQUE,"
    "  arn TEXT NOT NULL,"
    "  description TEXT,"
    "  status TEXT NOT NULL,"
    "  expiry_days INTEGER NOT NULL,"
    "  strategies TEXT NOT NULL,"
    "  extra TEXT NOT NULL,"
    "  client_token TEXT,"
    "  created_ms BIGINT NOT NULL,"
    "  updated_ms BIGINT NOT NULL);"
    "CREATE TABLE events ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  memory_id TEXT NOT NULL,"
    "  actor_id TEXT NOT NULL,"
    "  session_id TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  ts_ms BIGINT NOT NULL,"
    "  branch TEXT,"
    "  root_event_id TEXT,"
    "  payload TEXT NOT NULL,"
    "  metadata TEXT,"
    "  client_token TEXT,"
    "  fingerprint TEXT,"
    "  created_ms BIGINT NOT NULL,"
    "  skip_extract BOOLEAN NOT NULL DEFAULT false,"
    "  fts_done BOOLEAN NOT NULL DEFAULT false);"
    "CREATE INDEX events_unindexed ON events(seq) WHERE NOT fts_done;"
    "CREATE UNIQUE INDEX events_by_id ON events(memory_id, event_id);"
    "CREATE UNIQUE INDEX events_by_token ON events(memory_id, client_token)"
    "  WHERE client_token IS NOT NULL;"
    "CREATE INDEX events_by_session ON events(memory_id, actor_id, session_id, ts_ms, seq);"
    "CREATE INDEX events_by_created ON events(created_ms);"
    "CREATE TABLE sessions ("
    "  memory_id TEXT NOT NULL,"
    "  actor_id TEXT NOT NULL,"
    "  session_id TEXT NOT NULL,"
    "  created_ms BIGINT NOT NULL,"
    "  last_ms BIGINT NOT NULL,"
    "  last_write_ms BIGINT NOT NULL,"
    "  n_events BIGINT NOT NULL,"
    "  PRIMARY KEY (memory_id, actor_id, session_id));"
    "CREATE INDEX sessions_by_created ON sessions(memory_id, created_ms);"
    "CREATE TABLE records ("
    "  rowid BIGSERIAL PRIMARY KEY,"
    "  memory_id TEXT NOT NULL,"
    "  record_id TEXT NOT NULL UNIQUE,"
    "  text TEXT NOT NULL,"
    "  namespace TEXT NOT NULL,"
    "  strategy_id TEXT NOT NULL DEFAULT '',"
    "  created_ms BIGINT NOT NULL,"
    "  updated_ms BIGINT NOT NULL,"
    "  metadata TEXT,"
    "  actor_id TEXT,"
    "  session_id TEXT,"
    "  source TEXT,"
    "  embedding BYTEA,"
    "  embed_model TEXT,"
    "  rkey TEXT,"
    "  kind INTEGER NOT NULL DEFAULT 0,"
    "  superseded_by TEXT,"
    "  lineage TEXT,"
    "  tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', text)) STORED);"
    "CREATE INDEX records_by_ns ON records(memory_id, namespace);"
    "CREATE INDEX records_by_actor ON records(memory_id, actor_id, session_id);"
    "CREATE INDEX records_by_lineage ON records(lineage);"
    "CREATE INDEX records_fts ON records USING GIN (tsv);"
    "CREATE TABLE jobs ("
    "  rowid BIGSERIAL PRIMARY KEY,"
    "  memory_id TEXT NOT NULL,"
    "  job_id TEXT NOT NULL UNIQUE,"
    "  status TEXT NOT NULL,"
    "  failure_reason TEXT,"
    "  strategy_id TEXT,"
    "  actor_id TEXT,"
    "  session_id TEXT,"
    "  messages TEXT NOT NULL DEFAULT '[]',"
    "  from_seq BIGINT NOT NULL DEFAULT 0,"
    "  to_seq BIGINT NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  run_after_ms BIGINT NOT NULL DEFAULT 0,"
    "  created_ms BIGINT NOT NULL,"
    "  updated_ms BIGINT NOT NULL);"
    "CREATE INDEX jobs_by_status ON jobs(status, run_after_ms);"
    "CREATE INDEX jobs_by_memory ON jobs(memory_id, status);"
    "CREATE UNIQUE INDEX jobs_pending ON jobs(memory_id, actor_id, session_id)"
    "  WHERE status = 'PENDING';"
    /* events' text for verbatim search, indexed by the background worker */
    "CREATE TABLE events_fts ("
    "  seq BIGINT PRIMARY KEY REFERENCES events(seq) ON DELETE CASCADE,"
    "  tsv TSVECTOR NOT NULL);"
    "CREATE INDEX events_fts_tsv ON events_fts USING GIN (tsv);"
    /* every committed change to records tells the servers (conn.c, poll_changes) */
    "CREATE FUNCTION am_records_changed() RETURNS trigger LANGUAGE plpgsql AS $$"
    "  BEGIN PERFORM pg_notify('am_records', ''); RETURN NULL; END $$;"
    "CREATE TRIGGER records_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON records"
    "  FOR EACH STATEMENT EXECUTE FUNCTION am_records_changed();",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int am_pg_migrate(am_db *db, struct am_pg_conn *c)
{
    PGresult *r = NULL;
    int version = 0, rc;

    rc = am_pg_exec(db, c, "BEGIN");
    if (rc)
        return rc;
    rc = am_pg_exec(db, c, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")");
    if (!rc)
        rc = am_pg_exec(db, c, "CREATE TABLE IF NOT EXISTS schema_version "
                               "(version INTEGER NOT NULL)");
    if (!rc)
        rc = am_pg_query(db, c, "SELECT max(version) FROM schema_version", NULL,
                         "read schema version", &r, NULL);
    if (rc)
        goto out;
    version = (int)am_pg_i64(r, 0, 0);
    PQclear(r);
    if (version > N_MIGRATIONS) {
        rc = am_error(db, AM_EIO,
                      "the database has schema version %d but this agentmem knows only %d; "
                      "upgrade agentmem", version, N_MIGRATIONS);
        goto out;
    }
    for (int v = version; v < N_MIGRATIONS; v++) {
        struct am_pgp p = {0};
        rc = am_pg_exec(db, c, migrations[v]);
        if (rc)
            goto out;
        am_pg_int(&p, v + 1);
        rc = am_pg_exec(db, c, "DELETE FROM schema_version");
        if (!rc)
            rc = am_pg_query(db, c, "INSERT INTO schema_version VALUES ($1::int)", &p,
                             "write schema version", NULL, NULL);
        if (rc)
            goto out;
        am_log(AM_LOG_INFO, "store", "migrated schema to version %d", v + 1);
    }
    rc = am_pg_exec(db, c, "COMMIT");
out:
    if (rc)
        PQclear(PQexec(c->h, "ROLLBACK"));
    return rc;
}

/* ---- consistency check (am_check) ---- */

struct check_ctx {
    char *out;
    size_t cap;
};

static int check_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    struct check_ctx *x = arg;
    PGresult *r = NULL;
    int rc = am_pg_query(db, c,
                         "SELECT (SELECT max(version) FROM schema_version), "
                         "(SELECT count(*) FROM records r WHERE r.superseded_by IS NOT NULL "
                         "AND NOT EXISTS (SELECT 1 FROM records n WHERE n.memory_id = "
                         "r.memory_id AND n.record_id = r.superseded_by))",
                         NULL, "check", &r, NULL);
    if (rc)
        return rc;
    const char *version = PQgetvalue(r, 0, 0), *dangling = PQgetvalue(r, 0, 1);
    if (strcmp(version, "1") != 0)
        snprintf(x->out, x->cap, "schema version %s, expected 1", version);
    else if (strcmp(dangling, "0") != 0)
        snprintf(x->out, x->cap, "%s records point at a missing successor", dangling);
    else
        snprintf(x->out, x->cap, "ok");
    PQclear(r);
    return AM_OK;
}

int am_pg_check(am_db *db, struct am_store *st, char *out, size_t cap)
{
    struct check_ctx x = {out, cap};
    out[0] = '\0';
    return am_pg_read(db, st, check_fn, &x);
}
