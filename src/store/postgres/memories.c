/*
 * memories.c - the PostgreSQL side of memories. Deleting a memory deletes everything in it.
 * A name is unique across servers: the insert is ON CONFLICT DO NOTHING, and a lost race
 * is settled by re-reading the winner (a clientToken replay or a duplicate name).
 */
#include "store/postgres/pg.h"

#include "core/result.h"

#include <stdlib.h>
#include <string.h>

#define MEMORY_COLS "id, arn, name, description, status, expiry_days, created_ms, " \
                    "updated_ms, strategies, extra, rowid, client_token"

static int row_to_memory(am_db *db, struct am_arena *a, const PGresult *s, int i, am_memory *m)
{
    m->id = am_pg_dup(a, s, i, 0);
    m->arn = am_pg_dup(a, s, i, 1);
    m->name = am_pg_dup(a, s, i, 2);
    m->description = am_pg_dup(a, s, i, 3);
    m->status = am_pg_dup(a, s, i, 4);
    m->event_expiry_days = (int)am_pg_i64(s, i, 5);
    m->created_ms = am_pg_i64(s, i, 6);
    m->updated_ms = am_pg_i64(s, i, 7);
    m->strategies_json = am_pg_dup(a, s, i, 8);
    m->extra_json = am_pg_dup(a, s, i, 9);
    if (!m->id || !m->arn || !m->name || !m->status || !m->strategies_json || !m->extra_json)
        return am_error(db, AM_ENOMEM, "out of memory");
    return AM_OK;
}

struct mem_ctx {
    const struct am_memory_row *row;
    const char *id, *name;
    int limit;
    int64_t after;
    am_memories **out;
    bool *more;
    int64_t *last;
};

/* Select one memory by id or name into *out (and its client token into *out_token if
   given, malloc'd); ENOTFOUND when absent. */
static int select_one(am_db *db, struct am_pg_conn *c, const char *id, const char *name,
                      am_memories **out, char **out_token)
{
    static const char by_id[] = "SELECT " MEMORY_COLS " FROM memories WHERE id = $1";
    static const char by_name[] = "SELECT " MEMORY_COLS " FROM memories WHERE name = $1";
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, id ? id : name);
    int rc = am_pg_query(db, c, id ? by_id : by_name, &p, "read memory", &s, NULL);
    if (rc)
        return rc;
    if (PQntuples(s) == 0) {
        PQclear(s);
        return am_error(db, AM_ENOTFOUND, "Memory %s not found", id ? id : name);
    }
    am_memories *r = am_memories_new(1);
    rc = r ? row_to_memory(db, am_result_arena(r->priv), s, 0, &r->items[0])
           : am_error(db, AM_ENOMEM, "out of memory");
    if (!rc && out_token)
        *out_token = am_pg_strdup(s, 0, 11);
    PQclear(s);
    if (rc) {
        am_memories_free(r);
        return rc;
    }
    r->n = 1;
    *out = r;
    return AM_OK;
}

/* The memory named like m exists: a replay of the same client token, or a duplicate. */
static int existing(am_db *db, struct am_pg_conn *c, const struct am_memory_row *m,
                    am_memories **out)
{
    am_memories *e = NULL;
    char *token = NULL;
    int rc = select_one(db, c, NULL, m->name, &e, &token);
    if (rc)
        return rc;
    bool same = token && m->client_token && strcmp(token, m->client_token) == 0;
    free(token);
    if (same) {
        *out = e;
        return AM_OK;
    }
    am_memories_free(e);
    return am_error_field(db, AM_EINVAL, "name", "Memory with name %s already exists",
                          m->name);
}

static int insert_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char ins[] =
        "INSERT INTO memories (id, arn, name, description, status, expiry_days, strategies, "
        "extra, client_token, created_ms, updated_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,"
        "$11) ON CONFLICT (name) DO NOTHING";
    struct mem_ctx *x = arg;
    const struct am_memory_row *m = x->row;
    am_memories *e = NULL;

    am_memories_free(*x->out);       /* a retried transaction: start afresh */
    *x->out = NULL;
    int rc = select_one(db, c, NULL, m->name, &e, NULL);
    am_memories_free(e);
    if (rc == AM_OK)
        return existing(db, c, m, x->out);
    if (rc != AM_ENOTFOUND)
        return rc;
    struct am_pgp p = {0};
    am_pg_text(&p, m->id);
    am_pg_text(&p, m->arn);
    am_pg_text(&p, m->name);
    am_pg_text(&p, m->description);
    am_pg_text(&p, m->status);
    am_pg_int(&p, m->event_expiry_days);
    am_pg_text(&p, m->strategies_json);
    am_pg_text(&p, m->extra_json);
    am_pg_text(&p, m->client_token);
    am_pg_int(&p, m->created_ms);
    am_pg_int(&p, m->updated_ms);
    int64_t n = 0;
    rc = am_pg_query(db, c, ins, &p, "insert memory", NULL, &n);
    if (rc)
        return rc;
    if (n == 0)                      /* another server created it meanwhile */
        return existing(db, c, m, x->out);
    return select_one(db, c, m->id, NULL, x->out, NULL);
}

