/*
 * memories.c - the SQLite side of memories. Deleting a memory deletes everything in it.
 */
#include "store/sqlite/sqlite.h"

#include "core/result.h"

#include <string.h>

#define MEMORY_COLS "id, arn, name, description, status, expiry_days, created_ms, " \
                    "updated_ms, strategies, extra, rowid"

static int row_to_memory(am_db *db, struct am_arena *a, sqlite3_stmt *s, am_memory *m)
{
    m->id = am_sqlite_col_dup(a, s, 0);
    m->arn = am_sqlite_col_dup(a, s, 1);
    m->name = am_sqlite_col_dup(a, s, 2);
    m->description = am_sqlite_col_dup(a, s, 3);
    m->status = am_sqlite_col_dup(a, s, 4);
    m->event_expiry_days = sqlite3_column_int(s, 5);
    m->created_ms = sqlite3_column_int64(s, 6);
    m->updated_ms = sqlite3_column_int64(s, 7);
    m->strategies_json = am_sqlite_col_dup(a, s, 8);
    m->extra_json = am_sqlite_col_dup(a, s, 9);
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

/* Select one memory by id or name into *out; ENOTFOUND when absent. */
static int select_one(am_db *db, struct am_conn *c, const char *id, const char *name,
                      am_memories **out)
{
    static const char by_id[] = "SELECT " MEMORY_COLS " FROM memories WHERE id = ?";
    static const char by_name[] = "SELECT " MEMORY_COLS " FROM memories WHERE name = ?";
    sqlite3_stmt *s = am_sqlite_stmt(db, c, id ? by_id : by_name);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, id ? id : name, -1, SQLITE_STATIC);
    int src = sqlite3_step(s), rc = AM_OK;
    if (src == SQLITE_ROW) {
        am_memories *r = am_memories_new(1);
        rc = r ? row_to_memory(db, am_result_arena(r->priv), s, &r->items[0])
               : am_error(db, AM_ENOMEM, "out of memory");
        if (rc) {
            am_memories_free(r);
        } else {
            r->n = 1;
            *out = r;
        }
    } else if (src == SQLITE_DONE) {
        rc = am_error(db, AM_ENOTFOUND, "Memory %s not found", id ? id : name);
    } else {
        rc = am_sqlite_fail(db, c, src, "read memory");
    }
    sqlite3_reset(s);
    return rc;
}

static int insert_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char ins[] =
        "INSERT INTO memories (id, arn, name, description, status, expiry_days, strategies, "
        "extra, client_token, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)";
    struct mem_ctx *x = arg;
    const struct am_memory_row *m = x->row;
    am_memories *existing = NULL;

    int rc = select_one(db, c, NULL, m->name, &existing);
    if (rc == AM_OK) {
        /* the same client token replays the creation; anything else is a duplicate name */
        static const char tok[] = "SELECT client_token FROM memories WHERE name = ?";
        sqlite3_stmt *s = am_sqlite_stmt(db, c, tok);
        bool same = false;
        if (s) {
            sqlite3_bind_text(s, 1, m->name, -1, SQLITE_STATIC);
            if (sqlite3_step(s) == SQLITE_ROW && m->client_token &&
                sqlite3_column_text(s, 0))
                same = strcmp((const char *)sqlite3_column_text(s, 0), m->client_token) == 0;
            sqlite3_reset(s);
        }
        if (same) {
            *x->out = existing;
            return AM_OK;
        }
        am_memories_free(existing);
        return am_error_field(db, AM_EINVAL, "name", "Memory with name %s already exists",
                              m->name);
    }
    if (rc != AM_ENOTFOUND)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, ins);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, m->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, m->arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, m->name, -1, SQLITE_STATIC);
    am_sqlite_bind_text(s, 4, m->description);
    sqlite3_bind_text(s, 5, m->status, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 6, m->event_expiry_days);
    sqlite3_bind_text(s, 7, m->strategies_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, m->extra_json, -1, SQLITE_STATIC);
    am_sqlite_bind_text(s, 9, m->client_token);
    sqlite3_bind_int64(s, 10, m->created_ms);
    sqlite3_bind_int64(s, 11, m->updated_ms);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src != SQLITE_DONE)
        return am_sqlite_fail(db, c, src, "insert memory");
    return select_one(db, c, m->id, NULL, x->out);
}

