// sdk.test.mjs - agentmemd driven by the AWS SDK for JavaScript v3 (node:test).
// Starts build/agentmemd (or $AGENTMEM_BIN) on a free loopback port with a temp database,
// exercises both planes with the official clients, their paginators and error classes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import * as dp from "@aws-sdk/client-bedrock-agentcore";
import * as cp from "@aws-sdk/client-bedrock-agentcore-control";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const bin = process.env.AGENTMEM_BIN || join(root, "build", "agentmemd");
let server, dir, data, control;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agentmem-js-"));
  const port = await freePort();
  server = spawn(bin, ["--listen", `127.0.0.1:${port}`, "--db", join(dir, "js.db"),
    "--access-log", "off"], { stdio: ["ignore", "ignore", "inherit"] });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${endpoint}/_agentmem/health`)).ok) break; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  const cfg = { endpoint, region: "us-east-1", maxAttempts: 1,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" } };
  data = new dp.BedrockAgentCoreClient(cfg);
  control = new cp.BedrockAgentCoreControlClient(cfg);
});

after(async () => {
  const done = new Promise((r) => server.on("exit", (code) => r(code)));
  server.kill("SIGTERM");
  assert.equal(await done, 0, "agentmemd exits 0 on SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

test("control plane: create, get, list, update, delete a memory", async () => {
  const { memory } = await control.send(new cp.CreateMemoryCommand({
    name: "JsMemory", eventExpiryDuration: 30,
    memoryStrategies: [{ semanticMemoryStrategy: { name: "Facts" } }] }));
  assert.match(memory.id, /^JsMemory-[A-Za-z0-9]{10}$/);
  assert.ok(memory.createdAt instanceof Date);
  assert.equal(memory.strategies[0].type, "SEMANTIC");
  const got = await control.send(new cp.GetMemoryCommand({ memoryId: memory.id }));
  assert.equal(got.memory.name, "JsMemory");
  const list = await control.send(new cp.ListMemoriesCommand({}));
  assert.ok(list.memories.some((m) => m.id === memory.id));
  const upd = await control.send(new cp.UpdateMemoryCommand({ memoryId: memory.id,
    eventExpiryDuration: 60 }));
  assert.equal(upd.memory.eventExpiryDuration, 60);
  await assert.rejects(control.send(new cp.CreateMemoryCommand({ name: "JsMemory",
    eventExpiryDuration: 30 })), (e) => e.name === "ValidationException" &&
    /already exists/.test(e.message));
  const del = await control.send(new cp.DeleteMemoryCommand({ memoryId: memory.id }));
  assert.equal(del.status, "DELETING");
  await assert.rejects(control.send(new cp.GetMemoryCommand({ memoryId: memory.id })),
    cp.ResourceNotFoundException);
});

test("data plane: events, paginators, sessions, actors, records, jobs, errors", async () => {
  const { memory } = await control.send(new cp.CreateMemoryCommand({
    name: "JsData", eventExpiryDuration: 30 }));
  const memoryId = memory.id;
  const ids = [];
  for (let i = 0; i < 5; i++) {
    const { event } = await data.send(new dp.CreateEventCommand({
      memoryId, actorId: "user/alice:dev", sessionId: "s1",
      eventTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i, 123)),
      payload: [{ conversational: { content: { text: `turn ${i} ünïcode` }, role: "USER" } },
        { blob: { any: ["json", 1, true, null] } }],
      metadata: { step: { stringValue: `s${i % 2}` } } }));
    assert.equal(event.eventTimestamp.getTime(), Date.UTC(2026, 0, 1, 0, 0, i, 123));
    ids.push(event.eventId);
  }
  const got = await data.send(new dp.GetEventCommand({ memoryId, actorId: "user/alice:dev",
    sessionId: "s1", eventId: ids[2] }));
  assert.equal(got.event.payload[0].conversational.content.text, "turn 2 ünïcode");
  assert.deepEqual(got.event.payload[1].blob, { any: ["json", 1, true, null] });
  const seen = [];
  for await (const page of dp.paginateListEvents({ client: data, pageSize: 2 },
    { memoryId, actorId: "user/alice:dev", sessionId: "s1" })) {
    seen.push(...page.events.map((e) => e.eventId));
  }
  assert.deepEqual(seen, [...ids].reverse());
  const sessions = await data.send(new dp.ListSessionsCommand({ memoryId,
    actorId: "user/alice:dev" }));
  assert.deepEqual(sessions.sessionSummaries.map((s) => s.sessionId), ["s1"]);
  const actors = await data.send(new dp.ListActorsCommand({ memoryId }));
  assert.deepEqual(actors.actorSummaries.map((a) => a.actorId), ["user/alice:dev"]);
  await data.send(new dp.DeleteEventCommand({ memoryId, actorId: "user/alice:dev",
    sessionId: "s1", eventId: ids[0] }));
  await assert.rejects(data.send(new dp.GetEventCommand({ memoryId, actorId: "user/alice:dev",
    sessionId: "s1", eventId: ids[0] })), dp.ResourceNotFoundException);

  const created = await data.send(new dp.BatchCreateMemoryRecordsCommand({ memoryId,
    records: [0, 1, 2].map((i) => ({ requestIdentifier: `r${i}`, namespaces: ["/facts/alice"],
      content: { text: `prod-cluster fact ${i} about WLM queues` },
      timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) })) }));
  assert.equal(created.successfulRecords.length, 3);
  const found = await data.send(new dp.RetrieveMemoryRecordsCommand({ memoryId,
    namespace: "/facts", searchCriteria: { searchQuery: "WLM queues", topK: 3 } }));
  assert.equal(found.memoryRecordSummaries.length, 3);
  assert.ok(found.memoryRecordSummaries.every((r) => r.score > 0 && r.score <= 1));
  const listed = [];
  for await (const page of dp.paginateListMemoryRecords({ client: data, pageSize: 1 },
    { memoryId, namespace: "/facts/alice" })) {
    listed.push(...page.memoryRecordSummaries);
  }
  assert.equal(listed.length, 3);
  const rid = created.successfulRecords[0].memoryRecordId;
  await data.send(new dp.BatchUpdateMemoryRecordsCommand({ memoryId, records: [
    { memoryRecordId: rid, timestamp: new Date(), content: { text: "corrected" } }] }));
  const rec = await data.send(new dp.GetMemoryRecordCommand({ memoryId, memoryRecordId: rid }));
  assert.equal(rec.memoryRecord.content.text, "corrected");
  await data.send(new dp.DeleteMemoryRecordCommand({ memoryId, memoryRecordId: rid }));
  const bd = await data.send(new dp.BatchDeleteMemoryRecordsCommand({ memoryId,
    records: [{ memoryRecordId: rid }] }));
  assert.equal(bd.failedRecords.length, 1);
  const jobs = await data.send(new dp.ListMemoryExtractionJobsCommand({ memoryId }));
  assert.deepEqual(jobs.jobs, []);
  await assert.rejects(data.send(new dp.StartMemoryExtractionJobCommand({ memoryId,
    extractionJob: { jobId: "job-none" } })), dp.ResourceNotFoundException);

  // the JS SDK validates nothing client-side: the server must
  await assert.rejects(data.send(new dp.CreateEventCommand({ memoryId, actorId: "alice",
    eventTimestamp: new Date(), payload: [] })), (e) => e.name === "ValidationException" &&
    e.$metadata.httpStatusCode === 400 && /payload/.test(e.message));
  await assert.rejects(data.send(new dp.ListEventsCommand({ memoryId, actorId: "alice",
    sessionId: "s1", maxResults: 1000 })), dp.ValidationException);
  await assert.rejects(data.send(new dp.ListEventsCommand({ memoryId: "Missing-abcdefghij",
    actorId: "alice", sessionId: "s1" })), dp.ResourceNotFoundException);
});
