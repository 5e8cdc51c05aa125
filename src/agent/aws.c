/*
 * aws.c - a minimal AWS client for the agent: libcurl requests signed with SigV4, Redshift's
 * awsQuery protocol (form POST, XML reply) and Redshift Serverless' awsJson1_1 protocol.
 * Endpoints: AWS_ENDPOINT_URL_REDSHIFT / AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS, then
 * AWS_ENDPOINT_URL, then the public regional endpoint. Credentials come from
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (what Lambda provides).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "agent/agent.h"
#include "util/sigv4_sign.h"

/* ---------------------------------------------------------------- HTTP ---- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct am_xbuf *b = ud;
    am_xbuf_add(b, ptr, size * nmemb);
    return b->err ? 0 : size * nmemb;
}

/* Adds X-Amz-Date, X-Amz-Security-Token and Authorization when credentials are set
 * (util/sigv4_sign.c; unsigned when rq->service is NULL or no key is configured). */
static struct curl_slist *sign(struct curl_slist *h, const struct am_ag_http_req *rq)
{
    struct am_aws_creds cr;
    if (!rq->service || am_aws_creds_from_env(&cr) != 0)
        return h;
    return am_sigv4_curl_headers(h, rq->method, rq->url, rq->body, rq->body ? rq->body_len : 0,
                                 rq->content_type, rq->target, rq->region, rq->service, &cr);
}

