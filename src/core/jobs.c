/*
 * jobs.c - the extraction job queue as the API sees it.
 */
#include "core/db.h"
#include "core/events.h"
#include "core/result.h"
#include "core/token.h"
#include "core/validate.h"
#include "store/store.h"

#include <string.h>

int am_job_list(am_db *db, const am_job_query *q, am_jobs **out)
{
    int64_t offset = 0, unused;
    bool more = false;
    int max, rc;

    *out = NULL;
    am_error_clear();
    if (!q)
        return am_error(db, AM_EINVAL, "no query given");
    if ((rc = am_check_memory_id(db, "memoryId", q->memory_id)))
        return rc;
    max = q->max_results;
    if ((rc = am_check_max_results(db, &max, 50)))
        return rc;
    if (q->status && strcmp(q->status, "FAILED") && strcmp(q->status, "PENDING") &&
        strcmp(q->status, "RUNNING") && strcmp(q->status, "RETRYING"))
        return am_error_field(db, AM_EINVAL, "filter.status",
                              "1 validation error detected: Value '%s' at 'filter.status' "
                              "failed to satisfy constraint: Member must satisfy enum value "
                              "set: [FAILED]", q->status);
    if (q->next_token) {
        struct am_arena *tmp = am_arena_create();
        if (!tmp)
            return am_error(db, AM_ENOMEM, "out of memory");
        rc = am_token_decode(db, tmp, q->next_token, 'j', &offset, &unused, NULL);
        am_arena_destroy(tmp);
        if (rc)
            return rc;
        if (offset < 0)
            return am_error_field(db, AM_EINVAL, "nextToken", "Invalid nextToken");
    }
    am_job_query qq = *q;
    qq.memory_id = am_memory_id_of(q->memory_id);
    rc = db->ops->job_list(db, db->st, &qq, max, offset, out, &more);
    if (!rc && more &&
        !((*out)->next_token = am_token_encode(am_result_arena((*out)->priv), 'j',
                                               offset + (int64_t)(*out)->n, 0, NULL))) {
        am_jobs_free(*out);
        *out = NULL;
        rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    return rc;
}

int am_job_start(am_db *db, const char *memory_id, const char *job_id)
{
    int rc;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)))
        return rc;
    if (!job_id || !*job_id || strlen(job_id) > 256)
        return am_error_field(db, AM_EINVAL, "extractionJob.jobId",
                              "extractionJob.jobId must be 1 to 256 characters");
    return db->ops->job_start(db, db->st, am_memory_id_of(memory_id), job_id);
}
