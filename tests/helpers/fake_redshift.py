#!/usr/bin/env python3
"""fake_redshift.py - a local stand-in for Amazon Redshift and Redshift Serverless.

Speaks the real wire formats, so tests never touch AWS:
  * Redshift, awsQuery: form POST "Action=...&Version=2012-12-01", XML replies in the
    http://redshift.amazonaws.com/doc/2012-12-01/ namespace, <ErrorResponse> errors.
    DescribeClusters, DescribeClusterParameters, CreateClusterSnapshot, DescribeClusterSnapshots.
  * Redshift Serverless, awsJson1_1: "X-Amz-Target: RedshiftServerless.<Op>", JSON with ISO-8601
    string timestamps, {"__type", "message"} errors. ListNamespaces, ListWorkgroups,
    CreateNamespace, CreateWorkgroup, GetNamespace, GetWorkgroup, RestoreFromSnapshot.
Canned data: cluster prod-cluster, 4 x ra3.4xlarge in us-east-2, parameter group
prod-cluster-params whose wlm_json_configuration has 3 queues (etl, dashboards, default) + SQA.

Both services share one port (point AWS_ENDPOINT_URL_REDSHIFT and
AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS at it). Every request is recorded (GET /_fake/requests)
with its Authorization header and, when FakeRedshift(secret=...) is given, whether botocore's
own SigV4 signer computes the same signature ("signature_ok"); unsigned or badly signed
requests are still answered, so tests assert on the record.

    python3 tests/helpers/fake_redshift.py [--port N]     prints "listening port=N"
    FakeRedshift().start() ... .stop()                    in-process, from a test
"""
import argparse
import datetime
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

NS = "http://redshift.amazonaws.com/doc/2012-12-01/"
REGION = "us-east-2"
ACCOUNT = "123456789012"

WLM = [
    {"name": "etl", "user_group": ["etl_users"], "query_concurrency": 5,
     "memory_percent_to_use": 40, "rules": [{"rule_name": "abort_long", "predicate": [
         {"metric_name": "query_execution_time", "operator": ">", "value": 7200}],
         "action": "abort"}]},
    {"name": "dashboards", "query_group": ["dashboards"], "query_concurrency": 10,
     "memory_percent_to_use": 35},
    {"name": "default", "query_concurrency": 5, "memory_percent_to_use": 25},
    {"short_query_queue": True},
]


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_state():
    return {
        "clusters": [{
            "ClusterIdentifier": "prod-cluster", "NodeType": "ra3.4xlarge",
            "ClusterStatus": "available", "ClusterAvailabilityStatus": "Available",
            "MasterUsername": "admin", "DBName": "dev",
            "Endpoint": {"Address": "prod-cluster.abc123xyz.us-east-2.redshift.amazonaws.com",
                         "Port": 5439},
            "ClusterCreateTime": "2024-03-01T10:00:00.000Z", "NumberOfNodes": 4,
            "AvailabilityZone": "us-east-2a", "ClusterParameterGroup": "prod-cluster-params",
            "ClusterVersion": "1.0", "PubliclyAccessible": False, "Encrypted": True,
            "VpcId": "vpc-0abc", "ClusterSubnetGroupName": "prod-subnets",
            "TotalStorageCapacityInMegaBytes": 524288,
            "PreferredMaintenanceWindow": "sun:06:00-sun:06:30",
        }],
        "parameters": {"prod-cluster-params": [
            ("wlm_json_configuration", json.dumps(WLM), "user", "string", "static"),
            ("require_ssl", "true", "user", "boolean", "static"),
            ("search_path", "$user, public", "engine-default", "string", "static"),
        ]},
        "snapshots": {},
        "namespaces": {},
        "workgroups": {},
    }


