/*
 * sessions.c - sessions, actors, erasure and the expiry purge.
 */
#include "core/db.h"
#include "core/events.h"
#include "core/result.h"
#include "core/token.h"
#include "core/validate.h"
#include "store/store.h"

int am_session_list(am_db *db, const char *memory_id, const char *actor_id, bool newest_first,
                    int max_results, const char *next_token, am_sessions **out)
{
    int64_t offset = 0, unused;
    bool more = false;
    int rc;

    *out = NULL;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)) ||
        (actor_id && (rc = am_check_actor_id(db, "actorId", actor_id))) ||
        (rc = am_check_max_results(db, &max_results, AM_MAX_RESULTS)))
        return rc;
    char kind = newest_first ? 'S' : 's';
    if (next_token) {
        struct am_arena *tmp = am_arena_create();
        if (!tmp)
            return am_error(db, AM_ENOMEM, "out of memory");
        rc = am_token_decode(db, tmp, next_token, kind, &offset, &unused, NULL);
        am_arena_destroy(tmp);
        if (rc)
            return rc;
        if (offset < 0)
            return am_error_field(db, AM_EINVAL, "nextToken", "Invalid nextToken");
    }
    rc = db->ops->session_list(db, db->st, am_memory_id_of(memory_id), actor_id, newest_first,
                               am_now_ms(), max_results, offset, out, &more);
    if (!rc && more &&
        !((*out)->next_token = am_token_encode(am_result_arena((*out)->priv), kind,
                                               offset + (int64_t)(*out)->n, 0, NULL))) {
        am_sessions_free(*out);
        *out = NULL;
        rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    return rc;
}

int am_session_delete(am_db *db, const char *memory_id, const char *actor_id,
                      const char *session_id, int64_t *out_n_events)
{
    int64_t n = 0;
    int rc;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)) ||
        (rc = am_check_actor_id(db, "actorId", actor_id)) ||
        (rc = am_check_session_id(db, "sessionId", session_id)))
        return rc;
    rc = db->ops->session_delete(db, db->st, am_memory_id_of(memory_id), actor_id, session_id,
                                 &n);
    if (out_n_events)
        *out_n_events = rc ? 0 : n;
    return rc;
}

int am_actor_list(am_db *db, const char *memory_id, int max_results, const char *next_token,
                  am_actors **out)
{
    struct am_arena *tmp = NULL;
    char *after = NULL;
    int64_t x, y;
    bool more = false;
    int rc;

    *out = NULL;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)) ||
        (rc = am_check_max_results(db, &max_results, AM_MAX_RESULTS)))
        return rc;
    if (!(tmp = am_arena_create()))
        return am_error(db, AM_ENOMEM, "out of memory");
    if (next_token && (rc = am_token_decode(db, tmp, next_token, 'a', &x, &y, &after)))
        goto out;
    rc = db->ops->actor_list(db, db->st, am_memory_id_of(memory_id), am_now_ms(), max_results,
                             after, out, &more);
    if (!rc && more) {
        const char *last = (*out)->items[(*out)->n - 1].actor_id;
        (*out)->next_token = am_token_encode(am_result_arena((*out)->priv), 'a', 0, 0, last);
        if (!(*out)->next_token) {
            am_actors_free(*out);
            *out = NULL;
            rc = am_error(db, AM_ENOMEM, "out of memory");
        }
    }
out:
    am_arena_destroy(tmp);
    return rc;
}

int am_actor_forget(am_db *db, const char *memory_id, const char *actor_id,
                    int64_t *out_n_events, int64_t *out_n_records)
{
    int64_t ne = 0, nr = 0;
    int rc;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)) ||
        (rc = am_check_actor_id(db, "actorId", actor_id)))
        return rc;
    rc = db->ops->actor_forget(db, db->st, am_memory_id_of(memory_id), actor_id, &ne, &nr);
    if (out_n_events)
        *out_n_events = rc ? 0 : ne;
    if (out_n_records)
        *out_n_records = rc ? 0 : nr;
    return rc;
}

int am_purge_expired(am_db *db, int64_t now_ms, int64_t *out_n)
{
    int64_t n = 0;
    am_error_clear();
    int rc = db->ops->purge_expired(db, db->st, now_ms, &n);
    if (out_n)
        *out_n = rc ? 0 : n;
    return rc;
}
