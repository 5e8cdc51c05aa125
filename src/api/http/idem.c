/*
 * idem.c - replay of idempotent requests by clientToken, for the operations whose token the
 * engine does not keep (BatchCreateMemoryRecords, DeleteMemory).
 *
 * The SDKs fill clientToken with a fresh UUID and retry a call that timed out or got a 5xx
 * with the same token; a replay must return the first answer, not act twice. The table is
 * in memory, bounded (AM_HTTP_IDEM_SLOTS entries, each kept AM_HTTP_IDEM_TTL_S seconds), so
 * it covers SDK retries but not a restart in between. A request with a token seen before
 * but a different body is a conflict. Two identical requests racing: the second waits for
 * the first to finish and then replays its answer.
 */
#include "api/http/http.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AM_HTTP_IDEM_SLOTS 1024
#define AM_HTTP_IDEM_TTL_S 600

struct slot {
    char *key;                 /* NULL: free */
    uint64_t hash;
    bool pending;
    int status;
    char *text;
    time_t at;
};

static struct slot slots[AM_HTTP_IDEM_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;

uint64_t am_http_idem_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void slot_clear(struct slot *s)
{
    free(s->key);
    free(s->text);
    memset(s, 0, sizeof *s);
}

static struct slot *find(const char *key)
{
    for (size_t i = 0; i < AM_HTTP_IDEM_SLOTS; i++)
        if (slots[i].key && strcmp(slots[i].key, key) == 0)
            return &slots[i];
    return NULL;
}

/* A free slot, else the oldest finished one. NULL when all are pending. */
static struct slot *victim(time_t now)
{
    struct slot *best = NULL;

    for (size_t i = 0; i < AM_HTTP_IDEM_SLOTS; i++) {
        struct slot *s = &slots[i];

        if (!s->key)
            return s;
        if (!s->pending && now - s->at > AM_HTTP_IDEM_TTL_S)
            return s;
        if (!s->pending && (!best || s->at < best->at))
            best = s;
    }
    return best;
}

int am_http_idem_begin(const char *key, uint64_t hash, int *out_status, char **out_text)
{
    time_t now = time(NULL);
    struct slot *s;
    int rc = 0;

    *out_status = 0;
    *out_text = NULL;
    pthread_mutex_lock(&lock);
    for (;;) {
        s = find(key);
        if (!s || !s->pending)
            break;
        pthread_cond_wait(&done, &lock);
    }
    if (s && now - s->at > AM_HTTP_IDEM_TTL_S) {
        slot_clear(s);
        s = NULL;
    }
    if (s) {
        if (s->hash != hash) {
            rc = -1;
        } else {
            *out_status = s->status;
            *out_text = strdup(s->text);
            rc = *out_text ? 1 : 0;
        }
        goto out;
    }
    s = victim(now);
    if (s) {
        slot_clear(s);
        s->key = strdup(key);
        s->hash = hash;
        s->pending = true;
        s->at = now;
        if (!s->key)
            slot_clear(s);
    }
out:
    pthread_mutex_unlock(&lock);
    return rc;
}

void am_http_idem_finish(const char *key, int status, const char *text)
{
    struct slot *s;

    pthread_mutex_lock(&lock);
    s = find(key);
    if (s && s->pending) {
        s->pending = false;
        s->at = time(NULL);
        s->status = status;
        s->text = text ? strdup(text) : NULL;
        if (!s->text)          /* failed requests are not remembered: a retry runs again */
            slot_clear(s);
    }
    pthread_cond_broadcast(&done);
    pthread_mutex_unlock(&lock);
}
