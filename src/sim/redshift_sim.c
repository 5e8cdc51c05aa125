/*
 * redshift_sim.c - a local Amazon Redshift / Redshift Serverless control plane, for tests
 * and a no-AWS demo of the migration agent.
 *
 *   build/redshift-sim [--listen 127.0.0.1:PORT] [--state FILE] [--demo]
 *                      [--credentials FILE]
 *
 * One port speaks both wire formats, so AWS_ENDPOINT_URL_REDSHIFT and
 * AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS can both point at it:
 *   - Redshift, awsQuery: form POST "Action=...&Version=2012-12-01", XML replies in the
 *     http://redshift.amazonaws.com/doc/2012-12-01/ namespace, <ErrorResponse> errors.
 *     CreateCluster, DescribeClusters, CreateClusterParameterGroup,
 *     ModifyClusterParameterGroup, DescribeClusterParameters (Marker paging),
 *     CreateClusterSnapshot, DescribeClusterSnapshots.
 *   - Redshift Serverless, awsJson1_1 ("X-Amz-Target: RedshiftServerless.<Op>"):
 *     CreateNamespace, CreateWorkgroup, GetNamespace, GetWorkgroup, ListNamespaces,
 *     ListWorkgroups, RestoreFromSnapshot; {"__type", "message"} errors.
 * Statuses move on quickly: a new cluster or snapshot is "creating" in the reply that made
 * it and "available" from the next read on; a restore leaves the namespace MODIFYING for
 * one GetNamespace.
 *
 * The state is a JSON document, written to --state (temp file, fsync, rename) after every
 * change and read back at start, so a restarted simulator remembers. --demo seeds an empty
 * state with prod-cluster: 4 x ra3.4xlarge in us-east-2, parameter group prod-cluster-params
 * with three WLM queues (etl, dashboards, default) and short query acceleration.
 * GET /_sim/requests lists the requests seen: {protocol, operation, authorization}.
 * Without --credentials, signatures are not checked. With --credentials FILE (the
 * ~/.aws/credentials format), every request must carry a valid SigV4 signature of one of its
 * keys for service "redshift" (awsQuery) or "redshift-serverless" (awsJson1_1), checked by
 * agentmemd's own verifier (src/api/http/sigv4.c); a bad one gets AWS's error for the
 * protocol (SignatureDoesNotMatch, InvalidClientTokenId, ... in XML; InvalidSignatureException,
 * UnrecognizedClientException, ... in JSON) and changes nothing. Query strings are not used
 * by either protocol and are refused when signatures are checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/http/sigv4.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <jansson.h>
#include <microhttpd.h>

#define NS "http://redshift.amazonaws.com/doc/2012-12-01/"
#define REGION "us-east-2"
#define ACCOUNT "123456789012"
#define MAX_BODY (1 << 20)

static json_t *state;          /* {clusters, groups, snapshots, namespaces, workgroups} */
static json_t *requests;
static const char *state_path;
static unsigned long seq;
static struct am_sigv4_keys *keys;   /* --credentials: signatures checked; NULL: not */

/* ---- strings ---- */

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* a string literal, its length counted by the compiler */
#define sb_lit(b, lit) sb_add((b), (lit), sizeof(lit) - 1)

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* XML text: & < > " escaped. */
static void sb_xml(struct sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': sb_lit(b, "&amp;"); break;
        case '<': sb_lit(b, "&lt;"); break;
        case '>': sb_lit(b, "&gt;"); break;
        case '"': sb_lit(b, "&quot;"); break;
        default: sb_add(b, s, 1);
        }
    }
}

static void tag(struct sbuf *b, const char *name, const char *text)
{
    sb_printf(b, "<%s>", name);
    sb_xml(b, text);
    sb_printf(b, "</%s>", name);
}

static void now_iso(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + 19, 13, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

static void uuid4(char out[37])
{
    unsigned char r[16];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(r, 1, 16, f) != 16)
        abort();
    fclose(f);
    r[6] = (r[6] & 0x0f) | 0x40;
    r[8] = (r[8] & 0x3f) | 0x80;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
             r[13], r[14], r[15]);
}

