/*
 * llm.c - extractors backed by a language model: an OpenAI-compatible
 * /v1/chat/completions endpoint, or Amazon Bedrock's Converse API signed with SigV4.
 *
 * Each strategy is one request: the transcript goes in as numbered lines
 * "[i] speaker (ROLE, date): text", and the model answers with {"facts":[…]},
 * {"preferences":[…]} or {"topics":[…]} citing the line numbers it used, which become the
 * candidates' sources. OpenAI is asked for JSON mode; Converse has none, so the reply's
 * text is read as JSON, or else as the outermost {...} inside it (models like to add prose
 * or a ```json fence). A custom strategy's appendToPrompt is added to the task.
 *
 * Whatever goes wrong (no answer, HTTP error after the retries, a reply over the ceiling,
 * content that is not the asked JSON, a reply cut at max_tokens) is an error for that call:
 * AM_EUNAVAIL, nothing appended, the reason in am_extract_errmsg() and in the log, so the
 * job queue retries it with backoff. With cfg->fallback the built-in rules answer instead.
 *
 * libcurl is optional: without AM_HAVE_CURL this file only provides constructors that
 * return AM_EUNAVAIL. Build with -DAM_HAVE_CURL and link -lcurl to enable it.
 */
#include "extract/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef AM_HAVE_CURL

static _Thread_local char errmsg[256];

const char *am_extract_errmsg(void)
{
    return errmsg;
}

int am_extractor_openai(const struct am_llm_config *cfg, struct am_extractor **out)
{
    (void)cfg;
    if (out)
        *out = NULL;
    return AM_EUNAVAIL;
}

int am_extractor_bedrock(const struct am_llm_config *cfg, struct am_extractor **out)
{
    return am_extractor_openai(cfg, out);
}

#else

#include <curl/curl.h>
#include <jansson.h>

#include "util/log.h"
#include "util/sigv4_sign.h"

#include <time.h>

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_REPLY (1u << 20)
#define MAX_TRANSCRIPT (256u * 1024u)   /* older turns are left out beyond this */
#define MAX_ITEMS 200

enum provider { P_OPENAI, P_BEDROCK };

struct llm {
    int provider;        /* enum provider */
    char *url;           /* OpenAI: base_url + "/chat/completions"; Bedrock: the endpoint */
    char *auth;          /* OpenAI: "Authorization: Bearer …" or NULL */
    char *model;
    char *region;        /* Bedrock */
    long timeout_ms;
    size_t max_reply;
    int retries;
    struct am_extractor *fallback;   /* NULL: failures are errors */
};

static _Thread_local char errmsg[256];

const char *am_extract_errmsg(void)
{
    return errmsg;
}

/* Records why this call failed, for the job's failure reason, and logs it. */
static void failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failed(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    am_log(AM_LOG_WARN, "extract", "llm: %s", errmsg);
}

static const char *const system_prompt =
    "You extract long-term memory from a conversation for an AI agent. Read the numbered "
    "transcript and answer with one JSON object only, no prose. Cite transcript line numbers "
    "in \"turns\". Write about people in the third person by name (or \"The user\" / \"The "
    "assistant\" when unnamed) and turn relative dates into absolute dates using the date on "
    "each line.";

static const char *const task_facts =
    "TASK: facts\nReturn {\"facts\":[{\"text\":string,\"turns\":[int],\"key\":string|null,"
    "\"topic\":string}]}. Each text is one self-contained fact: identities, events, plans, "
    "decisions, completed steps, configurations, quantities and identifiers. Skip greetings, "
    "questions and small talk. key names the subject and attribute when the fact holds a "
    "value that may change later (\"prod-cluster node count\"), else null.";

static const char *const task_prefs =
    "TASK: preferences\nReturn {\"preferences\":[{\"context\":string,\"preference\":string,"
    "\"categories\":[string],\"turns\":[int],\"key\":string|null}]}. Only stable likes, "
    "dislikes, standing rules and choices stated by the USER, not requests or one-off "
    "instructions. preference is a short statement (\"Prefers a single workgroup\"); context "
    "is the sentence it comes from; key names what the preference is about.";

#define TASK_SUMMARY_FMT                                                                    \
    "TASK: summary\nReturn {\"topics\":[{\"name\":string,\"text\":string,\"turns\":[int]}]}: " \
    "the conversation summarised by subject, each text a few sentences, all texts together " \
    "under %zu characters."

