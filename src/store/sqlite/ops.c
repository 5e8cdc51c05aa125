/*
 * ops.c - the SQLite backend's operations table.
 */
#include "store/sqlite/sqlite.h"

const struct am_store_ops am_store_sqlite = {
    .version = 1,
    .name = "sqlite",
    .caps = AM_STORE_FTS | AM_STORE_VECTOR,
    .close = am_sqlite_close,
    .memory_insert = am_sqlite_memory_insert,
    .memory_get = am_sqlite_memory_get,
    .memory_list = am_sqlite_memory_list,
    .memory_replace = am_sqlite_memory_replace,
    .memory_delete = am_sqlite_memory_delete,
    .event_insert = am_sqlite_event_insert,
    .event_get = am_sqlite_event_get,
    .event_delete = am_sqlite_event_delete,
    .event_list = am_sqlite_event_list,
    .event_locate = am_sqlite_event_locate,
    .branch_root = am_sqlite_branch_root,
    .session_list = am_sqlite_session_list,
    .session_delete = am_sqlite_session_delete,
    .actor_list = am_sqlite_actor_list,
    .actor_forget = am_sqlite_actor_forget,
    .purge_expired = am_sqlite_purge_expired,
    .record_insert = am_sqlite_record_insert,
    .record_update = am_sqlite_record_update,
    .record_get = am_sqlite_record_get,
    .record_delete = am_sqlite_record_delete,
    .record_list = am_sqlite_record_list,
    .record_search = am_sqlite_record_search,
    .job_list = am_sqlite_job_list,
    .job_start = am_sqlite_job_start,
};
