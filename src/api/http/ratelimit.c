/*
 * ratelimit.c - token buckets per client (see ratelimit.h).
 */
#include "api/http/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096            /* hash chains; a power of two */

struct bucket {
    struct bucket *next;
    double tokens;
    int64_t at_ns;            /* when tokens was computed */
    char client[];
};

struct am_ratelimit {
    pthread_mutex_t lock;
    double rate, burst;
    size_t n;
    struct bucket *slot[SLOTS];
};

struct am_ratelimit *am_ratelimit_create(double rate, double burst)
{
    struct am_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    pthread_mutex_init(&rl->lock, NULL);
    rl->rate = rate > 0 ? rate : 1;
    rl->burst = burst >= 1 ? burst : 1;
    return rl;
}

void am_ratelimit_free(struct am_ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < SLOTS; i++)
        for (struct bucket *b = rl->slot[i], *next; b; b = next) {
            next = b->next;
            free(b);
        }
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;                 /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void refill(const struct am_ratelimit *rl, struct bucket *b, int64_t now_ns)
{
    if (now_ns > b->at_ns) {
        b->tokens += (double)(now_ns - b->at_ns) / 1e9 * rl->rate;
        if (b->tokens > rl->burst)
            b->tokens = rl->burst;
        b->at_ns = now_ns;
    }
}

/* Drop the buckets of idle clients (full again); called when the table is full. */
static void sweep(struct am_ratelimit *rl, int64_t now_ns)
{
    for (size_t i = 0; i < SLOTS; i++)
        for (struct bucket **pp = &rl->slot[i]; *pp;) {
            refill(rl, *pp, now_ns);
            if ((*pp)->tokens >= rl->burst) {
                struct bucket *dead = *pp;
                *pp = dead->next;
                free(dead);
                rl->n--;
            } else {
                pp = &(*pp)->next;
            }
        }
}

bool am_ratelimit_take(struct am_ratelimit *rl, const char *client, int64_t now_ns,
                       double *retry_after_s)
{
    bool ok = true;
    uint32_t h = hash(client) & (SLOTS - 1);
    pthread_mutex_lock(&rl->lock);
    struct bucket *b = rl->slot[h];
    while (b && strcmp(b->client, client) != 0)
        b = b->next;
    if (!b) {
        if (rl->n >= AM_RL_MAX_CLIENTS)
            sweep(rl, now_ns);
        size_t len = strlen(client) + 1;
        b = rl->n < AM_RL_MAX_CLIENTS ? malloc(sizeof *b + len) : NULL;
        if (!b) {                             /* no room: let it through, unmetered */
            pthread_mutex_unlock(&rl->lock);
            return true;
        }
        memcpy(b->client, client, len);
        b->tokens = rl->burst;
        b->at_ns = now_ns;
        b->next = rl->slot[h];
        rl->slot[h] = b;
        rl->n++;
    }
    refill(rl, b, now_ns);
    if (b->tokens >= 1) {
        b->tokens -= 1;
    } else {
        ok = false;
        if (retry_after_s)
            *retry_after_s = (1 - b->tokens) / rl->rate;
    }
    pthread_mutex_unlock(&rl->lock);
    return ok;
}