def _x(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return escape(str(v))


def cluster_xml(c):
    e = c["Endpoint"]
    return ("<Cluster>"
            "<ClusterIdentifier>%s</ClusterIdentifier><NodeType>%s</NodeType>"
            "<ClusterStatus>%s</ClusterStatus><ClusterAvailabilityStatus>%s"
            "</ClusterAvailabilityStatus><MasterUsername>%s</MasterUsername><DBName>%s</DBName>"
            "<Endpoint><Address>%s</Address><Port>%d</Port></Endpoint>"
            "<ClusterCreateTime>%s</ClusterCreateTime>"
            "<ClusterParameterGroups><ClusterParameterGroup><ParameterGroupName>%s"
            "</ParameterGroupName><ParameterApplyStatus>in-sync</ParameterApplyStatus>"
            "</ClusterParameterGroup></ClusterParameterGroups>"
            "<ClusterSubnetGroupName>%s</ClusterSubnetGroupName><VpcId>%s</VpcId>"
            "<AvailabilityZone>%s</AvailabilityZone>"
            "<PreferredMaintenanceWindow>%s</PreferredMaintenanceWindow>"
            "<ClusterVersion>%s</ClusterVersion><NumberOfNodes>%d</NumberOfNodes>"
            "<PubliclyAccessible>%s</PubliclyAccessible><Encrypted>%s</Encrypted>"
            "<TotalStorageCapacityInMegaBytes>%d</TotalStorageCapacityInMegaBytes>"
            "</Cluster>") % (
        _x(c["ClusterIdentifier"]), _x(c["NodeType"]), _x(c["ClusterStatus"]),
        _x(c["ClusterAvailabilityStatus"]), _x(c["MasterUsername"]), _x(c["DBName"]),
        _x(e["Address"]), e["Port"], _x(c["ClusterCreateTime"]), _x(c["ClusterParameterGroup"]),
        _x(c["ClusterSubnetGroupName"]), _x(c["VpcId"]), _x(c["AvailabilityZone"]),
        _x(c["PreferredMaintenanceWindow"]), _x(c["ClusterVersion"]), c["NumberOfNodes"],
        _x(c["PubliclyAccessible"]), _x(c["Encrypted"]), c["TotalStorageCapacityInMegaBytes"])


def snapshot_xml(s):
    return ("<Snapshot><SnapshotIdentifier>%s</SnapshotIdentifier>"
            "<ClusterIdentifier>%s</ClusterIdentifier><SnapshotCreateTime>%s</SnapshotCreateTime>"
            "<Status>%s</Status><SnapshotType>manual</SnapshotType><NodeType>%s</NodeType>"
            "<NumberOfNodes>%d</NumberOfNodes><SnapshotArn>%s</SnapshotArn>"
            "<Encrypted>true</Encrypted><TotalBackupSizeInMegaBytes>1024.0"
            "</TotalBackupSizeInMegaBytes></Snapshot>") % (
        _x(s["id"]), _x(s["cluster"]), _x(s["created"]), _x(s["status"]), _x(s["node_type"]),
        s["nodes"], _x(s["arn"]))


class QueryError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class JsonError(Exception):
    def __init__(self, status, type_, message):
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    @property
    def fake(self):
        return self.server.fake

    def _send(self, status, body, ctype, extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_fake/requests":
            with self.fake.lock:
                self._send(200, json.dumps(self.fake.requests), "application/json")
            return
        self._send(404, "{}", "application/json")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        target = self.headers.get("X-Amz-Target")
        auth = self.headers.get("Authorization", "")
        self.sig_ok = self.fake.check_signature(self.command, self.path, self.headers, raw)
        if target:
            op = target.split(".", 1)[-1]
            self.fake.record("json", op, auth, raw, self.sig_ok)
            try:
                body = json.loads(raw or b"{}")
                with self.fake.lock:
                    out = self.fake.serverless(op, body)
                self._send(200, json.dumps(out), "application/x-amz-json-1.1")
            except JsonError as e:
                self._send(e.status, json.dumps({"__type": "com.amazonaws.redshiftserverless#"
                                                 + e.type, "message": e.message}),
                           "application/x-amz-json-1.1", {"x-amzn-ErrorType": e.type})
            return
        form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        action = form.get("Action", "")
        self.fake.record("query", action, auth, raw, self.sig_ok)
        rid = str(uuid.uuid4())
        try:
            with self.fake.lock:
                result = self.fake.query(action, form)
            xml = ('<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>'
                   '%s</RequestId></ResponseMetadata></%sResponse>') % (
                action, NS, action, result, action, rid, action)
            self._send(200, xml, "text/xml")
        except QueryError as e:
            xml = ('<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code>'
                   '<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>') % (
                NS, e.code, escape(e.message), rid)
            self._send(e.status, xml, "text/xml")


class FakeRedshift:
    def __init__(self, port=0, secret=None):
        self.secret = secret
        self.state = default_state()
        self.requests = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.fake = self
        self.thread = None

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def record(self, protocol, op, auth, raw, sig_ok=None):
        with self.lock:
            self.requests.append({"protocol": protocol, "operation": op, "authorization": auth,
                                  "body": raw.decode("utf-8", "replace"),
                                  "signature_ok": sig_ok})

    def check_signature(self, method, path, headers, raw):
        """Recomputes the request's SigV4 signature with botocore; None without a secret."""
        if not self.secret:
            return None
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$",
                     headers.get("Authorization", ""))
        if not m:
            return False
        akid, _, region, service, signed, sig = m.groups()
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        hdrs = {h: headers.get(h, "") for h in signed.split(";")}
        req = AWSRequest(method=method, url="http://%s%s" % (headers.get("Host"), path),
                         data=raw, headers=hdrs)
        req.context["timestamp"] = headers.get("X-Amz-Date", "")
        auth = SigV4Auth(Credentials(akid, self.secret, headers.get("X-Amz-Security-Token")),
                         service, region)
        want = auth.signature(auth.string_to_sign(req, auth.canonical_request(req)), req)
        return want == sig

    # ---- Redshift (awsQuery) ----

    def query(self, action, form):
        st = self.state
        if form.get("Version") != "2012-12-01":
            raise QueryError(400, "InvalidParameterValue", "Version must be 2012-12-01")
        if action == "DescribeClusters":
            cid = form.get("ClusterIdentifier")
            cl = [c for c in st["clusters"] if not cid or c["ClusterIdentifier"] == cid]
            if cid and not cl:
                raise QueryError(404, "ClusterNotFound", "Cluster %s not found." % cid)
            return "<Clusters>%s</Clusters>" % "".join(cluster_xml(c) for c in cl)
        if action == "DescribeClusterParameters":
            group = form.get("ParameterGroupName")
            if group not in st["parameters"]:
                raise QueryError(404, "ClusterParameterGroupNotFound",
                                 "ParameterGroup %s not found." % group)
            src = form.get("Source")
            items = "".join(
                "<Parameter><ParameterName>%s</ParameterName><ParameterValue>%s</ParameterValue>"
                "<Source>%s</Source><DataType>%s</DataType><ApplyType>%s</ApplyType>"
                "<IsModifiable>true</IsModifiable></Parameter>" % (
                    _x(n), _x(v), _x(s), _x(d), _x(a))
                for n, v, s, d, a in st["parameters"][group] if not src or s == src)
            return "<Parameters>%s</Parameters>" % items
        if action == "CreateClusterSnapshot":
            sid, cid = form.get("SnapshotIdentifier"), form.get("ClusterIdentifier")
            cl = [c for c in st["clusters"] if c["ClusterIdentifier"] == cid]
            if not cl:
                raise QueryError(404, "ClusterNotFound", "Cluster %s not found." % cid)
            if sid in st["snapshots"]:
                raise QueryError(400, "ClusterSnapshotAlreadyExists",
                                 "Cannot create the snapshot because a snapshot with the "
                                 "identifier %s already exists." % sid)
            s = {"id": sid, "cluster": cid, "created": now_iso(), "status": "creating",
                 "node_type": cl[0]["NodeType"], "nodes": cl[0]["NumberOfNodes"],
                 "arn": "arn:aws:redshift:%s:%s:snapshot:%s/%s" % (REGION, ACCOUNT, cid, sid)}
            st["snapshots"][sid] = s
            out = snapshot_xml(s)
            s["status"] = "available"     # the next describe sees it done
            return out
        if action == "DescribeClusterSnapshots":
            sid, cid = form.get("SnapshotIdentifier"), form.get("ClusterIdentifier")
            if sid and sid not in st["snapshots"]:
                raise QueryError(404, "ClusterSnapshotNotFound", "Snapshot %s not found." % sid)
            snaps = [s for s in st["snapshots"].values()
                     if (not sid or s["id"] == sid) and (not cid or s["cluster"] == cid)]
            return "<Snapshots>%s</Snapshots>" % "".join(snapshot_xml(s) for s in snaps)
        raise QueryError(400, "InvalidAction", "Could not find operation %s" % action)

    # ---- Redshift Serverless (awsJson1_1) ----

    def serverless(self, op, b):
        st = self.state

        def need(k):
            if not b.get(k):
                raise JsonError(400, "ValidationException", "%s is required" % k)
            return b[k]

        if op == "ListNamespaces":
            return {"namespaces": list(st["namespaces"].values())}
        if op == "ListWorkgroups":
            return {"workgroups": list(st["workgroups"].values())}
        if op == "CreateNamespace":
            name = need("namespaceName")
            if name in st["namespaces"]:
                raise JsonError(409, "ConflictException", "Namespace %s already exists" % name)
            ns = {"namespaceName": name, "namespaceId": str(uuid.uuid4()),
                  "namespaceArn": "arn:aws:redshift-serverless:%s:%s:namespace/%s" % (
                      REGION, ACCOUNT, uuid.uuid4()),
                  "status": "AVAILABLE", "creationDate": now_iso(), "dbName": b.get("dbName", "dev"),
                  "adminUsername": b.get("adminUsername", "admin"),
                  "iamRoles": b.get("iamRoles", []), "logExports": b.get("logExports", [])}
            st["namespaces"][name] = ns
            return {"namespace": ns}
        if op == "CreateWorkgroup":
            name, ns = need("workgroupName"), need("namespaceName")
            if ns not in st["namespaces"]:
                raise JsonError(404, "ResourceNotFoundException", "Namespace %s not found" % ns)
            if name in st["workgroups"]:
                raise JsonError(409, "ConflictException", "Workgroup %s already exists" % name)
            if any(w["namespaceName"] == ns for w in st["workgroups"].values()):
                raise JsonError(409, "ConflictException",
                                "Namespace %s is already associated with a workgroup" % ns)
            wg = {"workgroupName": name, "namespaceName": ns,
                  "workgroupId": str(uuid.uuid4()),
                  "workgroupArn": "arn:aws:redshift-serverless:%s:%s:workgroup/%s" % (
                      REGION, ACCOUNT, uuid.uuid4()),
                  "baseCapacity": b.get("baseCapacity", 128), "maxCapacity": b.get("maxCapacity"),
                  "status": "AVAILABLE", "creationDate": now_iso(),
                  "configParameters": b.get("configParameters", []),
                  "endpoint": {"address": "%s.%s.%s.redshift-serverless.amazonaws.com" % (
                      name, ACCOUNT, REGION), "port": b.get("port", 5439)}}
            if wg["maxCapacity"] is None:
                del wg["maxCapacity"]
            st["workgroups"][name] = wg
            return {"workgroup": wg}
        if op == "GetNamespace":
            name = need("namespaceName")
            if name not in st["namespaces"]:
                raise JsonError(404, "ResourceNotFoundException", "Namespace %s not found" % name)
            ns = st["namespaces"][name]
            out = dict(ns)
            if ns["status"] == "MODIFYING":   # a restore finishes after one status read
                ns["status"] = "AVAILABLE"
            return {"namespace": out}
        if op == "GetWorkgroup":
            name = need("workgroupName")
            if name not in st["workgroups"]:
                raise JsonError(404, "ResourceNotFoundException", "Workgroup %s not found" % name)
            return {"workgroup": st["workgroups"][name]}
        if op == "RestoreFromSnapshot":
            ns, wg = need("namespaceName"), need("workgroupName")
            arn = b.get("snapshotArn")
            if ns not in st["namespaces"] or wg not in st["workgroups"]:
                raise JsonError(404, "ResourceNotFoundException",
                                "Namespace %s or workgroup %s not found" % (ns, wg))
            if not arn or not any(s["arn"] == arn for s in st["snapshots"].values()):
                raise JsonError(404, "ResourceNotFoundException", "Snapshot %s not found" % arn)
            st["namespaces"][ns]["status"] = "MODIFYING"
            return {"snapshotName": arn.rsplit("/", 1)[-1], "ownerAccount": ACCOUNT,
                    "namespace": st["namespaces"][ns]}
        raise JsonError(400, "UnknownOperationException", "Unknown operation %s" % op)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    fake = FakeRedshift(args.port)
    print("listening port=%d" % fake.port, flush=True)
    try:
        fake.httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