static const char *sget(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ---- state ---- */

static void save(void)
{
    if (!state_path)
        return;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", state_path);
    if (json_dump_file(state, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0) {
        fprintf(stderr, "redshift-sim: cannot write %s\n", tmp);
        return;
    }
    int fd = open(tmp, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    if (rename(tmp, state_path) != 0)
        fprintf(stderr, "redshift-sim: cannot rename %s: %s\n", tmp, strerror(errno));
}

static json_t *table(const char *name)
{
    json_t *t = json_object_get(state, name);
    if (!t) {
        t = json_object();
        json_object_set_new(state, name, t);
    }
    return t;
}

static json_t *new_group(const char *family, const char *description, const char *wlm,
                         const char *wlm_source)
{
    json_t *params = json_pack(
        "{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}}",
        "wlm_json_configuration", "value", wlm, "source", wlm_source,
        "data_type", "string", "apply_type", "static",
        "require_ssl", "value", "false", "source", "engine-default", "data_type", "boolean",
        "apply_type", "static",
        "search_path", "value", "$user, public", "source", "engine-default", "data_type",
        "string", "apply_type", "static");
    return json_pack("{s:s, s:s, s:o}", "family", family, "description", description,
                     "parameters", params);
}

static void seed_demo(void)
{
    static const char wlm[] =
        "[{\"name\":\"etl\",\"user_group\":[\"etl_users\"],\"query_concurrency\":5,"
        "\"memory_percent_to_use\":40,\"rules\":[{\"rule_name\":\"abort_long\",\"predicate\":"
        "[{\"metric_name\":\"query_execution_time\",\"operator\":\">\",\"value\":7200}],"
        "\"action\":\"abort\"}]},{\"name\":\"dashboards\",\"query_group\":[\"dashboards\"],"
        "\"query_concurrency\":10,\"memory_percent_to_use\":35},{\"name\":\"default\","
        "\"query_concurrency\":5,\"memory_percent_to_use\":25},{\"short_query_queue\":true}]";
    json_object_set_new(table("groups"), "prod-cluster-params",
                        new_group("redshift-1.0", "prod WLM", wlm, "user"));
    json_object_set_new(table("clusters"), "prod-cluster", json_pack(
        "{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I}", "id", "prod-cluster", "node_type",
        "ra3.4xlarge", "nodes", 4, "status", "available", "group", "prod-cluster-params",
        "db", "dev", "created", "2024-03-01T10:00:00.000Z", "az", REGION "a", "storage_mb",
        (json_int_t)524288));
}

/* ---- Redshift (awsQuery) ---- */

struct form {
    char *k[256], *v[256];
    size_t n;
};

static char *pct_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        unsigned hi, lo;
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && sscanf(s + i + 1, "%1x%1x", &hi, &lo) == 2) {
            *o++ = (char)(hi << 4 | lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static void form_parse(struct form *f, const char *body)
{
    f->n = 0;
    for (const char *p = body; *p && f->n < 256;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t kl = eq ? (size_t)(eq - p) : len;
        f->k[f->n] = pct_decode(p, kl);
        f->v[f->n] = eq ? pct_decode(eq + 1, len - kl - 1) : strdup("");
        f->n++;
        p = amp ? amp + 1 : p + len;
    }
}

static void form_free(struct form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->k[i]);
        free(f->v[i]);
    }
}

static const char *fget(const struct form *f, const char *k)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->k[i], k) == 0)
            return f->v[i];
    return NULL;
}

struct qerr {
    int status;
    char code[64], message[512];
};

__attribute__((format(printf, 4, 5)))
static int qfail(struct qerr *e, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    e->status = status;
    snprintf(e->code, sizeof e->code, "%s", code);
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

static void cluster_xml(struct sbuf *b, const char *id, json_t *c)
{
    char addr[256], num[32];
    const char *status = sget(c, "status");
    snprintf(addr, sizeof addr, "%s.abc123xyz.%s.redshift.amazonaws.com", id, REGION);
    sb_lit(b, "<Cluster>");
    tag(b, "ClusterIdentifier", id);
    tag(b, "NodeType", sget(c, "node_type"));
    tag(b, "ClusterStatus", status);
    tag(b, "ClusterAvailabilityStatus", strcmp(status, "available") ? "Unavailable"
                                                                     : "Available");
    tag(b, "MasterUsername", "admin");
    tag(b, "DBName", sget(c, "db"));
    sb_printf(b, "<Endpoint><Address>%s</Address><Port>5439</Port></Endpoint>", addr);
    tag(b, "ClusterCreateTime", sget(c, "created"));
    sb_lit(b, "<ClusterParameterGroups><ClusterParameterGroup>");
    tag(b, "ParameterGroupName", sget(c, "group"));
    sb_printf(b, "<ParameterApplyStatus>in-sync</ParameterApplyStatus>"
                 "</ClusterParameterGroup></ClusterParameterGroups>");
    tag(b, "AvailabilityZone", sget(c, "az"));
    tag(b, "ClusterVersion", "1.0");
    snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(c, "nodes")));
    tag(b, "NumberOfNodes", num);
    sb_printf(b, "<PubliclyAccessible>false</PubliclyAccessible><Encrypted>true</Encrypted>"
                 "<TotalStorageCapacityInMegaBytes>%lld</TotalStorageCapacityInMegaBytes>",
              (long long)json_integer_value(json_object_get(c, "storage_mb")));
    sb_lit(b, "</Cluster>");
}

