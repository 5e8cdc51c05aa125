/*
 * helpers.c - see helpers.h.
 *
 * The store under test: a SQLite file in the test's temp dir, or, when AGENTMEM_TEST_STORE
 * holds a postgres:// URI (of a maintenance database such as .../postgres), a fresh
 * database t_<pid>_<n> created for the test and dropped when the test process exits.
 */
#include "helpers.h"
#include <stdlib.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdarg.h>

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

static char store_uri[1024];
static char pg_dbname[64];
static pid_t pg_owner;
static int pg_serial;

bool th_is_pg(void)
{
    const char *s = getenv("AGENTMEM_TEST_STORE");
    return s && (strncmp(s, "postgres://", 11) == 0 || strncmp(s, "postgresql://", 13) == 0);
}

/* The maintenance URI with its database name replaced by name. */
static void pg_uri_for(const char *name, char *out, size_t cap)
{
    const char *base = getenv("AGENTMEM_TEST_STORE");
    const char *auth = strstr(base, "://") + 3;
    const char *slash = strchr(auth, '/');
    const char *query = strchr(auth, '?');
    size_t head = slash ? (size_t)(slash - base) : query ? (size_t)(query - base) : strlen(base);
    snprintf(out, cap, "%.*s/%s%s", (int)head, base, name, query ? query : "");
}

static void pg_admin(const char *sql, bool must)
{
    PGconn *c = PQconnectdb(getenv("AGENTMEM_TEST_STORE"));
    if (PQstatus(c) != CONNECTION_OK) {
        if (must)
            TEST_FAIL_("cannot connect to %s: %s", getenv("AGENTMEM_TEST_STORE"),
                       PQerrorMessage(c));
        PQfinish(c);
        return;
    }
    PGresult *r = PQexec(c, sql);
    if (must && PQresultStatus(r) != PGRES_COMMAND_OK)
        TEST_FAIL_("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static void pg_drop(void)
{
    char sql[128];
    if (getpid() != pg_owner || !pg_dbname[0])
        return;                  /* a forked writer: the database belongs to the test */
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_dbname);
    pg_admin(sql, false);
}

const char *th_store(void)
{
    if (store_uri[0])
        return store_uri;
    if (!th_is_pg()) {
        snprintf(store_uri, sizeof store_uri, "%s", test_path("t.db"));
        return store_uri;
    }
    char sql[128];
    snprintf(pg_dbname, sizeof pg_dbname, "t_%d_%d", (int)getpid(), pg_serial++);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", pg_dbname);
    pg_admin(sql, true);
    pg_owner = getpid();
    atexit(pg_drop);
    pg_uri_for(pg_dbname, store_uri, sizeof store_uri);
    return store_uri;
}

am_db *th_open(void)
{
    am_db *db = NULL;
    int rc = am_open(th_store(), AM_OPEN_NOPURGE, &db);
    if (rc)
        TEST_FAIL_("am_open: %s", am_errmsg(NULL));
    return db;
}

/* Run sql on the store; the first column of the first row as an integer (or -1). */
static long long store_sql(const char *sql, bool rows)
{
    long long n = -1;
    if (th_is_pg()) {
        PGconn *c = PQconnectdb(th_store());
        if (PQstatus(c) != CONNECTION_OK)
            TEST_FAIL_("cannot connect: %s", PQerrorMessage(c));
        PGresult *r = PQexec(c, sql);
        ExecStatusType t = PQresultStatus(r);
        if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
            TEST_FAIL_("%s: %s", sql, PQerrorMessage(c));
        if (rows && PQntuples(r) > 0)
            n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return n;
    }
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    ASSERT_EQ(sqlite3_open(th_store(), &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    if (!rows) {
        ASSERT_EQ(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    } else {
        ASSERT_EQ(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
        if (sqlite3_step(s) == SQLITE_ROW)
            n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(h);
    return n;
}

long long th_count(const char *table, const char *where)
{
    char sql[512];
    /* "1" is SQLite's true; PostgreSQL wants a boolean */
    if (th_is_pg() && strcmp(where, "1") == 0)
        where = "true";
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", table, where);
    return store_sql(sql, true);
}

void th_exec(const char *sql)
{
    store_sql(sql, false);
}

void th_memory(am_db *db, const char *name, int expiry_days, char id[128])
{
    am_memory_in in = {.name = name, .event_expiry_days = expiry_days};
    am_memories *m = NULL;
    int rc = am_memory_create(db, &in, &m);
    if (rc)
        TEST_FAIL_("am_memory_create: %s", am_errmsg(db));
    snprintf(id, 128, "%s", m->items[0].id);
    am_memories_free(m);
}

int th_event(am_db *db, const char *mem, const char *actor, const char *session, int64_t ts,
             const char *text, char *out_id)
{
    am_payload p = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER, .text = text};
    am_event_in in = {.memory_id = mem, .actor_id = actor, .session_id = session,
                      .timestamp_ms = ts, .payload = &p, .n_payload = 1};
    am_events *e = NULL;
    int rc = am_event_create(db, &in, &e);
    if (!rc && out_id)
        snprintf(out_id, 64, "%s", e->items[0].event_id);
    am_events_free(e);
    return rc;
}

pid_t th_start_helper(int *port, const char *env_name, const char *env_value,
                      const char *script, ...)
{
    int fds[2];
    char path[512];
    const char *argv[16];
    size_t argc = 0;
    const char *srcdir = getenv("AM_SRCDIR");
    va_list ap;

    snprintf(path, sizeof path, "%s/tests/helpers/%s", srcdir ? srcdir : ".", script);
    argv[argc++] = "python3";
    argv[argc++] = path;
    va_start(ap, script);
    for (const char *a; argc < 15 && (a = va_arg(ap, const char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    ASSERT_OK(pipe(fds));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (env_name)
            setenv(env_name, env_value, 1);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[64] = "";
    ASSERT_NOT_NULL(fgets(line, sizeof line, f));
    if (sscanf(line, "PORT %d", port) != 1)          /* fake_redshift.py's way */
        ASSERT_EQ(sscanf(line, "listening port=%d", port), 1);
    fclose(f);
    return pid;
}
