/*
 * db.c - opening and closing handles, the error funnel, the background purge.
 */
#include "core/db.h"

#include "extract/extract.h"
#include "search/embed.h"
#include "store/store.h"
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static _Thread_local struct am_errstate err_tls;

static const char *const rc_text[] = {
    [AM_OK] = "ok",
    [AM_EINVAL] = "invalid input",
    [AM_ENOTFOUND] = "not found",
    [AM_ECONFLICT] = "conflict",
    [AM_EBUSY] = "store busy",
    [AM_ENOMEM] = "out of memory",
    [AM_EIO] = "storage failure",
    [AM_EUNAVAIL] = "unavailable",
    [AM_EINTERNAL] = "internal error",
    [AM_EQUOTA] = "quota exceeded",
};

const char *am_strerror(int rc)
{
    if (rc < 0 || rc >= (int)(sizeof rc_text / sizeof rc_text[0]) || !rc_text[rc])
        return "unknown error";
    return rc_text[rc];
}

static int verror(int rc, const char *field, const char *fmt, va_list ap)
{
    vsnprintf(err_tls.msg, sizeof err_tls.msg, fmt, ap);
    snprintf(err_tls.field, sizeof err_tls.field, "%s", field ? field : "");
    return rc;
}

int am_error(am_db *db, int rc, const char *fmt, ...)
{
    va_list ap;
    (void)db;
    va_start(ap, fmt);
    verror(rc, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int am_error_field(am_db *db, int rc, const char *field, const char *fmt, ...)
{
    va_list ap;
    (void)db;
    va_start(ap, fmt);
    verror(rc, field, fmt, ap);
    va_end(ap);
    return rc;
}

int am_bug(am_db *db, const char *file, int line, const char *msg)
{
    am_log(AM_LOG_ERROR, "bug", "%s:%d: %s", file, line, msg);
    return am_error(db, AM_EINTERNAL, "internal error at %s:%d: %s", file, line, msg);
}

void am_error_clear(void)
{
    err_tls.msg[0] = '\0';
    err_tls.field[0] = '\0';
}

void am_error_save(struct am_errstate *s)
{
    *s = err_tls;
}

void am_error_restore(const struct am_errstate *s)
{
    err_tls = *s;
}

const char *am_errmsg(am_db *db)
{
    (void)db;
    return err_tls.msg;
}

const char *am_errfield(am_db *db)
{
    (void)db;
    return err_tls.field;
}

void am_free(void *p)
{
    free(p);
}

int64_t am_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The purge thread wakes every AGENTMEM_PURGE_INTERVAL seconds (default 60). */
static void *purge_main(void *arg)
{
    am_db *db = arg;
    const char *env = getenv("AGENTMEM_PURGE_INTERVAL");
    long interval = env ? strtol(env, NULL, 10) : 60;
    if (interval <= 0)
        interval = 60;

    pthread_mutex_lock(&db->lock);
    while (!db->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += interval;
        pthread_cond_timedwait(&db->wake, &db->lock, &until);
        if (db->stopping)
            break;
        pthread_mutex_unlock(&db->lock);
        int64_t n = 0;
        if (am_purge_expired(db, am_now_ms(), &n) != AM_OK)
            am_log(AM_LOG_WARN, "purge", "expiry purge failed: %s", am_errmsg(db));
        else if (n > 0)
            am_log(AM_LOG_INFO, "purge", "deleted %lld expired events", (long long)n);
        pthread_mutex_lock(&db->lock);
    }
    pthread_mutex_unlock(&db->lock);
    return NULL;
}

/* The extraction worker: runs jobs until none is due, then sleeps until kicked or 1 s. */
static void *worker_main(void *arg)
{
    am_db *db = arg;
    pthread_mutex_lock(&db->lock);
    while (!db->stopping) {
        pthread_mutex_unlock(&db->lock);
        int done = 0;
        if (am_extract_run(db, 32, &done) != AM_OK)
            am_log(AM_LOG_WARN, "extract", "extraction worker: %s", am_errmsg(db));
        pthread_mutex_lock(&db->lock);
        if (done == 0 && !db->stopping && !db->kicked) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&db->work, &db->lock, &until);
        }
        db->kicked = false;
    }
    pthread_mutex_unlock(&db->lock);
    return NULL;
}

void am_db_kick(am_db *db)
{
    if (!db->worker_started)
        return;
    pthread_mutex_lock(&db->lock);
    db->kicked = true;
    pthread_cond_signal(&db->work);
    pthread_mutex_unlock(&db->lock);
}

static int env_is(const char *name, const char *value)
{
    const char *v = getenv(name);
    return v && strcasecmp(v, value) == 0;
}

static long env_num(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : 0;
}

/*
 * Models: the built-in embedder and extractor unless configured otherwise.
 *   AGENTMEM_LLM_PROVIDER   openai (the default when AGENTMEM_LLM_URL is set) or bedrock
 *   AGENTMEM_LLM_URL / _KEY / _MODEL   endpoint (Bedrock: optional), key (OpenAI), model
 *   AGENTMEM_LLM_FALLBACK=builtin      provider failures answered by the built-in rules
 *   AGENTMEM_EMBED_PROVIDER openai (the default when AGENTMEM_EMBED_URL is set) or bedrock
 *   AGENTMEM_EMBED_URL / _KEY / _MODEL / _DIM
 * Bedrock endpoints default to AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else the regional one.
 */