int am_sqlite_memory_insert(am_db *db, struct am_store *st, const struct am_memory_row *row,
                            am_memories **out)
{
    struct mem_ctx x = {.row = row, .out = out};
    *out = NULL;
    return am_sqlite_write(db, st, insert_fn, &x);
}

static int get_fn(am_db *db, struct am_conn *c, void *arg)
{
    struct mem_ctx *x = arg;
    return select_one(db, c, x->id, x->name, x->out);
}

int am_sqlite_memory_get(am_db *db, struct am_store *st, const char *id, const char *name,
                         am_memories **out)
{
    struct mem_ctx x = {.id = id, .name = name, .out = out};
    *out = NULL;
    return am_sqlite_read(db, st, get_fn, &x);
}

static int list_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT " MEMORY_COLS " FROM memories WHERE rowid > ? ORDER BY rowid LIMIT ?";
    struct mem_ctx *x = arg;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_int64(s, 1, x->after);
    sqlite3_bind_int(s, 2, x->limit + 1);
    am_memories *r = am_memories_new((size_t)x->limit);
    int rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory"), src = SQLITE_DONE;
    while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
        if (r->n == (size_t)x->limit) {
            *x->more = true;
            break;
        }
        rc = row_to_memory(db, am_result_arena(r->priv), s, &r->items[r->n++]);
        *x->last = sqlite3_column_int64(s, 10);
    }
    sqlite3_reset(s);
    if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = am_sqlite_fail(db, c, src, "list memories");
    if (rc) {
        am_memories_free(r);
        return rc;
    }
    *x->out = r;
    return AM_OK;
}

int am_sqlite_memory_list(am_db *db, struct am_store *st, int limit, int64_t after_rowid,
                          am_memories **out, bool *out_more, int64_t *out_last_rowid)
{
    struct mem_ctx x = {.limit = limit, .after = after_rowid, .out = out, .more = out_more,
                        .last = out_last_rowid};
    *out = NULL;
    *out_more = false;
    return am_sqlite_read(db, st, list_fn, &x);
}

static int replace_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "UPDATE memories SET description = ?, status = ?, expiry_days = ?, strategies = ?, "
        "extra = ?, updated_ms = ? WHERE id = ?";
    struct mem_ctx *x = arg;
    const struct am_memory_row *m = x->row;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    am_sqlite_bind_text(s, 1, m->description);
    sqlite3_bind_text(s, 2, m->status, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, m->event_expiry_days);
    sqlite3_bind_text(s, 4, m->strategies_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, m->extra_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, m->updated_ms);
    sqlite3_bind_text(s, 7, m->id, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src != SQLITE_DONE)
        return am_sqlite_fail(db, c, src, "update memory");
    if (sqlite3_changes(c->h) == 0)
        return am_error(db, AM_ENOTFOUND, "Memory %s not found", m->id);
    return AM_OK;
}

int am_sqlite_memory_replace(am_db *db, struct am_store *st, const struct am_memory_row *row)
{
    struct mem_ctx x = {.row = row};
    return am_sqlite_write(db, st, replace_fn, &x);
}

static int delete_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char *const sqls[] = {
        "DELETE FROM memories WHERE id = ?",
        "DELETE FROM events WHERE memory_id = ?",
        "DELETE FROM sessions WHERE memory_id = ?",
        "DELETE FROM records WHERE memory_id = ?",
        "DELETE FROM jobs WHERE memory_id = ?",
    };
    struct mem_ctx *x = arg;
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        sqlite3_stmt *s = am_sqlite_stmt(db, c, sqls[i]);
        if (!s)
            return AM_EIO;
        sqlite3_bind_text(s, 1, x->id, -1, SQLITE_STATIC);
        int src = sqlite3_step(s);
        sqlite3_reset(s);
        if (src != SQLITE_DONE)
            return am_sqlite_fail(db, c, src, "delete memory");
        if (i == 0 && sqlite3_changes(c->h) == 0)
            return am_error(db, AM_ENOTFOUND, "Memory %s not found", x->id);
    }
    return AM_OK;
}

int am_sqlite_memory_delete(am_db *db, struct am_store *st, const char *id)
{
    struct mem_ctx x = {.id = id};
    return am_sqlite_write(db, st, delete_fn, &x);
}
