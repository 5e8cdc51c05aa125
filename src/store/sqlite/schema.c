/*
 * schema.c - the SQLite schema and its migrations.
 *
 * PRAGMA user_version holds the schema version. Each migration is a step from version N-1 to
 * N, applied in one transaction on open; a database newer than this build is refused.
 * Never edit a released step: append a new one.
 */
#include "store/sqlite/sqlite.h"

#include "util/log.h"

#include <stdio.h>

static const char *const migrations[] = {
    /* 1: memories, events, sessions, records, jobs */
    "CREATE TABLE memories ("
    "  rowid INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL UNIQUE,"
    "  arn TEXT NOT NULL,"
    "  description TEXT,"
    "  status TEXT NOT NULL,"
    "  expiry_days INTEGER NOT NULL,"
    "  strategies TEXT NOT NULL,"
    "  extra TEXT NOT NULL,"
    "  client_token TEXT,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY,"
    "  memory_id TEXT NOT NULL,"
    "  actor_id TEXT NOT NULL,"
    "  session_id TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  ts_ms INTEGER NOT NULL,"
    "  branch TEXT,"
    "  root_event_id TEXT,"
    "  payload TEXT NOT NULL,"
    "  metadata TEXT,"
    "  client_token TEXT,"
    "  fingerprint TEXT,"
    "  created_ms INTEGER NOT NULL,"
    "  skip_extract INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX events_by_id ON events(memory_id, event_id);"
    "CREATE UNIQUE INDEX events_by_token ON events(memory_id, client_token)"
    "  WHERE client_token IS NOT NULL;"
    "CREATE INDEX events_by_session ON events(memory_id, actor_id, session_id, ts_ms, seq);"
    "CREATE INDEX events_by_created ON events(created_ms);"
    "CREATE TABLE sessions ("
    "  memory_id TEXT NOT NULL,"
    "  actor_id TEXT NOT NULL,"
    "  session_id TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  last_ms INTEGER NOT NULL,"
    "  last_write_ms INTEGER NOT NULL,"
    "  n_events INTEGER NOT NULL,"
    "  PRIMARY KEY (memory_id, actor_id, session_id)) WITHOUT ROWID;"
    "CREATE INDEX sessions_by_created ON sessions(memory_id, created_ms);"
    "CREATE TABLE records ("
    "  rowid INTEGER PRIMARY KEY,"
    "  memory_id TEXT NOT NULL,"
    "  record_id TEXT NOT NULL UNIQUE,"
    "  text TEXT NOT NULL,"
    "  namespace TEXT NOT NULL,"
    "  strategy_id TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  metadata TEXT,"
    "  actor_id TEXT,"
    "  session_id TEXT,"
    "  source TEXT,"
    "  embedding BLOB,"
    "  embed_model TEXT,"
    "  rkey TEXT,"
    "  kind INTEGER NOT NULL DEFAULT 0,"
    "  superseded_by TEXT,"
    "  lineage TEXT);"
    "CREATE INDEX records_by_ns ON records(memory_id, namespace);"
    "CREATE INDEX records_by_actor ON records(memory_id, actor_id, session_id);"
    "CREATE INDEX records_by_lineage ON records(lineage);"
    "CREATE VIRTUAL TABLE records_fts USING fts5(text, content='records',"
    "  content_rowid='rowid', tokenize='porter unicode61');"
    "CREATE TRIGGER records_ai AFTER INSERT ON records BEGIN"
    "  INSERT INTO records_fts(rowid, text) VALUES (new.rowid, new.text); END;"
    "CREATE TRIGGER records_ad AFTER DELETE ON records BEGIN"
    "  INSERT INTO records_fts(records_fts, rowid, text) VALUES('delete', old.rowid, old.text);"
    "  END;"
    "CREATE TRIGGER records_au AFTER UPDATE OF text ON records BEGIN"
    "  INSERT INTO records_fts(records_fts, rowid, text) VALUES('delete', old.rowid, old.text);"
    "  INSERT INTO records_fts(rowid, text) VALUES (new.rowid, new.text); END;"
    "CREATE TABLE jobs ("
    "  rowid INTEGER PRIMARY KEY,"
    "  memory_id TEXT NOT NULL,"
    "  job_id TEXT NOT NULL UNIQUE,"
    "  status TEXT NOT NULL,"
    "  failure_reason TEXT,"
    "  strategy_id TEXT,"
    "  actor_id TEXT,"
    "  session_id TEXT,"
    "  messages TEXT NOT NULL DEFAULT '[]',"
    "  from_seq INTEGER NOT NULL DEFAULT 0,"
    "  to_seq INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  run_after_ms INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE INDEX jobs_by_status ON jobs(status, run_after_ms);"
    "CREATE INDEX jobs_by_memory ON jobs(memory_id, status);"
    "CREATE UNIQUE INDEX jobs_pending ON jobs(memory_id, actor_id, session_id)"
    "  WHERE status = 'PENDING';"
    /* events' text for verbatim search, indexed by the background worker (rowid = seq) */
    "CREATE VIRTUAL TABLE events_fts USING fts5(text, tokenize='porter unicode61');"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta VALUES ('events_indexed_seq', 0);"
    "CREATE TRIGGER events_ad AFTER DELETE ON events BEGIN"
    "  DELETE FROM events_fts WHERE rowid = old.seq; END;",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int am_sqlite_migrate(am_db *db, struct am_conn *c)
{
    sqlite3_stmt *s = NULL;
    int version = 0, rc;

    rc = am_sqlite_exec(db, c, "BEGIN IMMEDIATE");
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(c->h, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (version > N_MIGRATIONS) {
        rc = am_error(db, AM_EIO,
                      "the database has schema version %d but this agentmem knows only %d; "
                      "upgrade agentmem", version, N_MIGRATIONS);
        goto out;
    }
    for (int v = version; v < N_MIGRATIONS; v++) {
        rc = am_sqlite_exec(db, c, migrations[v]);
        if (rc)
            goto out;
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
        rc = am_sqlite_exec(db, c, pragma);
        if (rc)
            goto out;
        am_log(AM_LOG_INFO, "store", "migrated schema to version %d", v + 1);
    }
    rc = am_sqlite_exec(db, c, "COMMIT");
out:
    if (rc)
        sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