/* ---- HTTP ----------------------------------------------------------------------------------- */

struct reply {
    struct am_xbuf b;
    bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct reply *r = userdata;
    size_t n = size * nmemb;
    if (am_xbuf_add(&r->b, ptr, n)) {
        r->too_big = true;
        return 0;   /* makes curl fail with CURLE_WRITE_ERROR */
    }
    return n;
}

/* One POST of body to url; *status is the HTTP status (0: no answer), *out the reply. */
static int post_once(struct llm *l, const char *url, const char *body, size_t body_len,
                     long *status, char **out)
{
    struct reply r;
    struct curl_slist *hdr = NULL, *t;
    CURL *c = NULL;
    int rc = AM_EUNAVAIL;

    *out = NULL;
    *status = 0;
    am_xbuf_init(&r.b, l->max_reply);
    r.too_big = false;
    c = curl_easy_init();
    if (!c) {
        failed("curl_easy_init failed");
        goto out;
    }
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (hdr && (t = curl_slist_append(hdr, "Expect:")))
        hdr = t;
    if (hdr && l->auth && (t = curl_slist_append(hdr, l->auth)))
        hdr = t;
    if (!hdr) {
        rc = AM_ENOMEM;
        goto out;
    }
    if (l->provider == P_BEDROCK) {
        struct am_aws_creds cr;
        if (am_aws_creds_from_env(&cr) != 0) {
            failed("bedrock: no AWS credentials (set AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY)");
            goto out;
        }
        hdr = am_sigv4_curl_headers(hdr, "POST", url, body, body_len, "application/json", NULL,
                                    l->region, "bedrock", &cr);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, l->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        failed("request failed: %s%s", curl_easy_strerror(cc),
               r.too_big ? " (reply over the ceiling)" : "");
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (*status != 200) {
        failed("HTTP %ld: %.160s", *status, r.b.p ? r.b.p : "");
        goto out;
    }
    *out = am_xbuf_take(&r.b);
    rc = *out ? AM_OK : AM_ENOMEM;
out:
    am_xbuf_free(&r.b);
    curl_slist_free_all(hdr);
    if (c)
        curl_easy_cleanup(c);
    return rc;
}

/* POST with retries on 429, 5xx and no answer; on success *out is the reply (caller frees). */
static int http_post(struct llm *l, const char *url, const char *body, size_t body_len,
                     char **out)
{
    int rc = AM_EUNAVAIL;
    for (int attempt = 0; attempt <= l->retries; attempt++) {
        long status = 0;
        if (attempt) {
            struct timespec ts = {0, (250L << (attempt - 1)) * 1000000L};
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec = ts.tv_nsec / 1000000000L;
                ts.tv_nsec %= 1000000000L;
            }
            nanosleep(&ts, NULL);
        }
        rc = post_once(l, url, body, body_len, &status, out);
        if (rc == AM_OK || rc == AM_ENOMEM)
            return rc;
        if (status != 0 && status != 429 && status < 500)
            return rc;     /* the request itself is wrong: retrying will not help */
    }
    return rc;
}

/* ---- prompts ---------------------------------------------------------------------------------- */

static const char *role_name(int role)
{
    return role == AM_ROLE_USER ? "USER" : role == AM_ROLE_ASSISTANT ? "ASSISTANT"
           : role == AM_ROLE_TOOL ? "TOOL" : "OTHER";
}

static int transcript(const struct am_turn *t, size_t n, struct am_xbuf *b)
{
    size_t start = n, total = 0;
    while (start > 0 && total < MAX_TRANSCRIPT) {
        start--;
        total += (t[start].text ? strlen(t[start].text) : 0) + 64;
    }
    if (total > MAX_TRANSCRIPT && start < n)
        start++;
    int rc = AM_OK;
    for (size_t i = start; i < n && !rc; i++) {
        if (!t[i].text || (t[i].role != AM_ROLE_USER && t[i].role != AM_ROLE_ASSISTANT &&
                           t[i].role != AM_ROLE_TOOL))
            continue;
        char day[16] = "unknown";
        if (t[i].ts_ms > 0)
            am_date_format(t[i].ts_ms, day, sizeof day);
        rc = am_xbuf_addf(b, "[%zu] %.80s (%s, %s): ", i,
                          t[i].speaker ? t[i].speaker : role_name(t[i].role), role_name(t[i].role),
                          day);
        if (!rc)
            rc = am_xbuf_adds(b, t[i].text);
        if (!rc)
            rc = am_xbuf_addc(b, '\n');
    }
    return rc;
}