static void snapshot_xml(struct sbuf *b, const char *id, json_t *s)
{
    char num[32];
    sb_lit(b, "<Snapshot>");
    tag(b, "SnapshotIdentifier", id);
    tag(b, "ClusterIdentifier", sget(s, "cluster"));
    tag(b, "SnapshotCreateTime", sget(s, "created"));
    tag(b, "Status", sget(s, "status"));
    tag(b, "SnapshotType", "manual");
    tag(b, "NodeType", sget(s, "node_type"));
    snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(s, "nodes")));
    tag(b, "NumberOfNodes", num);
    tag(b, "SnapshotArn", sget(s, "arn"));
    sb_lit(b, "<Encrypted>true</Encrypted></Snapshot>");
}

/* Settles a status read once ("creating" -> "available" after it was seen). */
static void settle(json_t *o)
{
    const char *st = sget(o, "status");
    if (st && !strcmp(st, "creating"))
        json_object_set_new(o, "status", json_string("available"));
}

static int query(const struct form *f, const char *action, struct sbuf *b, struct qerr *e,
                 bool *changed)
{
    if (!fget(f, "Version") || strcmp(fget(f, "Version"), "2012-12-01"))
        return qfail(e, 400, "InvalidParameterValue", "Version must be 2012-12-01");
    json_t *clusters = table("clusters"), *groups = table("groups");
    json_t *snaps = table("snapshots");
    if (!strcmp(action, "DescribeClusters")) {
        const char *id = fget(f, "ClusterIdentifier");
        if (id && !json_object_get(clusters, id))
            return qfail(e, 404, "ClusterNotFound", "Cluster %s not found.", id);
        sb_lit(b, "<Clusters>");
        const char *k;
        json_t *c;
        json_object_foreach(clusters, k, c) {
            if (id && strcmp(id, k))
                continue;
            cluster_xml(b, k, c);
            settle(c);
            *changed = true;
        }
        sb_lit(b, "</Clusters>");
        return 0;
    }
    if (!strcmp(action, "CreateCluster")) {
        const char *id = fget(f, "ClusterIdentifier"), *nt = fget(f, "NodeType");
        const char *grp = fget(f, "ClusterParameterGroupName");
        if (!id || !nt || !fget(f, "MasterUsername"))
            return qfail(e, 400, "InvalidParameterValue",
                         "ClusterIdentifier, NodeType and MasterUsername are required");
        if (json_object_get(clusters, id))
            return qfail(e, 400, "ClusterAlreadyExists", "Cluster already exists");
        if (grp && !json_object_get(groups, grp))
            return qfail(e, 404, "ClusterParameterGroupNotFound",
                         "ParameterGroup %s not found.", grp);
        const char *nn = fget(f, "NumberOfNodes"), *ct = fget(f, "ClusterType");
        int nodes = nn ? (int)strtol(nn, NULL, 10) : (ct && !strcmp(ct, "single-node") ? 1 : 2);
        char created[32];
        now_iso(created);
        json_t *c = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I}", "id", id,
                              "node_type", nt, "nodes", nodes, "status", "creating", "group",
                              grp ? grp : "default.redshift-1.0", "db",
                              fget(f, "DBName") ? fget(f, "DBName") : "dev", "created", created,
                              "az", fget(f, "AvailabilityZone") ? fget(f, "AvailabilityZone")
                                                                : REGION "a",
                              "storage_mb", (json_int_t)nodes * 131072);
        json_object_set_new(clusters, id, c);
        cluster_xml(b, id, c);
        *changed = true;
        return 0;
    }
    if (!strcmp(action, "CreateClusterParameterGroup")) {
        const char *name = fget(f, "ParameterGroupName"), *fam = fget(f, "ParameterGroupFamily");
        const char *desc = fget(f, "Description");
        if (!name || !fam || !desc)
            return qfail(e, 400, "InvalidParameterValue",
                         "ParameterGroupName, ParameterGroupFamily and Description are required");
        if (json_object_get(groups, name))
            return qfail(e, 400, "ClusterParameterGroupAlreadyExists",
                         "Parameter group %s already exists", name);
        json_object_set_new(groups, name, new_group(fam, desc, "[{\"query_concurrency\":5}]",
                                                    "engine-default"));
        sb_lit(b, "<ClusterParameterGroup>");
        tag(b, "ParameterGroupName", name);
        tag(b, "ParameterGroupFamily", fam);
        tag(b, "Description", desc);
        sb_lit(b, "</ClusterParameterGroup>");
        *changed = true;
        return 0;
    }
    if (!strcmp(action, "ModifyClusterParameterGroup")) {
        const char *name = fget(f, "ParameterGroupName");
        json_t *g = name ? json_object_get(groups, name) : NULL;
        if (!g)
            return qfail(e, 404, "ClusterParameterGroupNotFound", "ParameterGroup %s not found.",
                         name ? name : "");
        json_t *params = json_object_get(g, "parameters");
        for (int i = 1; i < 100; i++) {
            char kn[96], kv[96];
            const char *pn = NULL, *pv = NULL;
            static const char *const styles[] = {"Parameters.Parameter.%d.%s",
                                                 "Parameters.member.%d.%s"};
            for (int s = 0; s < 2 && !pn; s++) {
                snprintf(kn, sizeof kn, styles[s], i, "ParameterName");
                snprintf(kv, sizeof kv, styles[s], i, "ParameterValue");
                pn = fget(f, kn);
                pv = fget(f, kv);
            }
            if (!pn)
                break;
            json_object_set_new(params, pn, json_pack("{s:s, s:s, s:s, s:s}", "value",
                                                      pv ? pv : "", "source", "user",
                                                      "data_type", "string", "apply_type",
                                                      "static"));
        }
        tag(b, "ParameterGroupName", name);
        tag(b, "ParameterGroupStatus", "Your parameter group has been updated. If you changed "
                                       "only dynamic parameters, associated clusters are being "
                                       "modified now.");
        *changed = true;
        return 0;
    }
    if (!strcmp(action, "DescribeClusterParameters")) {
        const char *name = fget(f, "ParameterGroupName"), *src = fget(f, "Source");
        json_t *g = name ? json_object_get(groups, name) : NULL;
        if (!g)
            return qfail(e, 404, "ClusterParameterGroupNotFound", "ParameterGroup %s not found.",
                         name ? name : "");
        long max = fget(f, "MaxRecords") ? strtol(fget(f, "MaxRecords"), NULL, 10) : 100;
        long from = fget(f, "Marker") ? strtol(fget(f, "Marker"), NULL, 10) : 0, i = 0, shown = 0;
        if (max < 1)
            max = 100;
        const char *k;
        json_t *p;
        bool more = false;
        sb_lit(b, "<Parameters>");
        json_object_foreach(json_object_get(g, "parameters"), k, p) {
            if (src && strcmp(src, sget(p, "source")))
                continue;
            if (i++ < from)
                continue;
            if (shown == max) {
                more = true;
                break;
            }
            shown++;
            sb_lit(b, "<Parameter>");
            tag(b, "ParameterName", k);
            tag(b, "ParameterValue", sget(p, "value"));
            tag(b, "Source", sget(p, "source"));
            tag(b, "DataType", sget(p, "data_type"));
            tag(b, "ApplyType", sget(p, "apply_type"));
            sb_lit(b, "<IsModifiable>true</IsModifiable></Parameter>");
        }
        sb_lit(b, "</Parameters>");
        if (more)
            sb_printf(b, "<Marker>%ld</Marker>", from + shown);
        return 0;
    }
    if (!strcmp(action, "CreateClusterSnapshot")) {
        const char *sid = fget(f, "SnapshotIdentifier"), *cid = fget(f, "ClusterIdentifier");
        json_t *c = cid ? json_object_get(clusters, cid) : NULL;
        if (!sid)
            return qfail(e, 400, "InvalidParameterValue", "SnapshotIdentifier is required");
        if (!c)
            return qfail(e, 404, "ClusterNotFound", "Cluster %s not found.", cid ? cid : "");
        if (json_object_get(snaps, sid))
            return qfail(e, 400, "ClusterSnapshotAlreadyExists", "Cannot create the snapshot "
                         "because a snapshot with the identifier %s already exists.", sid);
        char created[32], arn[512];
        now_iso(created);
        snprintf(arn, sizeof arn, "arn:aws:redshift:%s:%s:snapshot:%s/%s", REGION, ACCOUNT, cid,
                 sid);
        json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s}", "cluster", cid, "created",
                              created, "status", "creating", "node_type", sget(c, "node_type"),
                              "nodes", json_object_get(c, "nodes"), "arn", arn);
        json_object_set_new(snaps, sid, s);
        snapshot_xml(b, sid, s);
        settle(s);                 /* the next describe sees it done */
        *changed = true;
        return 0;
    }
    if (!strcmp(action, "DescribeClusterSnapshots")) {
        const char *sid = fget(f, "SnapshotIdentifier"), *cid = fget(f, "ClusterIdentifier");
        if (sid && !json_object_get(snaps, sid))
            return qfail(e, 404, "ClusterSnapshotNotFound", "Snapshot %s not found.", sid);
        const char *k;
        json_t *s;
        sb_lit(b, "<Snapshots>");
        json_object_foreach(snaps, k, s) {
            if ((sid && strcmp(sid, k)) || (cid && strcmp(cid, sget(s, "cluster"))))
                continue;
            snapshot_xml(b, k, s);
        }
        sb_lit(b, "</Snapshots>");
        return 0;
    }
    return qfail(e, 400, "InvalidAction", "Could not find operation %s", action);
}

