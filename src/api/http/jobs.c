/*
 * jobs.c - extraction jobs: StartMemoryExtractionJob, ListMemoryExtractionJobs.
 *
 * The wire spells the job id of ExtractionJobMetadata "jobID" (sic). AgentCore's status
 * filter knows only FAILED (the jobs "eligible to be started"); agentmem also accepts
 * PENDING and RUNNING, and without a status filter lists every job.
 */
#include "api/http/http.h"

#include <string.h>

int am_http_start_job(struct am_http_req *req)
{
    json_t *job = NULL;
    const char *job_id = NULL, *token = NULL;
    int rc;

    if (am_http_get_obj(req, req->json, "", "extractionJob", true, &job) ||
        am_http_get_str(req, job, "extractionJob", "jobId", true, &job_id) ||
        am_http_get_str(req, req->json, "", "clientToken", false, &token))
        return am_http_reply_verr(req);
    rc = am_job_start(req->db, am_http_label(req, 0), job_id);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    return am_http_reply_json(req, 200, json_pack("{s:o}", "jobId", am_http_str(job_id)));
}

static json_t *job_json(const am_job *j)
{
    json_t *msgs = am_http_load(j->messages_json);
    json_t *o;

    if (!json_is_array(msgs)) {
        json_decref(msgs);
        msgs = json_array();
    }
    o = json_pack("{s:o,s:{s:o},s:o}", "jobID", am_http_str(j->job_id), "messages",
                  "messagesList", msgs, "status", am_http_str(j->status ? j->status : "FAILED"));
    if (!o)
        return NULL;
    if ((j->failure_reason &&
         json_object_set_new(o, "failureReason", am_http_str(j->failure_reason))) ||
        (j->strategy_id && json_object_set_new(o, "strategyId", am_http_str(j->strategy_id))) ||
        (j->session_id && json_object_set_new(o, "sessionId", am_http_str(j->session_id))) ||
        (j->actor_id && json_object_set_new(o, "actorId", am_http_str(j->actor_id)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int am_http_list_jobs(struct am_http_req *req)
{
    json_t *filter = NULL, *list = NULL, *reply = NULL;
    am_job_query q = {0};
    am_jobs *out = NULL;
    int rc;

    q.memory_id = am_http_label(req, 0);
    if (am_http_get_paging(req, req->json, 50, &q.max_results, &q.next_token) ||
        am_http_get_obj(req, req->json, "", "filter", false, &filter) ||
        am_http_get_str(req, filter, "filter", "strategyId", false, &q.strategy_id) ||
        am_http_get_str(req, filter, "filter", "sessionId", false, &q.session_id) ||
        am_http_get_str(req, filter, "filter", "actorId", false, &q.actor_id) ||
        am_http_get_str(req, filter, "filter", "status", false, &q.status))
        return am_http_reply_verr(req);
    if (q.status && strcmp(q.status, "FAILED") != 0 && strcmp(q.status, "PENDING") != 0 &&
        strcmp(q.status, "RUNNING") != 0) {
        am_http_verr(req, "FieldValidationFailed", "filter.status",
                     "1 validation error detected: Value '%s' at 'filter.status' failed to "
                     "satisfy constraint: Member must satisfy enum value set: [FAILED] "
                     "(agentmem also accepts PENDING, RUNNING)", q.status);
        return am_http_reply_verr(req);
    }
    rc = am_job_list(req->db, &q, &out);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    list = json_array();
    if (!list)
        goto oom;
    for (size_t i = 0; i < out->n; i++)
        if (json_array_append_new(list, job_json(&out->items[i])))
            goto oom;
    reply = json_pack("{s:o}", "jobs", list);
    list = NULL;
    if (!reply)
        goto oom;
    if (out->next_token &&
        json_object_set_new(reply, "nextToken", am_http_str(out->next_token)))
        goto oom;
    rc = am_http_reply_json(req, 200, reply);
    reply = NULL;
    goto out;
oom:
    rc = am_http_reply_error(req, AM_ENOMEM, NULL);
out:
    json_decref(list);
    json_decref(reply);
    am_jobs_free(out);
    return rc;
}