/* The request body, built by hand so that any UTF-8 problem in a turn is repaired. */
static int request_body(struct llm *l, const char *task, const struct am_extract_ctx *ctx,
                        const struct am_turn *t, size_t n, struct am_xbuf *body)
{
    struct am_xbuf user;
    int rc;
    am_xbuf_init(&user, MAX_TRANSCRIPT + 65536);
    rc = am_xbuf_adds(&user, task);
    if (!rc && ctx && ctx->instructions && *ctx->instructions) {
        rc = am_xbuf_adds(&user, "\n\nADDITIONAL INSTRUCTIONS\n");
        if (!rc)
            rc = am_xbuf_adds(&user, ctx->instructions);
    }
    if (!rc)
        rc = am_xbuf_adds(&user, "\n\nTRANSCRIPT\n");
    if (!rc)
        rc = transcript(t, n, &user);
    if (l->provider == P_BEDROCK) {
        /* Converse: the model is in the path; no JSON mode */
        if (!rc)
            rc = am_xbuf_adds(body, "{\"system\":[{\"text\":");
        if (!rc)
            rc = am_xbuf_add_json(body, system_prompt, strlen(system_prompt));
        if (!rc)
            rc = am_xbuf_adds(body, "}],\"messages\":[{\"role\":\"user\",\"content\":[{"
                                    "\"text\":");
        if (!rc)
            rc = am_xbuf_add_json(body, user.p, user.len);
        if (!rc)
            rc = am_xbuf_adds(body, "}]}],\"inferenceConfig\":{\"temperature\":0,"
                                    "\"maxTokens\":4096}}");
        am_xbuf_free(&user);
        return rc;
    }
    if (!rc)
        rc = am_xbuf_adds(body, "{\"model\":");
    if (!rc)
        rc = am_xbuf_add_json(body, l->model, strlen(l->model));
    if (!rc)
        rc = am_xbuf_adds(body, ",\"temperature\":0,\"response_format\":{\"type\":"
                                "\"json_object\"},\"messages\":[{\"role\":\"system\","
                                "\"content\":");
    if (!rc)
        rc = am_xbuf_add_json(body, system_prompt, strlen(system_prompt));
    if (!rc)
        rc = am_xbuf_adds(body, "},{\"role\":\"user\",\"content\":");
    if (!rc)
        rc = am_xbuf_add_json(body, user.p, user.len);
    if (!rc)
        rc = am_xbuf_adds(body, "}]}");
    am_xbuf_free(&user);
    return rc;
}

/* The JSON object in a model's text: all of it, or else its outermost {...}. */
static json_t *object_in(const char *text)
{
    json_t *o = json_loads(text, 0, NULL);
    if (json_is_object(o))
        return o;
    json_decref(o);
    const char *a = strchr(text, '{'), *b = strrchr(text, '}');
    if (!a || !b || b < a)
        return NULL;
    o = json_loadb(a, (size_t)(b - a + 1), 0, NULL);
    if (json_is_object(o))
        return o;
    json_decref(o);
    return NULL;
}

/* Bedrock's URL for a model: {endpoint}/model/{model id, percent-encoded}/converse. */
static char *converse_url(const struct llm *l, const char *model)
{
    struct am_xbuf u;
    am_xbuf_init(&u, 8192);
    int rc = am_xbuf_adds(&u, l->url);
    if (!rc)
        rc = am_xbuf_adds(&u, "/model/");
    for (const unsigned char *p = (const unsigned char *)model; !rc && *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~')
            rc = am_xbuf_addc(&u, (char)*p);
        else
            rc = am_xbuf_addf(&u, "%%%02X", *p);
    }
    if (!rc)
        rc = am_xbuf_adds(&u, "/converse");
    char *out = rc ? NULL : am_xbuf_take(&u);
    am_xbuf_free(&u);
    return out;
}

/* The JSON object a provider's reply carries as the model's answer (caller decrefs), or
 * AM_EUNAVAIL with the reason in am_extract_errmsg(). */
