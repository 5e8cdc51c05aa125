"""build/redshift-sim (src/sim/redshift_sim.c) driven by boto3's own `redshift` and
`redshift-serverless` clients: botocore must parse every reply (that is the point: the
simulator speaks the real wire formats), errors come back as the right exception classes,
and a restart on the same --state file remembers everything. Then the agent runs against
it, so the agent's parsers meet the format boto3 accepts."""
import json
import os
import re
import subprocess
import tempfile

import unittest

import boto3
from botocore.config import Config

import harness

SIM = os.path.join(os.path.dirname(harness.binary()), "redshift-sim")
AGENT = os.path.join(os.path.dirname(harness.binary()), "redshift-migration-agent")
WLM = [{"name": "etl", "user_group": ["etl_users"], "query_concurrency": 5,
        "memory_percent_to_use": 60},
       {"name": "adhoc", "query_group": ["adhoc"], "query_concurrency": 3,
        "memory_percent_to_use": 40},
       {"short_query_queue": True}]


def credentials_file(directory):
    """The keys of this process's environment (what boto3 and the agent sign with), in the
    ~/.aws/credentials format that redshift-sim --credentials reads."""
    path = os.path.join(directory, "sim-credentials")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("[test]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                % (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]))
    return path


class Sim:
    def __init__(self, state, *args):
        self.proc = subprocess.Popen([SIM, "--listen", "127.0.0.1:0", "--state", state] +
                                     list(args), stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        self.port = int(re.search(r"listening addr=127\.0\.0\.1:(\d+)", line).group(1))
        self.url = "http://127.0.0.1:%d" % self.port

    def client(self, service):
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-2",
                            config=Config(retries={"max_attempts": 1}))

    def stop(self):
        self.proc.terminate()
        return self.proc.wait(10)


@unittest.skipUnless(os.access(SIM, os.X_OK), "build/redshift-sim not built")
class TestRedshiftSim(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="redshift-sim-")
        harness._TMPDIRS.append(self.dir)
        self.state = os.path.join(self.dir, "state.json")
        self.sim = Sim(self.state)

    def tearDown(self):
        self.assertEqual(self.sim.stop(), 0)

    def setup_cluster(self, rs):
        rs.create_cluster_parameter_group(ParameterGroupName="ops-params",
                                          ParameterGroupFamily="redshift-1.0",
                                          Description="ops")
        rs.modify_cluster_parameter_group(ParameterGroupName="ops-params", Parameters=[
            {"ParameterName": "wlm_json_configuration", "ParameterValue": json.dumps(WLM)}])
        c = rs.create_cluster(ClusterIdentifier="ops-cluster", NodeType="ra3.xlplus",
                              NumberOfNodes=2, MasterUsername="admin",
                              MasterUserPassword="Secret123!",
                              ClusterParameterGroupName="ops-params")["Cluster"]
        self.assertEqual(c["ClusterStatus"], "creating")
        return c

    def test_redshift_with_boto3(self):
        rs = self.sim.client("redshift")
        self.setup_cluster(rs)
        cl = rs.describe_clusters()["Clusters"]
        self.assertEqual([(c["ClusterIdentifier"], c["NodeType"], c["NumberOfNodes"])
                          for c in cl], [("ops-cluster", "ra3.xlplus", 2)])
        self.assertEqual(rs.describe_clusters(ClusterIdentifier="ops-cluster")["Clusters"][0]
                         ["ClusterStatus"], "available")
        self.assertEqual(cl[0]["ClusterParameterGroups"][0]["ParameterGroupName"], "ops-params")
        # parameters, one per page through botocore's paginator (Marker)
        pages = list(rs.get_paginator("describe_cluster_parameters").paginate(
            ParameterGroupName="ops-params", PaginationConfig={"PageSize": 1}))
        self.assertGreater(len(pages), 1)
        params = {p["ParameterName"]: p for pg in pages for p in pg["Parameters"]}
        self.assertEqual(json.loads(params["wlm_json_configuration"]["ParameterValue"]), WLM)
        self.assertEqual(params["wlm_json_configuration"]["Source"], "user")
        user = rs.describe_cluster_parameters(ParameterGroupName="ops-params", Source="user")
        self.assertEqual([p["ParameterName"] for p in user["Parameters"]],
                         ["wlm_json_configuration"])
        snap = rs.create_cluster_snapshot(SnapshotIdentifier="s1",
                                          ClusterIdentifier="ops-cluster")["Snapshot"]
        self.assertEqual(snap["SnapshotArn"],
                         "arn:aws:redshift:us-east-2:123456789012:snapshot:ops-cluster/s1")
        got = rs.describe_cluster_snapshots(SnapshotIdentifier="s1")["Snapshots"][0]
        self.assertEqual(got["Status"], "available")
        # errors as botocore's exception classes
        with self.assertRaises(rs.exceptions.ClusterNotFoundFault):
            rs.describe_clusters(ClusterIdentifier="nope")
        with self.assertRaises(rs.exceptions.ClusterSnapshotAlreadyExistsFault):
            rs.create_cluster_snapshot(SnapshotIdentifier="s1", ClusterIdentifier="ops-cluster")
        with self.assertRaises(rs.exceptions.ClusterParameterGroupNotFoundFault):
            rs.describe_cluster_parameters(ParameterGroupName="nope")
        with self.assertRaises(rs.exceptions.ClusterSnapshotNotFoundFault):
            rs.describe_cluster_snapshots(SnapshotIdentifier="nope")

    def test_serverless_with_boto3_and_restart(self):
        rs, sl = self.sim.client("redshift"), self.sim.client("redshift-serverless")
        self.setup_cluster(rs)
        arn = rs.create_cluster_snapshot(SnapshotIdentifier="mig",
                                         ClusterIdentifier="ops-cluster")["Snapshot"]["SnapshotArn"]
        ns = sl.create_namespace(namespaceName="ops-ns", manageAdminPassword=True,
                                 adminUsername="admin")["namespace"]
        self.assertEqual(ns["status"], "AVAILABLE")
        self.assertTrue(ns["adminPasswordSecretArn"].startswith("arn:aws:secretsmanager:"))
        wg = sl.create_workgroup(workgroupName="ops-wg", namespaceName="ops-ns",
                                 baseCapacity=64)["workgroup"]
        self.assertEqual((wg["status"], wg["baseCapacity"]), ("CREATING", 64))
        self.assertEqual(sl.get_workgroup(workgroupName="ops-wg")["workgroup"]["status"],
                         "AVAILABLE")
        r = sl.restore_from_snapshot(namespaceName="ops-ns", workgroupName="ops-wg",
                                     snapshotArn=arn)
        self.assertEqual(r["namespace"]["status"], "MODIFYING")
        self.assertEqual(sl.get_namespace(namespaceName="ops-ns")["namespace"]["status"],
                         "MODIFYING")
        self.assertEqual(sl.get_namespace(namespaceName="ops-ns")["namespace"]["status"],
                         "AVAILABLE")
        self.assertEqual([w["workgroupName"] for w in sl.list_workgroups()["workgroups"]],
                         ["ops-wg"])
        with self.assertRaises(sl.exceptions.ConflictException):
            sl.create_namespace(namespaceName="ops-ns")
        with self.assertRaises(sl.exceptions.ConflictException):
            sl.create_workgroup(workgroupName="other-wg", namespaceName="ops-ns")
        with self.assertRaises(sl.exceptions.ResourceNotFoundException):
            sl.get_workgroup(workgroupName="nope")
        with self.assertRaises(sl.exceptions.ResourceNotFoundException):
            sl.restore_from_snapshot(namespaceName="ops-ns", workgroupName="ops-wg",
                                     snapshotArn=arn + "x")
        # a restart on the same state file remembers everything
        self.assertEqual(self.sim.stop(), 0)
        self.sim = Sim(self.state)
        rs, sl = self.sim.client("redshift"), self.sim.client("redshift-serverless")
        self.assertEqual(rs.describe_clusters()["Clusters"][0]["ClusterIdentifier"],
                         "ops-cluster")
        self.assertEqual(rs.describe_cluster_snapshots()["Snapshots"][0]["SnapshotIdentifier"],
                         "mig")
        self.assertEqual(sl.get_workgroup(workgroupName="ops-wg")["workgroup"]["baseCapacity"],
                         64)

    @unittest.skipUnless(os.access(AGENT, os.X_OK), "agent not built")
    def test_the_agent_reads_what_boto3_wrote(self):
        self.setup_cluster(self.sim.client("redshift"))
        env = dict(os.environ, AWS_REGION="us-east-2",
                   AWS_ENDPOINT_URL_REDSHIFT=self.sim.url,
                   AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS=self.sim.url)
        env.pop("AGENTCORE_MEMORY_ID", None)
        out = subprocess.run([AGENT, "invoke", "--payload", json.dumps(
            {"message": "Show the WLM queues of ops-cluster"})], capture_output=True,
            text=True, env=env, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        reply = json.loads(json.loads(out.stdout)["body"])["response"]
        self.assertIn("Cluster ops-cluster (parameter group ops-params) has 2 WLM queues", reply)
        self.assertIn("etl (user_groups etl_users, concurrency 5, memory 60%)", reply)
        self.assertIn("short query acceleration", reply.lower())
        seen = json.load(__import__("urllib.request").request.urlopen(
            self.sim.url + "/_sim/requests"))
        ops = [r["operation"] for r in seen if r["protocol"] == "query"]
        self.assertIn("DescribeClusterParameters", ops)
        self.assertTrue(all(r["authorization"].startswith("AWS4-HMAC-SHA256 ")
                            for r in seen[-2:]))

    def test_signatures_checked_with_credentials(self):
        self.assertEqual(self.sim.stop(), 0)
        self.sim = Sim(self.state, "--demo", "--credentials", credentials_file(self.dir))
        rs, sl = self.sim.client("redshift"), self.sim.client("redshift-serverless")
        self.assertEqual(rs.describe_clusters()["Clusters"][0]["ClusterIdentifier"],
                         "prod-cluster")
        self.assertEqual(sl.list_workgroups()["workgroups"], [])

        def as_key(service, key, secret):
            return boto3.client(service, endpoint_url=self.sim.url, region_name="us-east-2",
                                aws_access_key_id=key, aws_secret_access_key=secret,
                                config=Config(retries={"max_attempts": 1}))
        key = os.environ["AWS_ACCESS_KEY_ID"]
        cases = [(as_key("redshift", key, "wrong-secret"), "SignatureDoesNotMatch"),
                 (as_key("redshift", "AKIDUNKNOWN", "x"), "InvalidClientTokenId"),
                 (as_key("redshift-serverless", key, "wrong-secret"),
                  "InvalidSignatureException"),
                 (as_key("redshift-serverless", "AKIDUNKNOWN", "x"),
                  "UnrecognizedClientException")]
        for client, code in cases:
            with self.assertRaises(client.exceptions.ClientError) as cm:
                if client.meta.service_model.service_name == "redshift":
                    client.create_cluster_snapshot(SnapshotIdentifier="bad",
                                                   ClusterIdentifier="prod-cluster")
                else:
                    client.create_namespace(namespaceName="bad-ns")
            self.assertEqual(cm.exception.response["Error"]["Code"], code)
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        # nothing changed
        self.assertEqual(rs.describe_cluster_snapshots()["Snapshots"], [])
        self.assertEqual(sl.list_namespaces()["namespaces"], [])

    def test_demo_seed(self):
        d = tempfile.mkdtemp(prefix="redshift-sim-demo-")
        harness._TMPDIRS.append(d)
        demo = Sim(os.path.join(d, "s.json"), "--demo")
        try:
            rs = demo.client("redshift")
            c = rs.describe_clusters()["Clusters"][0]
            self.assertEqual((c["ClusterIdentifier"], c["NodeType"], c["NumberOfNodes"]),
                             ("prod-cluster", "ra3.4xlarge", 4))
            p = rs.describe_cluster_parameters(ParameterGroupName="prod-cluster-params",
                                               Source="user")["Parameters"][0]
            self.assertEqual(len(json.loads(p["ParameterValue"])), 4)
        finally:
            self.assertEqual(demo.stop(), 0)



if __name__ == "__main__":
    unittest.main()