static int open_models(am_db *db)
{
    const char *llm = getenv("AGENTMEM_LLM_URL");
    const char *emb = getenv("AGENTMEM_EMBED_URL");
    const char *brt = getenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME");
    int rc;
    if (env_is("AGENTMEM_LLM_PROVIDER", "bedrock")) {
        struct am_llm_config cfg = {.base_url = llm && *llm ? llm : brt,
                                    .model = getenv("AGENTMEM_LLM_MODEL"),
                                    .fallback = env_is("AGENTMEM_LLM_FALLBACK", "builtin")};
        rc = am_extractor_bedrock(&cfg, &db->extractor);
        if (rc)
            return am_error(db, rc, "cannot use Bedrock for extraction%s",
                            rc == AM_EINVAL ? ": set AGENTMEM_LLM_MODEL to a Bedrock model id"
                                            : "");
        am_log(AM_LOG_INFO, "models", "extraction: bedrock model %s", cfg.model);
    } else if (llm && *llm) {
        struct am_llm_config cfg = {.base_url = llm, .api_key = getenv("AGENTMEM_LLM_KEY"),
                                    .model = getenv("AGENTMEM_LLM_MODEL"),
                                    .fallback = env_is("AGENTMEM_LLM_FALLBACK", "builtin")};
        rc = am_extractor_openai(&cfg, &db->extractor);
        if (rc)
            return am_error(db, rc, "cannot use the LLM at %s for extraction", llm);
        am_log(AM_LOG_INFO, "models", "extraction: %s at %s", db->extractor->name, llm);
    } else if ((rc = am_extractor_builtin(&db->extractor))) {
        return am_error(db, rc, "cannot create the built-in extractor");
    }
    if (env_is("AGENTMEM_EMBED_PROVIDER", "bedrock")) {
        struct am_embed_bedrock_config cfg = {.endpoint = emb && *emb ? emb : brt,
                                              .model = getenv("AGENTMEM_EMBED_MODEL"),
                                              .dim = (int)env_num("AGENTMEM_EMBED_DIM")};
        rc = am_embedder_bedrock(&cfg, &db->embedder);
        if (rc)
            return am_error(db, rc, "cannot use Bedrock embeddings (%s)",
                            cfg.model ? cfg.model : "amazon.titan-embed-text-v2:0");
    } else if (emb && *emb) {
        struct am_embed_openai_config cfg = {.base_url = emb,
                                             .api_key = getenv("AGENTMEM_EMBED_KEY"),
                                             .model = getenv("AGENTMEM_EMBED_MODEL")};
        rc = am_embedder_openai(&cfg, &db->embedder);
        if (rc)
            return am_error(db, rc, "cannot use the embeddings endpoint at %s", emb);
    } else if ((rc = am_embedder_builtin(&db->embedder))) {
        return am_error(db, rc, "cannot create the built-in embedder");
    }
    am_log(AM_LOG_DEBUG, "models", "embeddings: %s (dim %d)", db->embedder->name,
           db->embedder->dim);
    return AM_OK;
}

int am_open(const char *uri, unsigned flags, am_db **out)
{
    am_db *db = NULL;
    int rc;

    *out = NULL;
    am_error_clear();
    if (!uri || !*uri)
        return am_error(NULL, AM_EINVAL, "no database path given");
    db = calloc(1, sizeof *db);
    if (!db)
        return am_error(NULL, AM_ENOMEM, "out of memory");
    db->flags = flags;
    pthread_mutex_init(&db->lock, NULL);
    pthread_cond_init(&db->wake, NULL);
    pthread_cond_init(&db->work, NULL);
    snprintf(db->region, sizeof db->region, "%s",
             getenv("AGENTMEM_REGION") ? getenv("AGENTMEM_REGION") : "us-east-1");
    snprintf(db->account, sizeof db->account, "%s",
             getenv("AGENTMEM_ACCOUNT") ? getenv("AGENTMEM_ACCOUNT") : "123456789012");
    rc = open_models(db);
    if (rc)
        goto out;
    if (am_vcache_create(&db->vcache)) {
        rc = am_error(NULL, AM_ENOMEM, "out of memory");
        goto out;
    }
    rc = am_store_open(db, uri, flags, &db->ops, &db->st);
    if (rc)
        goto out;
    if (!(flags & (AM_OPEN_MANUAL | AM_OPEN_READONLY))) {
        if (pthread_create(&db->purge_thread, NULL, purge_main, db) == 0)
            db->purge_started = true;
        if (pthread_create(&db->worker_thread, NULL, worker_main, db) == 0)
            db->worker_started = true;
    }
    *out = db;
    db = NULL;
out:
    if (db) {
        if (db->extractor)
            db->extractor->destroy(db->extractor);
        am_embedder_destroy(&db->embedder);
        am_vcache_destroy(db->vcache);
        pthread_mutex_destroy(&db->lock);
        pthread_cond_destroy(&db->wake);
        pthread_cond_destroy(&db->work);
        free(db);
    }
    return rc;
}

void am_close(am_db *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&db->lock);
    db->stopping = true;
    pthread_cond_broadcast(&db->wake);
    pthread_cond_broadcast(&db->work);
    pthread_mutex_unlock(&db->lock);
    if (db->purge_started)
        pthread_join(db->purge_thread, NULL);
    if (db->worker_started)
        pthread_join(db->worker_thread, NULL);
    if (db->ops)
        db->ops->close(db->st);
    if (db->extractor)
        db->extractor->destroy(db->extractor);
    am_embedder_destroy(&db->embedder);
    am_vcache_destroy(db->vcache);
    pthread_mutex_destroy(&db->lock);
    pthread_cond_destroy(&db->wake);
    pthread_cond_destroy(&db->work);
    free(db);
}

int am_check(am_db *db, char **out_report)
{
    char buf[4096];
    am_error_clear();
    if (!db || !out_report)
        return am_error(db, AM_EINVAL, "am_check needs a handle and an output");
    *out_report = NULL;
    int rc = db->ops->check(db, db->st, buf, sizeof buf);
    if (rc)
        return rc;
    *out_report = strdup(buf);
    return *out_report ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
}
