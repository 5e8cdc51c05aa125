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
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "agent/agent.h"

/* ---------------------------------------------------------------- HTTP ---- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct am_ag_buf *b = ud;
    am_ag_buf_add(b, ptr, size * nmemb);
    return b->oom ? 0 : size * nmemb;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[32];
    SHA256(data, n, md);
    hex(md, 32, out);
}

static void hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out, &n);
}

/* URI-encodes path again for the canonical request (every service but S3), keeping '/'. */
static void canon_path(const char *path, struct am_ag_buf *b)
{
    if (!*path || *path == '?') {
        am_ag_buf_puts(b, "/");
        return;
    }
    for (; *path && *path != '?'; path++) {
        unsigned char c = (unsigned char)*path;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/')
            am_ag_buf_add(b, (const char *)&c, 1);
        else
            am_ag_buf_printf(b, "%%%02X", c);
    }
}

/* Adds X-Amz-Date, X-Amz-Security-Token and Authorization when credentials are set. */
static struct curl_slist *sign(struct curl_slist *h, const struct am_ag_http_req *rq)
{
    const char *akid = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char *token = getenv("AWS_SESSION_TOKEN");
    char amzdate[32], date[16], line[2048], body_hash[65], creq_hash[65];
    struct am_ag_buf creq = {0}, host = {0};
    unsigned char k[32];
    time_t now = time(NULL);
    struct tm tm;

    if (!rq->service || !akid || !*akid || !secret)
        return h;
    gmtime_r(&now, &tm);
    strftime(amzdate, sizeof amzdate, "%Y%m%dT%H%M%SZ", &tm);
    strftime(date, sizeof date, "%Y%m%d", &tm);

    const char *p = strstr(rq->url, "://");
    p = p ? p + 3 : rq->url;
    const char *slash = strchr(p, '/');
    am_ag_buf_add(&host, p, slash ? (size_t)(slash - p) : strlen(p));
    sha256_hex(rq->body ? rq->body : "", rq->body ? rq->body_len : 0, body_hash);

    am_ag_buf_printf(&creq, "%s\n", rq->method);
    canon_path(slash ? slash : "/", &creq);
    am_ag_buf_puts(&creq, "\n\n");          /* no query strings in the agent's requests */
    const char *signed_headers;
    if (rq->content_type)
        am_ag_buf_printf(&creq, "content-type:%s\n", rq->content_type);
    am_ag_buf_printf(&creq, "host:%s\nx-amz-date:%s\n", host.p ? host.p : "", amzdate);
    if (token && *token)
        am_ag_buf_printf(&creq, "x-amz-security-token:%s\n", token);
    if (rq->target)
        am_ag_buf_printf(&creq, "x-amz-target:%s\n", rq->target);
    char sh[128];
    snprintf(sh, sizeof sh, "%shost;x-amz-date%s%s", rq->content_type ? "content-type;" : "",
             token && *token ? ";x-amz-security-token" : "", rq->target ? ";x-amz-target" : "");
    signed_headers = sh;
    am_ag_buf_printf(&creq, "\n%s\n%s", signed_headers, body_hash);
    if (creq.oom) {
        am_ag_buf_free(&creq);
        am_ag_buf_free(&host);
        return h;
    }
    sha256_hex(creq.p, creq.len, creq_hash);

    char scope[256], sts[512], key0[256];
    snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, rq->region, rq->service);
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amzdate, scope, creq_hash);
    snprintf(key0, sizeof key0, "AWS4%s", secret);
    hmac(key0, strlen(key0), date, k);
    hmac(k, 32, rq->region, k);
    hmac(k, 32, rq->service, k);
    hmac(k, 32, "aws4_request", k);
    unsigned char sig[32];
    char sig_hex[65];
    hmac(k, 32, sts, sig);
    hex(sig, 32, sig_hex);

    snprintf(line, sizeof line, "X-Amz-Date: %s", amzdate);
    h = curl_slist_append(h, line);
    if (token && *token) {
        snprintf(line, sizeof line, "X-Amz-Security-Token: %s", token);
        h = curl_slist_append(h, line);
    }
    snprintf(line, sizeof line,
             "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
             akid, scope, signed_headers, sig_hex);
    h = curl_slist_append(h, line);
    am_ag_buf_free(&creq);
    am_ag_buf_free(&host);
    return h;
}

int am_ag_http(const struct am_ag_http_req *rq, long *out_status, char **out, char *err,
               size_t err_cap)
{
    struct am_ag_buf body = {0};
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
    *out = am_ag_buf_take(&body);
    if (!*out) {
        snprintf(err, err_cap, "out of memory");
        goto out;
    }
    rc = 0;
out:
    am_ag_buf_free(&body);
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
    struct am_ag_buf b = {0};
    while (a < z) {
        if (*a == '&') {
            static const struct { const char *ent; char c; } ents[] = {
                {"&quot;", '"'}, {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''}};
            size_t i;
            for (i = 0; i < sizeof ents / sizeof ents[0]; i++) {
                size_t n = strlen(ents[i].ent);
                if (strncmp(a, ents[i].ent, n) == 0) {
                    am_ag_buf_add(&b, &ents[i].c, 1);
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
                    am_ag_buf_add(&b, &ch, 1);
                    a = e + 1;
                    continue;
                }
            }
        }
        am_ag_buf_add(&b, a, 1);
        a++;
    }
    return am_ag_buf_take(&b);
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

static void form_add(struct am_ag_buf *b, const char *k, const char *v)
{
    char *ev = curl_easy_escape(NULL, v, 0);
    am_ag_buf_printf(b, "&%s=%s", k, ev ? ev : "");
    curl_free(ev);
}

/* One awsQuery call; params is "&K=V…" (already encoded). On success *out is the XML. */
static int query(const char *region, const char *action, const char *params, char **out,
                 char *err, size_t err_cap)
{
    char url[512], *body = NULL;
    struct am_ag_buf form = {0};
    long status;

    *out = NULL;
    endpoint("AWS_ENDPOINT_URL_REDSHIFT", "redshift", region, url, sizeof url);
    am_ag_buf_printf(&form, "Action=%s&Version=2012-12-01%s", action, params ? params : "");
    char *f = am_ag_buf_take(&form);
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
        struct am_ag_buf params = {0};
        char *xml;
        if (marker)
            form_add(&params, "Marker", marker);
        free(marker);
        marker = NULL;
        char *ps = am_ag_buf_take(&params);
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
        struct am_ag_buf params = {0};
        char *xml;
        form_add(&params, "ParameterGroupName", group);
        if (marker)
            form_add(&params, "Marker", marker);
        free(marker);
        marker = NULL;
        char *ps = am_ag_buf_take(&params);
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
    struct am_ag_buf params = {0};
    char *xml;
    *out_arn = *out_status = NULL;
    form_add(&params, "SnapshotIdentifier", snapshot);
    form_add(&params, "ClusterIdentifier", cluster);
    char *ps = am_ag_buf_take(&params);
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
    struct am_ag_buf params = {0};
    char *xml;
    *out_status = NULL;
    form_add(&params, "SnapshotIdentifier", snapshot);
    char *ps = am_ag_buf_take(&params);
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