int am_ag_http(const struct am_ag_http_req *rq, long *out_status, char **out, char *err,
               size_t err_cap)
{
    struct am_xbuf body = AM_AG_BUF_INIT;
    struct curl_slist *h = NULL;
    char line[512];
    CURLcode cc;
    int rc = -1;
    CURL *c;

    *out = NULL;
    *out_status = 0;
    c = curl_easy_init();
    if (!c) {
        snprintf(err, err_cap, "curl_easy_init failed");
        return -1;
    }
    if (rq->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", rq->content_type);
        h = curl_slist_append(h, line);
    }
    if (rq->target) {
        snprintf(line, sizeof line, "X-Amz-Target: %s", rq->target);
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, "Expect:");
    if (rq->bearer) {
        snprintf(line, sizeof line, "Authorization: %s", rq->bearer);
        h = curl_slist_append(h, line);
    }
    h = sign(h, rq);
    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    if (rq->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
    } else if (strcmp(rq->method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(err, err_cap, "%s: %s", rq->url, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, out_status);
    *out = am_xbuf_take(&body);
    if (!*out) {
        snprintf(err, err_cap, "out of memory");
        goto out;
    }
    rc = 0;
out:
    am_xbuf_free(&body);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

/* ---------------------------------------------------------------- XML ---- */

/* Copies the decoded text of the first <tag>…</tag> in [p, end) into a new string. */
static char *xml_text(const char *p, const char *end, const char *tag)
{
    char open[128], close[128];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(p, open);
    if (!a || a >= end)
        return NULL;
    a += strlen(open);
    const char *z = strstr(a, close);
    if (!z || z > end)
        return NULL;
    struct am_xbuf b = AM_AG_BUF_INIT;
    while (a < z) {
        if (*a == '&') {
            static const struct { const char *ent; char c; } ents[] = {
                {"&quot;", '"'}, {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''}};
            size_t i;
            for (i = 0; i < sizeof ents / sizeof ents[0]; i++) {
                size_t n = strlen(ents[i].ent);
                if (strncmp(a, ents[i].ent, n) == 0) {
                    am_xbuf_add(&b, &ents[i].c, 1);
                    a += n;
                    break;
                }
            }
            if (i < sizeof ents / sizeof ents[0])
                continue;
            if (a[1] == '#') {
                char *e;
                long v = a[2] == 'x' ? strtol(a + 3, &e, 16) : strtol(a + 2, &e, 10);
                if (*e == ';' && v > 0 && v < 128) {
                    char ch = (char)v;
                    am_xbuf_add(&b, &ch, 1);
                    a = e + 1;
                    continue;
                }
            }
        }
        am_xbuf_add(&b, a, 1);
        a++;
    }
    return am_xbuf_take(&b);
}

static void xml_copy(const char *p, const char *end, const char *tag, char *out, size_t cap)
{
    char *v = xml_text(p, end, tag);
    snprintf(out, cap, "%s", v ? v : "");
    free(v);
}

/* ------------------------------------------------------------ Redshift ---- */

static void endpoint(const char *var, const char *service, const char *region, char *out,
                     size_t cap)
{
    const char *e = getenv(var);
    if (!e || !*e)
        e = getenv("AWS_ENDPOINT_URL");
    if (e && *e)
        snprintf(out, cap, "%s", e);
    else
        snprintf(out, cap, "https://%s.%s.amazonaws.com/", service, region);
}

static void form_add(struct am_xbuf *b, const char *k, const char *v)
{
    char *ev = curl_easy_escape(NULL, v, 0);
    am_xbuf_addf(b, "&%s=%s", k, ev ? ev : "");
    curl_free(ev);
}

/* One awsQuery call; params is "&K=V…" (already encoded). On success *out is the XML. */
static int query(const char *region, const char *action, const char *params, char **out,
                 char *err, size_t err_cap)
{
    char url[512], *body = NULL;
    struct am_xbuf form = AM_AG_BUF_INIT;
    long status;

    *out = NULL;
    endpoint("AWS_ENDPOINT_URL_REDSHIFT", "redshift", region, url, sizeof url);
    am_xbuf_addf(&form, "Action=%s&Version=2012-12-01%s", action, params ? params : "");
    char *f = am_xbuf_take(&form);
    if (!f) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    struct am_ag_http_req rq = {.method = "POST", .url = url, .body = f, .body_len = strlen(f),
                                .content_type = "application/x-www-form-urlencoded; charset=utf-8",
                                .service = "redshift", .region = region};
    int rc = am_ag_http(&rq, &status, &body, err, err_cap);
    free(f);
    if (rc)
        return -1;
    if (status != 200) {
        const char *end = body + strlen(body);
        char code[128], msg[512];
        xml_copy(body, end, "Code", code, sizeof code);
        xml_copy(body, end, "Message", msg, sizeof msg);
        snprintf(err, err_cap, "Redshift %s failed (HTTP %ld %s): %s", action, status,
                 *code ? code : "error", msg);
        free(body);
        return -1;
    }
    *out = body;
    return 0;
}

int am_ag_describe_clusters(const char *region, struct am_ag_cluster **out, size_t *n_out,
                            char *err, size_t err_cap)
{
    struct am_ag_cluster *cl = NULL;
    size_t n = 0;
    char *marker = NULL;

    *out = NULL;
    *n_out = 0;
    for (int page = 0; page < 50; page++) {
        struct am_xbuf params = AM_AG_BUF_INIT;
        char *xml;
        if (marker)
            form_add(&params, "Marker", marker);
        free(marker);
        marker = NULL;
        char *ps = am_xbuf_take(&params);
        int rc = query(region, "DescribeClusters", ps, &xml, err, err_cap);
        free(ps);
        if (rc) {
            free(cl);
            return -1;
        }
        const char *end = xml + strlen(xml);
        const char *p = xml;
        while ((p = strstr(p, "<Cluster>")) != NULL) {
            const char *z = strstr(p, "</Cluster>");
            if (!z)
                break;
            struct am_ag_cluster *g = realloc(cl, (n + 1) * sizeof *cl);
            if (!g) {
                free(cl);
                free(xml);
                snprintf(err, err_cap, "out of memory");
                return -1;
            }
            cl = g;
            struct am_ag_cluster *c = &cl[n++];
            memset(c, 0, sizeof *c);
            char num[32];
            xml_copy(p, z, "ClusterIdentifier", c->id, sizeof c->id);
            xml_copy(p, z, "NodeType", c->node_type, sizeof c->node_type);
            xml_copy(p, z, "ClusterStatus", c->status, sizeof c->status);
            xml_copy(p, z, "AvailabilityZone", c->az, sizeof c->az);
            xml_copy(p, z, "ParameterGroupName", c->pgroup, sizeof c->pgroup);
            xml_copy(p, z, "Address", c->endpoint, sizeof c->endpoint);
            xml_copy(p, z, "ClusterVersion", c->version, sizeof c->version);
            xml_copy(p, z, "NumberOfNodes", num, sizeof num);
            c->nodes = (int)strtol(num, NULL, 10);
            xml_copy(p, z, "Port", num, sizeof num);
            c->port = (int)strtol(num, NULL, 10);
            xml_copy(p, z, "TotalStorageCapacityInMegaBytes", num, sizeof num);
            c->storage_mb = strtoll(num, NULL, 10);
            p = z;
        }
        /* the reply's Marker sits after </Clusters> */
        const char *tail = strstr(xml, "</Clusters>");
        marker = xml_text(tail ? tail : xml, end, "Marker");
        free(xml);
        if (!marker || !*marker)
            break;
    }
    free(marker);
    *out = cl;
    *n_out = n;
    return 0;
}

int am_ag_cluster_parameter(const char *region, const char *group, const char *name, char **out,
                            char *err, size_t err_cap)
{
    char *marker = NULL;
    *out = NULL;
    for (int page = 0; page < 50; page++) {
        struct am_xbuf params = AM_AG_BUF_INIT;
        char *xml;
        form_add(&params, "ParameterGroupName", group);
        if (marker)
            form_add(&params, "Marker", marker);
        free(marker);
        marker = NULL;
        char *ps = am_xbuf_take(&params);
        int rc = query(region, "DescribeClusterParameters", ps, &xml, err, err_cap);
        free(ps);
        if (rc)
            return -1;
        const char *end = xml + strlen(xml);
        const char *p = xml;
        while ((p = strstr(p, "<Parameter>")) != NULL) {
            const char *z = strstr(p, "</Parameter>");
            if (!z)
                break;
            char pname[256];
            xml_copy(p, z, "ParameterName", pname, sizeof pname);
            if (strcmp(pname, name) == 0) {
                *out = xml_text(p, z, "ParameterValue");
                free(xml);
                return 0;
            }
            p = z;
        }
        const char *tail = strstr(xml, "</Parameters>");
        marker = xml_text(tail ? tail : xml, end, "Marker");
        free(xml);
        if (!marker || !*marker)
            break;
    }
    free(marker);
    return 0;
}

int am_ag_create_snapshot(const char *region, const char *cluster, const char *snapshot,
                          char **out_arn, char **out_status, char *err, size_t err_cap)
{
    struct am_xbuf params = AM_AG_BUF_INIT;
    char *xml;
    *out_arn = *out_status = NULL;
    form_add(&params, "SnapshotIdentifier", snapshot);
    form_add(&params, "ClusterIdentifier", cluster);
    char *ps = am_xbuf_take(&params);
    int rc = query(region, "CreateClusterSnapshot", ps, &xml, err, err_cap);
    free(ps);
    if (rc)
        return -1;
    const char *end = xml + strlen(xml);
    *out_arn = xml_text(xml, end, "SnapshotArn");
    *out_status = xml_text(xml, end, "Status");
    free(xml);
    return 0;
}

int am_ag_snapshot_status(const char *region, const char *snapshot, char **out_status, char *err,
                          size_t err_cap)
{
    struct am_xbuf params = AM_AG_BUF_INIT;
    char *xml;
    *out_status = NULL;
    form_add(&params, "SnapshotIdentifier", snapshot);
    char *ps = am_xbuf_take(&params);
    int rc = query(region, "DescribeClusterSnapshots", ps, &xml, err, err_cap);
    free(ps);
    if (rc)
        return -1;
    *out_status = xml_text(xml, xml + strlen(xml), "Status");
    free(xml);
    return 0;
}

/* ------------------------------------------------- Redshift Serverless ---- */

int am_ag_serverless(const char *region, const char *op, json_t *req, json_t **out, char *err,
                     size_t err_cap)
{
    char url[512], target[128], *body = NULL;
    long status;

    *out = NULL;
    endpoint("AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS", "redshift-serverless", region, url,
             sizeof url);
    snprintf(target, sizeof target, "RedshiftServerless.%s", op);
    char *js = json_dumps(req, JSON_COMPACT);
    if (!js) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    struct am_ag_http_req rq = {.method = "POST", .url = url, .body = js, .body_len = strlen(js),
                                .content_type = "application/x-amz-json-1.1", .target = target,
                                .service = "redshift-serverless", .region = region};
    int rc = am_ag_http(&rq, &status, &body, err, err_cap);
    free(js);
    if (rc)
        return -1;
    json_t *j = json_loads(body, 0, NULL);
    if (status != 200) {
        const char *type = json_string_value(json_object_get(j, "__type"));
        const char *msg = json_string_value(json_object_get(j, "message"));
        if (!msg)
            msg = json_string_value(json_object_get(j, "Message"));
        const char *hash = type ? strchr(type, '#') : NULL;
        snprintf(err, err_cap, "Redshift Serverless %s failed (HTTP %ld %s): %s", op, status,
                 hash ? hash + 1 : type ? type : "error", msg ? msg : "");
        json_decref(j);
        free(body);
        return -1;
    }
    free(body);
    if (!j) {
        snprintf(err, err_cap, "Redshift Serverless %s: reply is not JSON", op);
        return -1;
    }
    *out = j;
    return 0;
}

int am_ag_node_ram_gib(const char *node_type)
{
    static const struct { const char *type; int gib; } ram[] = {
        {"dc2.large", 15},    {"dc2.8xlarge", 244}, {"ds2.xlarge", 31}, {"ds2.8xlarge", 244},
        {"ra3.xlplus", 32},   {"ra3.4xlarge", 96},  {"ra3.16xlarge", 384}, {"ra3.large", 16},
    };
    for (size_t i = 0; i < sizeof ram / sizeof ram[0]; i++)
        if (strcasecmp(node_type, ram[i].type) == 0)
            return ram[i].gib;
    return 0;
}