static int answer_object(int provider, const char *reply, size_t max_reply, json_t **out)
{
    json_t *root = NULL, *content = NULL;
    char *joined = NULL;
    int rc;

    *out = NULL;
    rc = AM_EUNAVAIL;
    root = json_loads(reply, 0, NULL);
    const char *text;
    if (provider == P_BEDROCK) {
        const char *stop = json_string_value(json_object_get(root, "stopReason"));
        json_t *parts = json_object_get(json_object_get(json_object_get(root, "output"),
                                                        "message"), "content");
        struct am_xbuf all;
        size_t i;
        json_t *part;
        am_xbuf_init(&all, max_reply);
        json_array_foreach(parts, i, part) {
            const char *pt = json_string_value(json_object_get(part, "text"));
            if (pt && am_xbuf_adds(&all, pt)) {
                am_xbuf_free(&all);
                rc = AM_ENOMEM;
                goto out;
            }
        }
        joined = all.len ? am_xbuf_take(&all) : NULL;
        am_xbuf_free(&all);
        if (stop && strcmp(stop, "end_turn") != 0 && strcmp(stop, "stop_sequence") != 0) {
            failed("bedrock stopped with %s: the answer is incomplete", stop);
            goto out;
        }
        text = joined;
        if (!text) {
            failed("bedrock reply has no output.message.content[].text");
            goto out;
        }
    } else {
        text = json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message"),
            "content"));
        const char *finish = json_string_value(json_object_get(
            json_array_get(json_object_get(root, "choices"), 0), "finish_reason"));
        if (finish && strcmp(finish, "length") == 0) {
            failed("the model stopped at its length limit: the answer is incomplete");
            goto out;
        }
        if (!text) {
            failed("reply has no choices[0].message.content");
            goto out;
        }
    }
    content = object_in(text);
    if (!content) {
        /* the answer may quote the conversation: its text goes to the debug log only */
        am_log(AM_LOG_DEBUG, "extract", "llm answer: %.200s", text);
        failed("the model's answer is not a JSON object (%zu bytes)", strlen(text));
        goto out;
    }
    *out = content;
    content = NULL;
    rc = AM_OK;
out:
    json_decref(content);
    json_decref(root);
    free(joined);
    return rc;
}

/* Ask; on success *out is the parsed JSON object the model returned (caller decrefs). */
static int ask(struct llm *l, const char *task, const struct am_extract_ctx *ctx,
               const struct am_turn *t, size_t n, json_t **out)
{
    struct am_xbuf body;
    char *reply = NULL, *url = NULL;
    int rc;

    *out = NULL;
    am_xbuf_init(&body, MAX_TRANSCRIPT + 131072);
    rc = request_body(l, task, ctx, t, n, &body);
    if (rc)
        goto out;
    if (l->provider == P_BEDROCK) {
        url = converse_url(l, ctx && ctx->model_id && *ctx->model_id ? ctx->model_id : l->model);
        if (!url) {
            rc = AM_ENOMEM;
            goto out;
        }
    }
    rc = http_post(l, url ? url : l->url, body.p, body.len, &reply);
    if (rc)
        goto out;
    rc = answer_object(l->provider, reply, l->max_reply, out);
out:
    free(reply);
    free(url);
    am_xbuf_free(&body);
    return rc;
}

/* ---- replies to candidates ------------------------------------------------------------------- */

/* Valid cited turn indexes of item; ts of the latest. Falls back to the last turn. */
static size_t cited(json_t *item, const struct am_turn *t, size_t n, size_t *idx, size_t cap,
                    int64_t *ts)
{
    size_t k = 0, i;
    json_t *v;
    json_array_foreach(json_object_get(item, "turns"), i, v) {
        json_int_t x = json_integer_value(v);
        if (json_is_integer(v) && x >= 0 && (size_t)x < n && k < cap)
            idx[k++] = (size_t)x;
    }
    if (k == 0 && n > 0)
        idx[k++] = n - 1;
    *ts = 0;
    for (size_t m = 0; m < k; m++)
        if (t[idx[m]].ts_ms > *ts)
            *ts = t[idx[m]].ts_ms;
    return k;
}

static char *dup_str(const char *s)
{
    return s ? am_xstrndup(s, strlen(s)) : NULL;
}