int am_pg_memory_insert(am_db *db, struct am_store *st, const struct am_memory_row *row,
                        am_memories **out)
{
    struct mem_ctx x = {.row = row, .out = out};
    *out = NULL;
    int rc = am_pg_write(db, st, insert_fn, &x);
    if (rc) {                        /* built, then the COMMIT failed */
        am_memories_free(*out);
        *out = NULL;
    }
    return rc;
}

static int get_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    struct mem_ctx *x = arg;
    return select_one(db, c, x->id, x->name, x->out, NULL);
}

int am_pg_memory_get(am_db *db, struct am_store *st, const char *id, const char *name,
                     am_memories **out)
{
    struct mem_ctx x = {.id = id, .name = name, .out = out};
    *out = NULL;
    return am_pg_read(db, st, get_fn, &x);
}

static int list_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT " MEMORY_COLS " FROM memories WHERE rowid > $1 ORDER BY rowid LIMIT $2";
    struct mem_ctx *x = arg;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_int(&p, x->after);
    am_pg_int(&p, x->limit + 1);
    int rc = am_pg_query(db, c, sql, &p, "list memories", &s, NULL);
    if (rc)
        return rc;
    am_memories *r = am_memories_new((size_t)x->limit);
    rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < PQntuples(s); i++) {
        if (r->n == (size_t)x->limit) {
            *x->more = true;
            break;
        }
        rc = row_to_memory(db, am_result_arena(r->priv), s, i, &r->items[r->n++]);
        *x->last = am_pg_i64(s, i, 10);
    }
    PQclear(s);
    if (rc) {
        am_memories_free(r);
        return rc;
    }
    *x->out = r;
    return AM_OK;
}

int am_pg_memory_list(am_db *db, struct am_store *st, int limit, int64_t after_rowid,
                      am_memories **out, bool *out_more, int64_t *out_last_rowid)
{
    struct mem_ctx x = {.limit = limit, .after = after_rowid, .out = out, .more = out_more,
                        .last = out_last_rowid};
    *out = NULL;
    *out_more = false;
    return am_pg_read(db, st, list_fn, &x);
}

static int replace_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "UPDATE memories SET description = $1, status = $2, expiry_days = $3, strategies = $4, "
        "extra = $5, updated_ms = $6 WHERE id = $7";
    struct mem_ctx *x = arg;
    const struct am_memory_row *m = x->row;
    struct am_pgp p = {0};
    am_pg_text(&p, m->description);
    am_pg_text(&p, m->status);
    am_pg_int(&p, m->event_expiry_days);
    am_pg_text(&p, m->strategies_json);
    am_pg_text(&p, m->extra_json);
    am_pg_int(&p, m->updated_ms);
    am_pg_text(&p, m->id);
    int64_t n = 0;
    int rc = am_pg_query(db, c, sql, &p, "update memory", NULL, &n);
    if (rc)
        return rc;
    if (n == 0)
        return am_error(db, AM_ENOTFOUND, "Memory %s not found", m->id);
    return AM_OK;
}

int am_pg_memory_replace(am_db *db, struct am_store *st, const struct am_memory_row *row)
{
    struct mem_ctx x = {.row = row};
    return am_pg_write(db, st, replace_fn, &x);
}

static int delete_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char *const sqls[] = {
        "DELETE FROM memories WHERE id = $1",
        "DELETE FROM events WHERE memory_id = $1",
        "DELETE FROM sessions WHERE memory_id = $1",
        "DELETE FROM records WHERE memory_id = $1",
        "DELETE FROM jobs WHERE memory_id = $1",
    };
    struct mem_ctx *x = arg;
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        struct am_pgp p = {0};
        int64_t n = 0;
        am_pg_text(&p, x->id);
        int rc = am_pg_query(db, c, sqls[i], &p, "delete memory", NULL, &n);
        if (rc)
            return rc;
        if (i == 0 && n == 0)
            return am_error(db, AM_ENOTFOUND, "Memory %s not found", x->id);
    }
    return AM_OK;
}

int am_pg_memory_delete(am_db *db, struct am_store *st, const char *id)
{
    struct mem_ctx x = {.id = id};
    return am_pg_write(db, st, delete_fn, &x);
}