/* ---- Redshift Serverless (awsJson1_1) ---- */

struct jerr {
    int status;
    char type[64], message[512];
};

__attribute__((format(printf, 4, 5)))
static json_t *jfail(struct jerr *e, int status, const char *type, const char *fmt, ...)
{
    va_list ap;
    e->status = status;
    snprintf(e->type, sizeof e->type, "%s", type);
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return NULL;
}

static json_t *values(json_t *obj)
{
    json_t *a = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) json_array_append(a, v);
    return a;
}

static json_t *serverless(const char *op, json_t *b, struct jerr *e, bool *changed)
{
    json_t *nss = table("namespaces"), *wgs = table("workgroups"), *snaps = table("snapshots");
    char id[37], arn[256], created[32];
    now_iso(created);
    if (!strcmp(op, "ListNamespaces"))
        return json_pack("{s:o}", "namespaces", values(nss));
    if (!strcmp(op, "ListWorkgroups"))
        return json_pack("{s:o}", "workgroups", values(wgs));
    if (!strcmp(op, "CreateNamespace")) {
        const char *name = sget(b, "namespaceName");
        if (!name || !*name)
            return jfail(e, 400, "ValidationException", "namespaceName is required");
        if (json_object_get(nss, name))
            return jfail(e, 409, "ConflictException", "Namespace %s already exists", name);
        uuid4(id);
        snprintf(arn, sizeof arn, "arn:aws:redshift-serverless:%s:%s:namespace/%s", REGION,
                 ACCOUNT, id);
        json_t *ns = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "namespaceName", name,
                               "namespaceId", id, "namespaceArn", arn, "status", "AVAILABLE",
                               "creationDate", created, "dbName",
                               sget(b, "dbName") ? sget(b, "dbName") : "dev", "adminUsername",
                               sget(b, "adminUsername") ? sget(b, "adminUsername") : "admin");
        if (json_is_true(json_object_get(b, "manageAdminPassword"))) {
            char secret[256];
            snprintf(secret, sizeof secret, "arn:aws:secretsmanager:%s:%s:secret:"
                     "redshift!%s-admin-%.6s", REGION, ACCOUNT, name, id);
            json_object_set_new(ns, "adminPasswordSecretArn", json_string(secret));
        }
        json_object_set_new(nss, name, ns);
        *changed = true;
        return json_pack("{s:O}", "namespace", ns);
    }
    if (!strcmp(op, "CreateWorkgroup")) {
        const char *name = sget(b, "workgroupName"), *ns = sget(b, "namespaceName");
        if (!name || !ns)
            return jfail(e, 400, "ValidationException",
                         "workgroupName and namespaceName are required");
        if (!json_object_get(nss, ns))
            return jfail(e, 404, "ResourceNotFoundException", "Namespace %s not found", ns);
        if (json_object_get(wgs, name))
            return jfail(e, 409, "ConflictException", "Workgroup %s already exists", name);
        const char *k;
        json_t *w;
        json_object_foreach(wgs, k, w) if (!strcmp(sget(w, "namespaceName"), ns))
            return jfail(e, 409, "ConflictException",
                         "Namespace %s is already associated with a workgroup", ns);
        uuid4(id);
        snprintf(arn, sizeof arn, "arn:aws:redshift-serverless:%s:%s:workgroup/%s", REGION,
                 ACCOUNT, id);
        json_t *base = json_object_get(b, "baseCapacity");
        char addr[256];
        snprintf(addr, sizeof addr, "%s.%s.%s.redshift-serverless.amazonaws.com", name, ACCOUNT,
                 REGION);
        json_t *wg = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:{s:s, s:i}}",
                               "workgroupName", name, "namespaceName", ns, "workgroupId", id,
                               "workgroupArn", arn, "baseCapacity",
                               base ? json_integer_value(base) : (json_int_t)128, "status",
                               "CREATING", "creationDate", created, "endpoint", "address", addr,
                               "port", 5439);
        json_object_set_new(wgs, name, wg);
        json_t *out = json_pack("{s:o}", "workgroup", json_deep_copy(wg));
        json_object_set_new(wg, "status", json_string("AVAILABLE"));  /* next read: done */
        *changed = true;
        return out;
    }
    if (!strcmp(op, "GetNamespace")) {
        const char *name = sget(b, "namespaceName");
        json_t *ns = name ? json_object_get(nss, name) : NULL;
        if (!ns)
            return jfail(e, 404, "ResourceNotFoundException", "Namespace %s not found",
                         name ? name : "");
        json_t *out = json_pack("{s:o}", "namespace", json_deep_copy(ns));
        if (!strcmp(sget(ns, "status"), "MODIFYING")) {  /* a restore ends after one read */
            json_object_set_new(ns, "status", json_string("AVAILABLE"));
            *changed = true;
        }
        return out;
    }
    if (!strcmp(op, "GetWorkgroup")) {
        const char *name = sget(b, "workgroupName");
        json_t *wg = name ? json_object_get(wgs, name) : NULL;
        if (!wg)
            return jfail(e, 404, "ResourceNotFoundException", "Workgroup %s not found",
                         name ? name : "");
        return json_pack("{s:O}", "workgroup", wg);
    }
    if (!strcmp(op, "RestoreFromSnapshot")) {
        const char *ns = sget(b, "namespaceName"), *wg = sget(b, "workgroupName");
        const char *sarn = sget(b, "snapshotArn"), *sname = sget(b, "snapshotName");
        if (!ns || !wg)
            return jfail(e, 400, "ValidationException",
                         "namespaceName and workgroupName are required");
        if (!json_object_get(nss, ns) || !json_object_get(wgs, wg))
            return jfail(e, 404, "ResourceNotFoundException",
                         "Namespace %s or workgroup %s not found", ns, wg);
        const char *k, *found = NULL;
        json_t *s;
        json_object_foreach(snaps, k, s) {
            if ((sarn && !strcmp(sarn, sget(s, "arn"))) || (sname && !strcmp(sname, k)))
                found = k;
        }
        if (!found)
            return jfail(e, 404, "ResourceNotFoundException", "Snapshot %s not found",
                         sarn ? sarn : sname ? sname : "(none given)");
        json_t *n = json_object_get(nss, ns);
        json_object_set_new(n, "status", json_string("MODIFYING"));
        *changed = true;
        return json_pack("{s:s, s:s, s:O}", "snapshotName", found, "ownerAccount", ACCOUNT,
                         "namespace", n);
    }
    return jfail(e, 400, "UnknownOperationException", "Unknown operation %s", op);
}