static int push_item(struct am_candidates *out, int kind, char *text, const char *topic,
                     const char *key, int64_t ts, const struct am_turn *t, const size_t *idx,
                     size_t k)
{
    char *tp = dup_str(topic && *topic ? topic : "general");
    char *ky = key && *key ? dup_str(key) : NULL;
    if (key && *key && !ky) {
        free(text);
        free(tp);
        return AM_ENOMEM;
    }
    return am_candidates_push(out, kind, text, tp, ky, ts, am_sources_json(t, idx, k));
}

static int facts_from(json_t *obj, const struct am_turn *t, size_t n, struct am_candidates *out)
{
    size_t i;
    json_t *item;
    int rc = AM_OK;
    json_array_foreach(json_object_get(obj, "facts"), i, item) {
        const char *text = json_string_value(json_object_get(item, "text"));
        if (i >= MAX_ITEMS || rc)
            break;
        if (!text || !*text || strlen(text) > AM_EXTRACT_MAX_TEXT)
            continue;
        size_t idx[32];
        int64_t ts;
        size_t k = cited(item, t, n, idx, 32, &ts);
        rc = push_item(out, AM_CAND_FACT, dup_str(text),
                       json_string_value(json_object_get(item, "topic")),
                       json_string_value(json_object_get(item, "key")), ts, t, idx, k);
    }
    return rc;
}

static int prefs_from(json_t *obj, const struct am_turn *t, size_t n, struct am_candidates *out)
{
    size_t i;
    json_t *item;
    int rc = AM_OK;
    json_array_foreach(json_object_get(obj, "preferences"), i, item) {
        const char *pref = json_string_value(json_object_get(item, "preference"));
        const char *ctx = json_string_value(json_object_get(item, "context"));
        json_t *cats = json_object_get(item, "categories");
        if (i >= MAX_ITEMS || rc)
            break;
        if (!pref || !*pref)
            continue;
        struct am_xbuf b;
        am_xbuf_init(&b, AM_EXTRACT_MAX_TEXT);
        rc = am_xbuf_adds(&b, "{\"context\":");
        if (!rc)
            rc = am_xbuf_add_json(&b, ctx ? ctx : "", ctx ? strlen(ctx) : 0);
        if (!rc)
            rc = am_xbuf_adds(&b, ",\"preference\":");
        if (!rc)
            rc = am_xbuf_add_json(&b, pref, strlen(pref));
        if (!rc)
            rc = am_xbuf_adds(&b, ",\"categories\":[");
        size_t m, n_cats = 0;
        json_t *c;
        const char *first = NULL;
        json_array_foreach(cats, m, c) {
            const char *cs = json_string_value(c);
            if (!cs || rc || n_cats >= 8)
                continue;
            if (n_cats++)
                rc = am_xbuf_addc(&b, ',');
            if (!rc)
                rc = am_xbuf_add_json(&b, cs, strlen(cs));
            if (!first)
                first = cs;
        }
        if (!rc && !n_cats)
            rc = am_xbuf_adds(&b, "\"general\"");
        if (!rc)
            rc = am_xbuf_adds(&b, "]}");
        if (rc) {
            if (rc == AM_EINVAL)
                rc = AM_OK;   /* an item over the record limit is dropped */
            am_xbuf_free(&b);
            continue;
        }
        size_t idx[32];
        int64_t ts;
        size_t k = cited(item, t, n, idx, 32, &ts);
        rc = push_item(out, AM_CAND_PREFERENCE, am_xbuf_take(&b), first,
                       json_string_value(json_object_get(item, "key")), ts, t, idx, k);
    }
    return rc;
}

static int summary_from(json_t *obj, const struct am_turn *t, size_t n, size_t max_chars,
                        struct am_candidates *out)
{
    struct am_xbuf b;
    size_t i, idx[128], k = 0;
    int64_t ts = 0;
    json_t *item;
    const char *first = NULL;
    int rc = AM_OK;