/* ---- HTTP ---- */

struct conn {
    struct sbuf body;
};

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *type,
                             const char *text, const char *err_type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_MUST_COPY);
    char rid[37];
    uuid4(rid);
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "x-amzn-RequestId", rid);
    if (err_type)
        MHD_add_response_header(r, "x-amzn-ErrorType", err_type);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static void record(const char *protocol, const char *op, struct MHD_Connection *c)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    json_array_append_new(requests, json_pack("{s:s, s:s, s:s, s:I}", "protocol", protocol,
                                              "operation", op, "authorization",
                                              auth ? auth : "", "seq", (json_int_t)++seq));
}

struct headers {
    struct am_sigv4_header v[64];
    size_t n;
    bool query, overflow;
};

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *k,
                                 const char *v)
{
    struct headers *h = cls;
    if (kind == MHD_GET_ARGUMENT_KIND) {
        h->query = true;
    } else if (h->n < sizeof h->v / sizeof h->v[0]) {
        h->v[h->n++] = (struct am_sigv4_header){k, v ? v : ""};
    } else {
        h->overflow = true;
    }
    return MHD_YES;
}

/* 0 when the request's signature is good (or not checked); else the protocol's error type,
   HTTP status and message. */
static int check_signature(struct MHD_Connection *c, const char *method, const char *url,
                           const char *body, bool json, const char **type, int *status,
                           char *msg, size_t cap)
{
    struct headers h = {.n = 0};
    if (!keys)
        return 0;
    MHD_get_connection_values(c, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, on_header, &h);
    if (h.query || h.overflow) {
        *type = json ? "IncompleteSignatureException" : "IncompleteSignature";
        *status = 400;
        snprintf(msg, cap, "%s", h.query ? "query strings are not signed by this simulator"
                                         : "too many headers");
        return -1;
    }
    struct am_sigv4_request r = {.method = method, .raw_path = url, .headers = h.v,
                                 .n_headers = h.n, .body = (const unsigned char *)body,
                                 .body_len = strlen(body)};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (am_sigv4_verify_service(keys, &r, json ? "redshift-serverless" : "redshift", now_ms,
                                type, status, msg, cap, NULL) == 0)
        return 0;
    if (!json) {             /* awsQuery names them as Redshift does */
        static const char *const map[][2] = {
            {"InvalidSignatureException", "SignatureDoesNotMatch"},
            {"UnrecognizedClientException", "InvalidClientTokenId"},
            {"MissingAuthenticationTokenException", "MissingAuthenticationToken"},
            {"IncompleteSignatureException", "IncompleteSignature"},
        };
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (strcmp(*type, map[i][0]) == 0)
                *type = map[i][1];
    }
    return -1;
}

static enum MHD_Result serve(struct MHD_Connection *c, const char *method, const char *url,
                             const char *body)
{
    if (!strcmp(method, "GET") && !strcmp(url, "/_sim/requests")) {
        char *t = json_dumps(requests, JSON_COMPACT);
        enum MHD_Result r = reply(c, 200, "application/json", t, NULL);
        free(t);
        return r;
    }
    if (strcmp(method, "POST") != 0)
        return reply(c, 404, "application/json", "{\"message\":\"not found\"}", NULL);
    const char *target = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Target");
    bool changed = false;
    enum MHD_Result ret;
    if (target) {
        const char *op = strchr(target, '.') ? strchr(target, '.') + 1 : target;
        record("json", op, c);
        json_t *in = json_loads(*body ? body : "{}", 0, NULL);
        struct jerr e = {0};
        const char *type;
        int status;
        char why[512];
        json_t *out = check_signature(c, method, url, body, true, &type, &status, why,
                                      sizeof why)
                          ? jfail(&e, status, type, "%s", why)
                      : json_is_object(in) ? serverless(op, in, &e, &changed)
                                           : jfail(&e, 400, "ValidationException",
                                                   "the body must be a JSON object");
        json_decref(in);
        if (out) {
            char *t = json_dumps(out, JSON_COMPACT);
            ret = reply(c, 200, "application/x-amz-json-1.1", t, NULL);
            free(t);
            json_decref(out);
        } else {
            json_t *err = json_pack("{s:s, s:s}", "__type", e.type, "message", e.message);
            char *t = json_dumps(err, JSON_COMPACT);
            json_decref(err);
            ret = reply(c, e.status, "application/x-amz-json-1.1", t, e.type);
            free(t);
        }
    } else {
        struct form f;
        form_parse(&f, body);
        const char *action = fget(&f, "Action") ? fget(&f, "Action") : "";
        record("query", action, c);
        struct sbuf b = {0}, x = {0};
        struct qerr e = {0};
        char rid[37];
        const char *type;
        int status;
        char why[512];
        uuid4(rid);
        int qrc = check_signature(c, method, url, body, false, &type, &status, why, sizeof why)
                      ? qfail(&e, status, type, "%s", why)
                      : query(&f, action, &b, &e, &changed);
        if (qrc == 0) {
            sb_printf(&x, "<%sResponse xmlns=\"%s\"><%sResult>", action, NS, action);
            sb_add(&x, b.p ? b.p : "", b.len);
            sb_printf(&x, "</%sResult><ResponseMetadata><RequestId>%s</RequestId>"
                          "</ResponseMetadata></%sResponse>", action, rid, action);
            ret = reply(c, 200, "text/xml", x.p, NULL);
        } else {
            sb_printf(&x, "<ErrorResponse xmlns=\"%s\"><Error><Type>Sender</Type><Code>%s</Code>"
                          "<Message>", NS, e.code);
            sb_xml(&x, e.message);
            sb_printf(&x, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", rid);
            ret = reply(c, e.status, "text/xml", x.p, NULL);
        }
        free(b.p);
        free(x.p);
        form_free(&f);
    }
    if (changed)
        save();
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **ptr)
{
    (void)cls;
    (void)version;
    struct conn *st = *ptr;
    if (!st) {
        *ptr = calloc(1, sizeof *st);
        return *ptr ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        if (st->body.len + *upload_size > MAX_BODY)
            return MHD_NO;
        sb_add(&st->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return serve(c, method, url, st->body.p ? st->body.p : "");
}

static void on_done(void *cls, struct MHD_Connection *c, void **ptr,
                    enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)c;
    (void)code;
    struct conn *st = *ptr;
    if (st) {
        free(st->body.p);
        free(st);
    }
    *ptr = NULL;
}

int main(int argc, char **argv)
{
    const char *listen = "127.0.0.1:0", *creds = NULL;
    bool demo = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
            listen = argv[++i];
        } else if (!strcmp(argv[i], "--state") && i + 1 < argc) {
            state_path = argv[++i];
        } else if (!strcmp(argv[i], "--demo")) {
            demo = true;
        } else if (!strcmp(argv[i], "--credentials") && i + 1 < argc) {
            creds = argv[++i];
        } else {
            fprintf(stderr, "usage: redshift-sim [--listen HOST:PORT] [--state FILE] "
                            "[--demo] [--credentials FILE]\n");
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    char err[512];
    if (creds && am_sigv4_keys_load(creds, &keys, err, sizeof err) != 0) {
        fprintf(stderr, "redshift-sim: %s\n", err);
        return 1;
    }
    json_error_t je;
    state = state_path && access(state_path, F_OK) == 0 ? json_load_file(state_path, 0, &je)
                                                        : json_object();
    if (!json_is_object(state)) {
        fprintf(stderr, "redshift-sim: %s: %s\n", state_path, je.text);
        return 1;
    }
    if (demo && json_object_size(table("clusters")) == 0)
        seed_demo();
    save();
    requests = json_array();
    char host[64] = "127.0.0.1";
    unsigned port = 0;
    const char *colon = strrchr(listen, ':');
    if (!colon || colon - listen >= (long)sizeof host) {
        fprintf(stderr, "redshift-sim: bad --listen %s\n", listen);
        return 2;
    }
    if (colon > listen)
        snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    port = (unsigned)strtoul(colon + 1, NULL, 10);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "redshift-sim: bad host %s\n", host);
        return 2;
    }
    /* the stop signals go to sigwait below, not to libmicrohttpd's thread */
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_done,
        NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "redshift-sim: cannot listen on %s\n", listen);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "redshift-sim: listening addr=%s:%u state=%s signatures=%s\n", host,
            info ? info->port : port, state_path ? state_path : "(memory)",
            keys ? "checked" : "not checked");
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    am_sigv4_keys_free(keys);
    json_decref(state);
    json_decref(requests);
    return 0;
}