    am_xbuf_init(&b, max_chars);
    json_array_foreach(json_object_get(obj, "topics"), i, item) {
        const char *name = json_string_value(json_object_get(item, "name"));
        const char *text = json_string_value(json_object_get(item, "text"));
        if (!name || !text)
            continue;
        /* a topic that does not fit is left out; the buffer is rebuilt on failure */
        struct am_xbuf one;
        am_xbuf_init(&one, max_chars);
        int r1 = am_xbuf_adds(&one, b.len ? "\n<topic name=\"" : "<topic name=\"");
        if (!r1)
            r1 = am_xbuf_add_xml(&one, name, strlen(name));
        if (!r1)
            r1 = am_xbuf_adds(&one, "\">");
        if (!r1)
            r1 = am_xbuf_add_xml(&one, text, strlen(text));
        if (!r1)
            r1 = am_xbuf_adds(&one, "</topic>");
        if (!r1 && b.len + one.len <= max_chars) {
            rc = am_xbuf_add(&b, one.p, one.len);
            if (!first)
                first = name;
            int64_t t1;
            k += cited(item, t, n, idx + k, 128 - k, &t1);
            if (t1 > ts)
                ts = t1;
        }
        am_xbuf_free(&one);
        if (rc)
            break;
    }
    if (!rc && b.len) {
        size_t u = 0;
        for (size_t m = 0; m < k; m++) {
            bool dup = false;
            for (size_t q = 0; q < u && !dup; q++)
                dup = idx[q] == idx[m];
            if (!dup)
                idx[u++] = idx[m];
        }
        char *text = am_xbuf_take(&b);
        rc = push_item(out, AM_CAND_SUMMARY, text, first, NULL, ts, t, idx, u);
    }
    am_xbuf_free(&b);
    return rc;
}

/* ---- the extractor ---------------------------------------------------------------------------- */

enum task { TASK_FACTS, TASK_PREFS, TASK_SUMMARY };

int am_llm_parse_reply(const char *provider, const char *reply, int kind,
                       const struct am_turn *t, size_t n, size_t max_chars,
                       struct am_candidates *out)
{
    json_t *obj = NULL;
    if (!provider || !reply || !out || (n && !t) || max_chars < AM_SUMMARY_MIN_CHARS)
        return AM_EINVAL;
    int rc = answer_object(strcmp(provider, "bedrock") == 0 ? P_BEDROCK : P_OPENAI, reply,
                           DEFAULT_MAX_REPLY, &obj);
    if (rc)
        return rc;
    size_t first_new = out->n;
    rc = kind == AM_CAND_FACT         ? facts_from(obj, t, n, out)
         : kind == AM_CAND_PREFERENCE ? prefs_from(obj, t, n, out)
                                      : summary_from(obj, t, n, max_chars, out);
    json_decref(obj);
    if (rc)
        am_candidates_truncate(out, first_new);
    return rc;
}

static int run(struct am_extractor *x, enum task task, const struct am_extract_ctx *ctx,
               const struct am_turn *t, size_t n, size_t max_chars, struct am_candidates *out)
{
    struct llm *l = x->priv;
    json_t *obj = NULL;
    char prompt[1024];
    int rc;

    errmsg[0] = '\0';
    if (!out || (n && !t))
        return AM_EINVAL;
    if (task == TASK_SUMMARY) {
        if (max_chars == 0)
            max_chars = AM_SUMMARY_DEFAULT_CHARS;
        if (max_chars < AM_SUMMARY_MIN_CHARS)
            return AM_EINVAL;
        if (max_chars > AM_EXTRACT_MAX_TEXT)
            max_chars = AM_EXTRACT_MAX_TEXT;
    }
    if (n == 0)
        return AM_OK;
    size_t first_new = out->n;
    if (task == TASK_SUMMARY)
        snprintf(prompt, sizeof prompt, TASK_SUMMARY_FMT, max_chars);
    else
        snprintf(prompt, sizeof prompt, "%s", task == TASK_FACTS ? task_facts : task_prefs);
    rc = ask(l, prompt, ctx, t, n, &obj);
    if (rc == AM_OK) {
        rc = task == TASK_FACTS   ? facts_from(obj, t, n, out)
             : task == TASK_PREFS ? prefs_from(obj, t, n, out)
                                  : summary_from(obj, t, n, max_chars, out);
        json_decref(obj);
        if (rc)
            am_candidates_truncate(out, first_new);
        return rc;
    }
    if (rc == AM_ENOMEM || !l->fallback)
        return rc;
    am_log(AM_LOG_WARN, "extract", "llm %s extraction unavailable, using builtin rules",
           task == TASK_FACTS ? "fact" : task == TASK_PREFS ? "preference" : "summary");
    errmsg[0] = '\0';
    struct am_extractor *f = l->fallback;
    return task == TASK_FACTS   ? f->facts(f, ctx, t, n, out)
           : task == TASK_PREFS ? f->preferences(f, ctx, t, n, out)
                                : f->summary(f, ctx, t, n, max_chars, out);
}

static int llm_facts(struct am_extractor *x, const struct am_extract_ctx *ctx,
                     const struct am_turn *t, size_t n, struct am_candidates *out)
{
    return run(x, TASK_FACTS, ctx, t, n, 0, out);
}

static int llm_preferences(struct am_extractor *x, const struct am_extract_ctx *ctx,
                           const struct am_turn *t, size_t n, struct am_candidates *out)
{
    return run(x, TASK_PREFS, ctx, t, n, 0, out);
}

static int llm_summary(struct am_extractor *x, const struct am_extract_ctx *ctx,
                       const struct am_turn *t, size_t n, size_t max_chars,
                       struct am_candidates *out)
{
    return run(x, TASK_SUMMARY, ctx, t, n, max_chars, out);
}

static void llm_destroy(struct am_extractor *x)
{
    if (!x)
        return;
    struct llm *l = x->priv;
    if (l) {
        if (l->fallback)
            l->fallback->destroy(l->fallback);
        free(l->url);
        free(l->auth);
        free(l->model);
        free(l->region);
        free(l);
        curl_global_cleanup();   /* balances the init of create() */
    }
    free(x);
}

static char *join2(const char *a, size_t alen, const char *b)
{
    size_t bl = strlen(b);
    char *p = malloc(alen + bl + 1);
    if (p) {
        memcpy(p, a, alen);
        memcpy(p + alen, b, bl + 1);
    }
    return p;
}

static int create(int provider, const struct am_llm_config *cfg, struct am_extractor **out)
{
    struct am_extractor *x = NULL;
    struct llm *l = NULL;
    int rc = AM_ENOMEM;
    char endpoint[512];

    if (out)
        *out = NULL;
    if (!cfg || !out)
        return AM_EINVAL;
    const char *base = cfg->base_url;
    if (provider == P_BEDROCK) {
        if (!cfg->model || !*cfg->model || strlen(cfg->model) > 2048)
            return AM_EINVAL;
        if (!base || !*base) {
            const char *region = cfg->region ? cfg->region : am_aws_region_from_env("us-east-1");
            snprintf(endpoint, sizeof endpoint, "https://bedrock-runtime.%s.amazonaws.com",
                     region);
            base = endpoint;
        }
    }
    if (!base || !*base || strlen(base) > 2000)
        return AM_EINVAL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return AM_EUNAVAIL;
    x = calloc(1, sizeof *x);
    l = calloc(1, sizeof *l);
    if (!x || !l)
        goto out;
    x->priv = l;
    l->provider = provider;
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    l->url = join2(base, bl, provider == P_BEDROCK ? "" : "/chat/completions");
    l->model = dup_str(cfg->model && *cfg->model ? cfg->model : "gpt-4o-mini");
    l->region = dup_str(cfg->region ? cfg->region : am_aws_region_from_env("us-east-1"));
    if (!l->url || !l->model || !l->region)
        goto out;
    if (provider == P_OPENAI && cfg->api_key && *cfg->api_key) {
        l->auth = join2("Authorization: Bearer ", strlen("Authorization: Bearer "),
                        cfg->api_key);
        if (!l->auth)
            goto out;
    }
    l->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    l->max_reply = cfg->max_reply ? cfg->max_reply : DEFAULT_MAX_REPLY;
    l->retries = cfg->retries > 0 ? cfg->retries : cfg->retries < 0 ? 0 : 2;
    if (cfg->fallback && (rc = am_extractor_builtin(&l->fallback)) != AM_OK)
        goto out;
    x->name = provider == P_BEDROCK ? "bedrock" : "openai";
    x->facts = llm_facts;
    x->preferences = llm_preferences;
    x->summary = llm_summary;
    x->destroy = llm_destroy;
    *out = x;
    return AM_OK;
out:
    if (x && l) {
        llm_destroy(x);   /* also cleans curl up */
    } else {
        free(x);
        free(l);
        curl_global_cleanup();
    }
    return rc;
}

int am_extractor_openai(const struct am_llm_config *cfg, struct am_extractor **out)
{
    return create(P_OPENAI, cfg, out);
}

int am_extractor_bedrock(const struct am_llm_config *cfg, struct am_extractor **out)
{
    return create(P_BEDROCK, cfg, out);
}

#endif /* AM_HAVE_CURL */
