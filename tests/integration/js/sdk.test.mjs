// sdk.test.mjs - agentmemd driven by the AWS SDK for JavaScript v3 (node:test, node:assert).
//
// One real agentmemd (agentmemd.mjs) serves every test; @aws-sdk/client-bedrock-agentcore and
// -control, pinned by package-lock.json, point at it with an endpoint override and fake keys.
// Covered: every memory operation of both planes, every paginator of them, the
// memory-created waiter, timestamps (the JS SDK turns our epoch-second numbers into Dates and
// throws on ISO strings, so each Date is checked to the millisecond), and errors arriving as
// the SDK's own exception classes with their HTTP status, `reason` and `fieldList`. The JS SDK
// validates nothing before sending, so bad input here reaches the server, unlike with boto3.
// Run: tests/integration/run_js.sh build   (or: cd tests/integration/js && node --test)
import * as dp from "@aws-sdk/client-bedrock-agentcore";
import * as cp from "@aws-sdk/client-bedrock-agentcore-control";
import assert from "node:assert/strict";
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {after, before, describe, it} from "node:test";

import {clientConfig, startServer} from "./agentmemd.mjs";

const T = { timeout: 60000 };  // per test
const EVENT_ID = /^\d{19}#[0-9a-f]{8}$/;
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 0);  // 1767225600000 ms
let server, data, control, seq = 0;

const unique = (prefix) => `${prefix}${++seq}_${Math.random().toString(36).slice(2, 8)}`;
const conv = (text, role = "USER") => ({ conversational: { content: { text }, role } });

// a Date the SDK parsed from our JSON number, equal to `ms` to the millisecond
function assertDate(value, ms, what = "timestamp") {
  assert.ok(value instanceof Date, `${what} is a Date, got ${typeof value} ${value}`);
  assert.ok(!Number.isNaN(value.getTime()), `${what} is a valid Date`);
  if (ms !== undefined) assert.equal(value.getTime(), ms, what);
}

// a Date of the server's clock, within `slackMs` of now
function assertRecent(value, what, slackMs = 120000) {
  assertDate(value, undefined, what);
  assert.ok(
      Math.abs(value.getTime() - Date.now()) < slackMs, `${what} ${value.toISOString()} is now`);
}

// expect `promise` to reject with an instance of `cls` (by class, not just by name)
async function rejectsWith(promise, cls, status, check) {
  await assert.rejects(promise, (e) => {
    assert.ok(
        e instanceof cls, `want ${cls.name}, got ${e.constructor.name} ${e.name}: ${e.message}`);
    assert.equal(e.name, cls.name);
    assert.equal(e.$metadata.httpStatusCode, status);
    assert.equal(e.$fault, status < 500 ? "client" : "server");
    assert.ok(e.$metadata.requestId, "the x-amzn-RequestId reaches $metadata");
    assert.ok(e.message, "a message");
    if (check) check(e);
    return true;
  });
}

async function collect(pages, key) {
  const items = [];
  let n = 0;
  for await (const page of pages) {
    n++;
    items.push(...page[key]);
  }
  return { items, pages: n };
}

async function newMemory(prefix, extra = {}) {
  const { memory } = await control.send(
      new cp.CreateMemoryCommand({ name: unique(prefix), eventExpiryDuration: 30, ...extra }));
  return memory.id;
}

before(async () => {
  server = await startServer(["--access-log", "off"]);
  data = new dp.BedrockAgentCoreClient(clientConfig(server.endpoint));
  control = new cp.BedrockAgentCoreControlClient(clientConfig(server.endpoint));
});

after(async () => {
  data?.destroy();
  control?.destroy();
  if (server) {
    const log = server.logText();
    const code = await server.stop();
    assert.equal(code, 0, `agentmemd exits 0 on SIGTERM:\n${log.slice(-4000)}`);
  }
});

describe("control plane", () => {
  it("CreateMemory with every strategy kind, GetMemory by id and ARN, the waiter", T, async () => {
    const name = unique("JsStrategies");
    const before = Date.now();
    const { memory } = await control.send(new cp.CreateMemoryCommand({
      name,
      description: "made by the JS SDK ✓",
      eventExpiryDuration: 90,
      memoryStrategies: [
        { semanticMemoryStrategy: { name: "Facts", namespaces: ["/facts/{actorId}"] } },
        { summaryMemoryStrategy: { name: "Sum", namespaces: ["/sum/{actorId}/{sessionId}"] } },
        { userPreferenceMemoryStrategy: { name: "Prefs", namespaces: ["/prefs/{actorId}"] } },
      ]
    }));
    assert.match(memory.id, new RegExp(`^${name}-[A-Za-z0-9]{10}$`));
    assert.equal(
        memory.arn, `arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/${memory.id}`);
    assert.equal(memory.eventExpiryDuration, 90);
    assertRecent(memory.createdAt, "memory.createdAt");
    assert.ok(memory.createdAt.getTime() >= before - 2000);
    assertDate(memory.updatedAt, memory.createdAt.getTime(), "memory.updatedAt");
    assert.deepEqual(
        memory.strategies.map((s) => s.type), ["SEMANTIC", "SUMMARIZATION", "USER_PREFERENCE"]);
    for (const s of memory.strategies) {
      assert.match(s.strategyId, new RegExp(`^${s.name}-[A-Za-z0-9]{10}$`));
      assertDate(s.createdAt, undefined, "strategy.createdAt");
      assert.ok(s.namespaces.length === 1);
    }
    const waited = await cp.waitUntilMemoryCreated(
        { client: control, maxWaitTime: 30 }, { memoryId: memory.id });
    assert.equal(waited.state, "SUCCESS");
    const got = (await control.send(new cp.GetMemoryCommand({ memoryId: memory.id }))).memory;
    assert.equal(got.status, "ACTIVE");
    assert.equal(got.description, "made by the JS SDK ✓");
    assertDate(got.createdAt, memory.createdAt.getTime(), "GetMemory createdAt");
    assert.deepEqual(
        got.strategies.map((s) => s.strategyId), memory.strategies.map((s) => s.strategyId));
    const byArn =
        await control.send(new cp.GetMemoryCommand({ memoryId: memory.arn, view: "full" }));
    assert.equal(byArn.memory.id, memory.id);
  });

  it("CreateMemory replays a clientToken", T, async () => {
    const name = unique("JsToken");
    const clientToken = `tok-${name}`;
    const a = await control.send(
        new cp.CreateMemoryCommand({ name, eventExpiryDuration: 30, clientToken }));
    const b = await control.send(
        new cp.CreateMemoryCommand({ name, eventExpiryDuration: 30, clientToken }));
    assert.equal(b.memory.id, a.memory.id);
  });

  it("ListMemories and paginateListMemories", T, async () => {
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push(await newMemory("JsList"));
    const { items, pages } =
        await collect(cp.paginateListMemories({ client: control, pageSize: 2 }, {}), "memories");
    const ids = items.map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length, "no memory twice");
    for (const id of mine) assert.ok(ids.includes(id), `${id} listed`);
    assert.equal(pages, Math.ceil(ids.length / 2));
    for (const m of items) {
      assert.ok(m.arn && m.status);
      assertDate(m.createdAt, undefined, "summary.createdAt");
      assertDate(m.updatedAt, undefined, "summary.updatedAt");
    }
    const first = await control.send(new cp.ListMemoriesCommand({ maxResults: 3 }));
    assert.equal(first.memories.length, 3);
    assert.ok(first.nextToken);
    const next = await control.send(
        new cp.ListMemoriesCommand({ maxResults: 100, nextToken: first.nextToken }));
    assert.deepEqual([...first.memories, ...next.memories].map((m) => m.id), ids);
    assert.equal(next.nextToken, undefined);
  });

  it("UpdateMemory: description, expiry, strategies added, modified, deleted; indexed keys", T,
     async () => {
       const id = await newMemory("JsUpdate", {
         memoryStrategies: [
           { semanticMemoryStrategy: { name: "Facts" } }, { summaryMemoryStrategy: { name: "Sum" } }
         ],
         indexedKeys: [{ key: "team", type: "STRING" }]
       });
       const cur = (await control.send(new cp.GetMemoryCommand({ memoryId: id }))).memory;
       const sid = Object.fromEntries(cur.strategies.map((s) => [s.name, s.strategyId]));
       const { memory } = await control.send(new cp.UpdateMemoryCommand({
         memoryId: id,
         description: "updated",
         eventExpiryDuration: 7,
         memoryStrategies: {
           addMemoryStrategies: [{ userPreferenceMemoryStrategy: { name: "Prefs" } }],
           modifyMemoryStrategies: [{
             memoryStrategyId: sid.Facts,
             description: "modified",
             namespaces: ["/facts2/{actorId}"]
           }],
           deleteMemoryStrategies: [{ memoryStrategyId: sid.Sum }]
         },
         addIndexedKeys: [{ key: "priority", type: "NUMBER" }]
       }));
       assert.equal(memory.description, "updated");
       assert.equal(memory.eventExpiryDuration, 7);
       const byName = Object.fromEntries(memory.strategies.map((s) => [s.name, s]));
       assert.deepEqual(Object.keys(byName).sort(), ["Facts", "Prefs"]);
       assert.equal(byName.Facts.strategyId, sid.Facts);
       assert.equal(byName.Facts.description, "modified");
       assert.deepEqual(byName.Facts.namespaces, ["/facts2/{actorId}"]);
       assert.equal(byName.Prefs.type, "USER_PREFERENCE");
       assert.deepEqual(memory.indexedKeys.map((k) => k.key), ["team", "priority"]);
       assert.ok(memory.updatedAt.getTime() >= cur.updatedAt.getTime());
     });

  it("DeleteMemory, then every call on it is ResourceNotFoundException", T, async () => {
    const memoryId = await newMemory("JsDelete");
    await data.send(new dp.CreateEventCommand({
      memoryId,
      actorId: "a",
      sessionId: "s",
      eventTimestamp: new Date(),
      payload: [conv("bye")]
    }));
    const del = await control.send(new cp.DeleteMemoryCommand({ memoryId }));
    assert.deepEqual([del.memoryId, del.status], [memoryId, "DELETING"]);
    await rejectsWith(
        control.send(new cp.GetMemoryCommand({ memoryId })), cp.ResourceNotFoundException, 404);
    await rejectsWith(
        control.send(new cp.DeleteMemoryCommand({ memoryId })), cp.ResourceNotFoundException, 404);
    await rejectsWith(
        data.send(new dp.ListEventsCommand({ memoryId, actorId: "a", sessionId: "s" })),
        dp.ResourceNotFoundException, 404);
  });

  it("errors: name taken, out of range, bad name, too many strategies, unknown memory", T,
     async () => {
       const name = unique("JsTaken");
       await control.send(new cp.CreateMemoryCommand({ name, eventExpiryDuration: 30 }));
       await rejectsWith(
           control.send(new cp.CreateMemoryCommand({ name, eventExpiryDuration: 30 })),
           cp.ValidationException, 400, (e) => assert.match(e.message, /already exists/));
       await rejectsWith(
           control.send(
               new cp.CreateMemoryCommand({ name: unique("JsExp"), eventExpiryDuration: 2 })),
           cp.ValidationException, 400, (e) => {
             assert.equal(e.reason, "FieldValidationFailed");
             assert.deepEqual(e.fieldList.map((f) => f.name), ["eventExpiryDuration"]);
           });
       await rejectsWith(
           control.send(new cp.CreateMemoryCommand({ name: "bad name!", eventExpiryDuration: 30 })),
           cp.ValidationException, 400,
           (e) => assert.deepEqual(e.fieldList.map((f) => f.name), ["name"]));
       await rejectsWith(
           control.send(new cp.CreateMemoryCommand({ eventExpiryDuration: 30 })),
           cp.ValidationException, 400, (e) => assert.match(e.message, /name/));
       await rejectsWith(
           control.send(new cp.CreateMemoryCommand({
             name: unique("JsSeven"),
             eventExpiryDuration: 30,
             memoryStrategies:
                 [0, 1, 2, 3, 4, 5, 6].map((i) => ({ semanticMemoryStrategy: { name: `S${i}` } }))
           })),
           cp.ServiceQuotaExceededException, 402);
       await rejectsWith(
           control.send(new cp.GetMemoryCommand({ memoryId: "Missing-abcdefghij" })),
           cp.ResourceNotFoundException, 404);
       await rejectsWith(
           control.send(
               new cp.UpdateMemoryCommand({ memoryId: "Missing-abcdefghij", description: "x" })),
           cp.ResourceNotFoundException, 404);
     });

  it("operations agentmemd does not serve fail cleanly as UnknownOperationException 404", T,
     async () => {
       const id = await newMemory("JsTags");
       const { memory } = await control.send(new cp.GetMemoryCommand({ memoryId: id }));
       for (const cmd
                of [new cp.TagResourceCommand({ resourceArn: memory.arn, tags: { a: "b" } }),
                    new cp.ListTagsForResourceCommand({ resourceArn: memory.arn }),
                    new cp.GetResourcePolicyCommand({ resourceArn: memory.arn })]) {
         await assert.rejects(control.send(cmd), (e) => {
           assert.ok(e instanceof cp.BedrockAgentCoreControlServiceException);
           assert.equal(e.name, "UnknownOperationException");
           assert.equal(e.$metadata.httpStatusCode, 404);
           return true;
         });
       }
     });
});

describe("events", () => {
  let memoryId;
  before(async () => {
    memoryId = await newMemory("JsEvents");
  });

  const put = (actorId, sessionId, payload, extra = {}) => data.send(new dp.CreateEventCommand(
      { memoryId, actorId, sessionId, eventTimestamp: new Date(T0), payload, ...extra }));

  it("CreateEvent and GetEvent: conversational, blob, metadata, unicode, ms timestamps", T,
     async () => {
       const payload = [
         conv(
             "Grüße aus Köln – 你好 – مرحبا – 🎉👩‍💻 – e\u0301", "USER"),
         conv("quotes \"q\" \\ tab\t newline\n", "ASSISTANT"),
         conv("tool output", "TOOL"),
         conv("other", "OTHER"),
         { blob: { any: ["json", 1, 2.5, true, null, { nested: { deep: [] } }] } },
         { blob: "a plain string" },
       ];
       const ts = new Date(T0 + 123);
       const { event } = await data.send(new dp.CreateEventCommand({
         memoryId,
         actorId: "user/alice:dev",
         sessionId: "unicode-1",
         eventTimestamp: ts,
         payload,
         metadata: { location: { stringValue: "NYC" }, step: { stringValue: "1" } }
       }));
       assert.match(event.eventId, EVENT_ID);
       assert.ok(event.eventId.startsWith("0000001767225600123#"), event.eventId);
       assertDate(event.eventTimestamp, T0 + 123, "eventTimestamp");
       assert.deepEqual(event.payload, payload);
       assert.deepEqual(event.branch, { name: "main" });
       // GetEvent sends "user%2Falice%3Adev" and "...123%23<hex>" as path labels
       const got = (await data.send(new dp.GetEventCommand({
                     memoryId,
                     actorId: "user/alice:dev",
                     sessionId: "unicode-1",
                     eventId: event.eventId
                   }))).event;
       assert.equal(got.eventId, event.eventId);
       assertDate(got.eventTimestamp, T0 + 123, "GetEvent eventTimestamp");
       assert.deepEqual(got.payload, payload);
       assert.deepEqual(
           got.metadata, { location: { stringValue: "NYC" }, step: { stringValue: "1" } });
       // whole seconds, and a Date with 999 ms
       for (const ms of [0, 999, 1]) {
         const e = (await put("ts", "ms", [conv(`at ${ms}`)], {
                     eventTimestamp: new Date(T0 + 5000 + ms)
                   })).event;
         assertDate(e.eventTimestamp, T0 + 5000 + ms, `eventTimestamp +${ms} ms`);
         assert.ok(e.eventId.startsWith(String(T0 + 5000 + ms).padStart(19, "0") + "#"));
       }
     });

  it("CreateEvent: a clientToken replays, other content under it is ConflictException", T,
     async () => {
       const clientToken = unique("tok");
       const a = await put("carol", "idem", [conv("once")], { clientToken });
       const b = await put("carol", "idem", [conv("once")], { clientToken });
       assert.equal(b.event.eventId, a.event.eventId);
       await rejectsWith(
           put("carol", "idem", [conv("other")], { clientToken }), dp.ConflictException, 409);
       const listed = await data.send(
           new dp.ListEventsCommand({ memoryId, actorId: "carol", sessionId: "idem" }));
       assert.deepEqual(listed.events.map((e) => e.eventId), [a.event.eventId]);
     });

  it("paginateListEvents, includePayloads, metadata and branch filters", T, async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) {
      const { event } = await put("dave", "paged", [conv(`turn ${i}`)], {
        eventTimestamp: new Date(T0 + i * 1000 + 7),
        metadata: { parity: { stringValue: i % 2 ? "odd" : "even" } }
      });
      ids.push(event.eventId);
    }
    const args = { memoryId, actorId: "dave", sessionId: "paged" };
    // a paginator writes nextToken and maxResults into the input it is given: pass a copy
    const { items, pages } =
        await collect(dp.paginateListEvents({ client: data, pageSize: 2 }, {...args }), "events");
    assert.deepEqual(items.map((e) => e.eventId), [...ids].reverse(), "newest first");
    assert.equal(pages, 4);
    items.forEach((e, k) => assertDate(e.eventTimestamp, T0 + (6 - k) * 1000 + 7));
    assert.deepEqual(items[0].payload, [conv("turn 6")]);
    const bare = await data.send(
        new dp.ListEventsCommand({...args, includePayloads: false, maxResults: 3 }));
    assert.equal(bare.events.length, 3);
    assert.ok(bare.nextToken);
    assert.ok(bare.events.every((e) => (e.payload ?? []).length === 0));
    const odd = await collect(
        dp.paginateListEvents({ client: data, pageSize: 1 }, {
          ...args,
          filter: {
            eventMetadata: [{
              left: { metadataKey: "parity" },
              operator: "EQUALS_TO",
              right: { metadataValue: { stringValue: "odd" } }
            }]
          }
        }),
        "events");
    assert.deepEqual(odd.items.map((e) => e.eventId), [ids[5], ids[3], ids[1]]);

    const fork = (await put("dave", "paged", [conv("on a branch")], {
                   eventTimestamp: new Date(T0 + 100000),
                   branch: { name: "alt", rootEventId: ids[2] }
                 })).event;
    assert.deepEqual(fork.branch, { name: "alt", rootEventId: ids[2] });
    const alt = await data.send(new dp.ListEventsCommand({
      ...args,
      maxResults: 100,
      filter: { branch: { name: "alt", includeParentBranches: true } }
    }));
    assert.deepEqual(alt.events.map((e) => e.eventId), [fork.eventId, ids[2], ids[1], ids[0]]);
    const main = await data.send(new dp.ListEventsCommand(
        {...args, maxResults: 100, filter: { branch: { name: "main" } } }));
    assert.deepEqual(main.events.map((e) => e.eventId), [...ids].reverse());
  });

  it("ListSessions, ListActors and their paginators", T, async () => {
    const mid = await newMemory("JsSessions");
    for (const [actorId, n] of [["erin", 5], ["frank", 1], ["team/gwen:ops", 2]]) {
      for (let s = 0; s < n; s++) {
        await data.send(new dp.CreateEventCommand({
          memoryId: mid,
          actorId,
          sessionId: `sess-${s}`,
          eventTimestamp: new Date(T0 + s * 1000 + 250),
          payload: [conv("hi")]
        }));
      }
    }
    const sessions = await collect(
        dp.paginateListSessions({ client: data, pageSize: 2 }, { memoryId: mid, actorId: "erin" }),
        "sessionSummaries");
    assert.equal(sessions.pages, 3);
    assert.deepEqual(
        sessions.items.map((s) => s.sessionId).sort(), [0, 1, 2, 3, 4].map((i) => `sess-${i}`));
    for (const s of sessions.items) {
      assert.equal(s.actorId, "erin");
      assertDate(s.createdAt, undefined, "session.createdAt");
    }
    const gwen =
        await data.send(new dp.ListSessionsCommand({ memoryId: mid, actorId: "team/gwen:ops" }));
    assert.deepEqual(gwen.sessionSummaries.map((s) => s.sessionId).sort(), ["sess-0", "sess-1"]);
    const actors = await collect(
        dp.paginateListActors({ client: data, pageSize: 1 }, { memoryId: mid }), "actorSummaries");
    assert.equal(actors.pages, 3);
    assert.deepEqual(actors.items.map((a) => a.actorId).sort(), ["erin", "frank", "team/gwen:ops"]);
    const none = await data.send(new dp.ListSessionsCommand({ memoryId: mid, actorId: "nobody" }));
    assert.deepEqual(none.sessionSummaries, []);
    assert.equal(none.nextToken, undefined);
  });

  it("DeleteEvent, then GetEvent and DeleteEvent are ResourceNotFoundException", T, async () => {
    const keep = (await put("hank", "del", [conv("keep")])).event;
    const drop =
        (await put("hank", "del", [conv("drop")], { eventTimestamp: new Date(T0 + 1) })).event;
    const out = await data.send(new dp.DeleteEventCommand(
        { memoryId, actorId: "hank", sessionId: "del", eventId: drop.eventId }));
    assert.equal(out.eventId, drop.eventId);
    const ref = { memoryId, actorId: "hank", sessionId: "del", eventId: drop.eventId };
    await rejectsWith(data.send(new dp.GetEventCommand(ref)), dp.ResourceNotFoundException, 404);
    await rejectsWith(data.send(new dp.DeleteEventCommand(ref)), dp.ResourceNotFoundException, 404);
    const left =
        await data.send(new dp.ListEventsCommand({ memoryId, actorId: "hank", sessionId: "del" }));
    assert.deepEqual(left.events.map((e) => e.eventId), [keep.eventId]);
  });

  it("errors: what the JS SDK sends without checking is refused by the server", T, async () => {
    const fields = (...names) => (e) => {
      assert.equal(e.reason, "FieldValidationFailed");
      assert.deepEqual(e.fieldList.map((f) => f.name), names);
    };
    await rejectsWith(put("ivy", "errs", []), dp.ValidationException, 400, fields("payload"));
    await rejectsWith(
        put("ivy", "errs", [conv("x", "ROBOT")]), dp.ValidationException, 400,
        fields("payload[0].conversational.role"));
    await rejectsWith(
        put("bad actor", "errs", [conv("x")]), dp.ValidationException, 400, fields("actorId"));
    await rejectsWith(
        put("ivy", "bad/session", [conv("x")]), dp.ValidationException, 400, fields("sessionId"));
    await rejectsWith(
        data.send(new dp.CreateEventCommand(
            { memoryId, actorId: "ivy", sessionId: "errs", payload: [conv("x")] })),
        dp.ValidationException, 400, fields("eventTimestamp"));
    await rejectsWith(
        put("ivy", "errs", [conv("x")],
            { branch: { name: "b", rootEventId: "0000001767225600000#deadbeef" } }),
        dp.ResourceNotFoundException, 404);
    await rejectsWith(
        data.send(new dp.ListEventsCommand(
            { memoryId, actorId: "ivy", sessionId: "errs", maxResults: 1000 })),
        dp.ValidationException, 400, fields("maxResults"));
    await rejectsWith(
        data.send(new dp.ListEventsCommand(
            { memoryId, actorId: "ivy", sessionId: "errs", nextToken: "not-a-token" })),
        dp.ValidationException, 400, fields("nextToken"));
    await rejectsWith(
        data.send(new dp.GetEventCommand({
          memoryId,
          actorId: "ivy",
          sessionId: "errs",
          eventId: "0000001767225600000#00000000"
        })),
        dp.ResourceNotFoundException, 404);
    await rejectsWith(
        data.send(new dp.ListActorsCommand({ memoryId: "Missing-abcdefghij" })),
        dp.ResourceNotFoundException, 404);
    await rejectsWith(
        data.send(new dp.CreateEventCommand({
          memoryId: "Missing-abcdefghij",
          actorId: "ivy",
          sessionId: "s",
          eventTimestamp: new Date(),
          payload: [conv("x")]
        })),
        dp.ResourceNotFoundException, 404);
  });
});

describe("records and extraction jobs", () => {
  let memoryId;
  before(async () => {
    memoryId = await newMemory("JsRecords");
  });

  const record = (id, ns, text, ms, extra = {}) => ({
    requestIdentifier: id,
    namespaces: [ns],
    content: { text },
    timestamp: new Date(ms),
    ...extra
  });

  it("BatchCreate, List, Retrieve, Get, BatchUpdate, Delete, BatchDelete with their paginators", T,
     async () => {
       const texts = [
         "The prod-cluster WLM queue has 5 slots", "Alice prefers dark mode",
         "Snapshots of prod-cluster run nightly at 02:00 UTC",
         "Bob's team owns the analytics workgroup", "The Zürich office uses eu-central-1 ✓"
       ];
       const clientToken = unique("batch");
       const records = texts.map(
           (t, i) => record(
               `r${i}`, "/notes/alice", t, T0 + i * 1000 + 321,
               i === 0 ? {
                 metadata: {
                   priority: { numberValue: 3 },
                   tags: { stringListValue: ["a", "b"] },
                   when: { dateTimeValue: new Date(T0 + 42) },
                   src: { stringValue: "chat" }
                 }
               } :
                         {}));
       const created = await data.send(
           new dp.BatchCreateMemoryRecordsCommand({ memoryId, records, clientToken }));
       assert.equal(created.$metadata.httpStatusCode, 201);
       assert.deepEqual(created.failedRecords, []);
       assert.deepEqual(
           created.successfulRecords.map((r) => [r.requestIdentifier, r.status]),
           texts.map((_, i) => [`r${i}`, "SUCCEEDED"]));
       const rids = created.successfulRecords.map((r) => r.memoryRecordId);
       rids.forEach((id) => assert.match(id, /^mem-[A-Za-z0-9_-]{36,46}$/));
       const again = await data.send(
           new dp.BatchCreateMemoryRecordsCommand({ memoryId, records, clientToken }));
       assert.deepEqual(
           again.successfulRecords.map((r) => r.memoryRecordId), rids, "a replay, not new records");
       await data.send(new dp.BatchCreateMemoryRecordsCommand(
           { memoryId, records: [record("o", "/notes/bob", "elsewhere", T0)] }));

       const listed = await collect(
           dp.paginateListMemoryRecords(
               { client: data, pageSize: 2 }, { memoryId, namespace: "/notes/alice" }),
           "memoryRecordSummaries");
       assert.equal(listed.pages, 3);
       assert.deepEqual(listed.items.map((r) => r.memoryRecordId).sort(), [...rids].sort());
       const first = listed.items.find((r) => r.memoryRecordId === rids[0]);
       assertDate(first.createdAt, T0 + 321, "record createdAt = its timestamp");
       assert.deepEqual(first.namespaces, ["/notes/alice"]);
       assert.equal(first.metadata.priority.numberValue, 3);
       assert.deepEqual(first.metadata.tags.stringListValue, ["a", "b"]);
       assertDate(first.metadata.when.dateTimeValue, T0 + 42, "metadata dateTimeValue");
       const under =
           await data.send(new dp.ListMemoryRecordsCommand({ memoryId, namespacePath: "/notes" }));
       assert.equal(under.memoryRecordSummaries.length, 6);

       const found = await data.send(new dp.RetrieveMemoryRecordsCommand({
         memoryId,
         namespace: "/notes/alice",
         searchCriteria: { searchQuery: "prod-cluster snapshots nightly", topK: 3 }
       }));
       const hits = found.memoryRecordSummaries;
       assert.ok(hits.length >= 1 && hits.length <= 3, `${hits.length} hits`);
       assert.equal(hits[0].memoryRecordId, rids[2]);
       const scores = hits.map((h) => h.score);
       assert.ok(scores.every((s) => s > 0 && s <= 1), String(scores));
       assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
       const paged = await collect(
           dp.paginateRetrieveMemoryRecords({ client: data, pageSize: 1 }, {
             memoryId,
             namespace: "/notes",
             searchCriteria: { searchQuery: "prod-cluster", topK: 10 }
           }),
           "memoryRecordSummaries");
       assert.ok(paged.items.length >= 2, "both prod-cluster notes");
       assert.equal(paged.pages, paged.items.length);
       assert.equal(new Set(paged.items.map((r) => r.memoryRecordId)).size, paged.items.length);

       const rec =
           (await data.send(new dp.GetMemoryRecordCommand({ memoryId, memoryRecordId: rids[1] })))
               .memoryRecord;
       assert.equal(rec.content.text, texts[1]);
       assertDate(rec.createdAt, T0 + 1321, "GetMemoryRecord createdAt");
       const upd = await data.send(new dp.BatchUpdateMemoryRecordsCommand({
         memoryId,
         records: [
           {
             memoryRecordId: rids[1],
             timestamp: new Date(T0 + 99000),
             content: { text: "Alice prefers light mode" }
           },
           {
             memoryRecordId: "mem-00000000-0000-4000-8000-000000000000",
             timestamp: new Date(),
             content: { text: "x" }
           }
         ]
       }));
       assert.deepEqual(
           upd.successfulRecords.map((r) => [r.memoryRecordId, r.status]),
           [[rids[1], "SUCCEEDED"]]);
       assert.deepEqual(upd.failedRecords.map((r) => [r.status, r.errorCode]), [["FAILED", 404]]);
       const rec2 =
           (await data.send(new dp.GetMemoryRecordCommand({ memoryId, memoryRecordId: rids[1] })))
               .memoryRecord;
       assert.equal(rec2.content.text, "Alice prefers light mode");

       const del =
           await data.send(new dp.DeleteMemoryRecordCommand({ memoryId, memoryRecordId: rids[0] }));
       assert.equal(del.memoryRecordId, rids[0]);
       await rejectsWith(
           data.send(new dp.GetMemoryRecordCommand({ memoryId, memoryRecordId: rids[0] })),
           dp.ResourceNotFoundException, 404);
       await rejectsWith(
           data.send(new dp.DeleteMemoryRecordCommand({ memoryId, memoryRecordId: rids[0] })),
           dp.ResourceNotFoundException, 404);
       const bd = await data.send(new dp.BatchDeleteMemoryRecordsCommand(
           { memoryId, records: [{ memoryRecordId: rids[3] }, { memoryRecordId: rids[0] }] }));
       assert.deepEqual(bd.successfulRecords.map((r) => r.memoryRecordId), [rids[3]]);
       assert.deepEqual(
           bd.failedRecords.map((r) => [r.memoryRecordId, r.errorCode]), [[rids[0], 404]]);
       const left = await data.send(
           new dp.ListMemoryRecordsCommand({ memoryId, namespace: "/notes/alice" }));
       assert.deepEqual(
           left.memoryRecordSummaries.map((r) => r.memoryRecordId).sort(),
           [rids[1], rids[2], rids[4]].sort());
     });

  it("metadata filters on List and Retrieve", T, async () => {
    const records = [0, 1, 2, 3, 4, 5].map(
        (n) => record(`m${n}`, "/filtered", `tea note number ${n}`, T0 + n, {
          metadata: { n: { numberValue: n }, kind: { stringValue: n % 2 ? "odd" : "even" } }
        }));
    await data.send(new dp.BatchCreateMemoryRecordsCommand({ memoryId, records }));
    const odd = await data.send(new dp.ListMemoryRecordsCommand({
      memoryId,
      namespace: "/filtered",
      maxResults: 100,
      metadataFilters: [
        {
          left: { metadataKey: "kind" },
          operator: "EQUALS_TO",
          right: { metadataValue: { stringValue: "odd" } }
        },
        {
          left: { metadataKey: "n" },
          operator: "LESS_THAN",
          right: { metadataValue: { numberValue: 5 } }
        }
      ]
    }));
    assert.deepEqual(odd.memoryRecordSummaries.map((r) => r.metadata.n.numberValue).sort(), [1, 3]);
    const even = await data.send(new dp.RetrieveMemoryRecordsCommand({
      memoryId,
      namespace: "/filtered",
      searchCriteria: {
        searchQuery: "tea note",
        topK: 100,
        metadataFilters: [{
          left: { metadataKey: "kind" },
          operator: "EQUALS_TO",
          right: { metadataValue: { stringValue: "even" } }
        }]
      }
    }));
    assert.deepEqual(
        even.memoryRecordSummaries.map((r) => r.metadata.n.numberValue).sort(), [0, 2, 4]);
  });

  it("ListMemoryExtractionJobs, its paginator and StartMemoryExtractionJob", T, async () => {
    const mid = await newMemory(
        "JsJobs", { memoryStrategies: [{ semanticMemoryStrategy: { name: "Facts" } }] });
    for (let i = 0; i < 3; i++) {
      await data.send(new dp.CreateEventCommand({
        memoryId: mid,
        actorId: "alice",
        sessionId: `s${i}`,
        eventTimestamp: new Date(),
        payload: [conv(`I run prod-cluster in us-east-${i + 1}`)]
      }));
    }
    const jobs = await collect(
        dp.paginateListMemoryExtractionJobs({ client: data, pageSize: 1 }, { memoryId: mid }),
        "jobs");
    assert.equal(new Set(jobs.items.map((j) => j.jobID)).size, jobs.items.length);
    for (const j of jobs.items) {
      assert.ok(j.jobID);
      assert.ok(["FAILED", "PENDING", "RUNNING"].includes(j.status), j.status);
      for (const m of j.messages.messagesList) assert.match(m.eventId, EVENT_ID);
    }
    const failed = await data.send(
        new dp.ListMemoryExtractionJobsCommand({ memoryId: mid, filter: { status: "FAILED" } }));
    assert.ok(failed.jobs.every((j) => j.status === "FAILED"));
    // Jobs finish within milliseconds with the built-in extractor, and none can be made to
    // stay FAILED from outside: a job listed a moment ago restarts or is already gone.
    if (jobs.items.length) {
      const jobId = jobs.items[0].jobID;
      try {
        const started = await data.send(
            new dp.StartMemoryExtractionJobCommand({ memoryId: mid, extractionJob: { jobId } }));
        assert.equal(started.jobId, jobId);
      } catch (e) {
        assert.ok(e instanceof dp.ResourceNotFoundException, String(e));
        assert.match(e.message, new RegExp(jobId));
      }
    }
    const plain = await data.send(new dp.ListMemoryExtractionJobsCommand({ memoryId }));
    assert.deepEqual(plain.jobs, [], "no strategies, no jobs");
    await rejectsWith(
        data.send(new dp.StartMemoryExtractionJobCommand(
            { memoryId: mid, extractionJob: { jobId: "job-none" } })),
        dp.ResourceNotFoundException, 404);
    await rejectsWith(
        data.send(
            new dp.ListMemoryExtractionJobsCommand({ memoryId: mid, filter: { status: "DONE" } })),
        dp.ValidationException, 400,
        (e) => assert.deepEqual(e.fieldList.map((f) => f.name), ["filter.status"]));
    await rejectsWith(
        data.send(new dp.ListMemoryExtractionJobsCommand({ memoryId: mid, maxResults: 51 })),
        dp.ValidationException, 400);
  });

  it("errors: namespace and namespacePath together, too many records, unknown ids", T, async () => {
    await rejectsWith(
        data.send(new dp.RetrieveMemoryRecordsCommand({
          memoryId,
          namespace: "/a",
          namespacePath: "/a",
          searchCriteria: { searchQuery: "x" }
        })),
        dp.ValidationException, 400);
    await rejectsWith(
        data.send(new dp.RetrieveMemoryRecordsCommand(
            { memoryId, namespace: "/a", searchCriteria: { searchQuery: "x", topK: 0 } })),
        dp.ValidationException, 400);
    await rejectsWith(
        data.send(new dp.BatchCreateMemoryRecordsCommand({
          memoryId,
          records: Array.from({ length: 101 }, (_, i) => record(`r${i}`, "/over", "x", T0))
        })),
        dp.ValidationException, 400);
    const over = await data.send(new dp.ListMemoryRecordsCommand({ memoryId, namespace: "/over" }));
    assert.deepEqual(over.memoryRecordSummaries, [], "a refused batch writes nothing");
    const one = await data.send(new dp.BatchCreateMemoryRecordsCommand({
      memoryId,
      records: [record("ok", "/mixed", "fine", T0), record("long", "/mixed", "x".repeat(16001), T0)]
    }));
    assert.deepEqual(one.successfulRecords.map((r) => r.requestIdentifier), ["ok"]);
    assert.deepEqual(
        one.failedRecords.map((r) => [r.requestIdentifier, r.status, r.errorCode]),
        [["long", "FAILED", 400]]);
    await rejectsWith(
        data.send(new dp.GetMemoryRecordCommand(
            { memoryId, memoryRecordId: "mem-00000000-0000-4000-8000-000000000000" })),
        dp.ResourceNotFoundException, 404);
    await rejectsWith(
        data.send(
            new dp.ListMemoryRecordsCommand({ memoryId: "Missing-abcdefghij", namespace: "/a" })),
        dp.ResourceNotFoundException, 404);
  });

  it("IngestData (newer than agentmemd) fails cleanly as UnknownOperationException 404", T,
     async () => {
       await assert.rejects(
           data.send(new dp.IngestDataCommand({ memoryId, actorId: "a", sessionId: "s" })), (e) => {
             assert.ok(e instanceof dp.BedrockAgentCoreServiceException);
             assert.equal(e.name, "UnknownOperationException");
             assert.equal(e.$metadata.httpStatusCode, 404);
             return true;
           });
     });
});

describe("SigV4 (agentmemd --auth sigv4)", () => {
  // The JS SDK signs more headers than boto3 (x-amz-content-sha256, amz-sdk-*) and sends
  // percent-encoded path labels and query strings: the server must rebuild its canonical
  // request exactly, for both planes.
  const KEY = { accessKeyId: "AKIAJSEXAMPLEKEY0001", secretAccessKey: "js/Secret+Key=0001" };
  let sv, dir, signedData, signedControl;
  const withKeys = (credentials, region = "eu-west-1") =>
      ({ ...clientConfig(sv.endpoint), region, credentials });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "agentmem-js-keys-"));
    const creds = join(dir, "credentials");
    writeFileSync(creds,
        `[js]\naws_access_key_id = ${KEY.accessKeyId}\naws_secret_access_key = ${
            KEY.secretAccessKey}\n`,
        { mode: 0o600 });
    sv = await startServer(["--access-log", "off", "--auth", "sigv4", "--credentials", creds]);
    signedData = new dp.BedrockAgentCoreClient(withKeys(KEY));
    signedControl = new cp.BedrockAgentCoreControlClient(withKeys(KEY, "us-east-2"));
  });

  after(async () => {
    signedData?.destroy();
    signedControl?.destroy();
    if (sv) assert.equal(await sv.stop(), 0, "agentmemd --auth sigv4 exits 0 on SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("signed requests pass on both planes, with encoded labels and queries", T, async () => {
    const { memory } = await signedControl.send(
        new cp.CreateMemoryCommand({ name: unique("JsSigned"), eventExpiryDuration: 30 }));
    const memoryId = memory.id;
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const { event } = await signedData.send(new dp.CreateEventCommand({
        memoryId,
        actorId: "user/alice:dev",
        sessionId: "s-1",
        eventTimestamp: new Date(T0 + i),
        payload: [conv(`signed ${i} ✓`)]
      }));
      ids.push(event.eventId);
    }
    const got = await signedData.send(new dp.GetEventCommand(
        { memoryId, actorId: "user/alice:dev", sessionId: "s-1", eventId: ids[1] }));
    assert.equal(got.event.payload[0].conversational.content.text, "signed 1 ✓");
    const paged = await collect(
        dp.paginateListEvents({ client: signedData, pageSize: 1 },
                              { memoryId, actorId: "user/alice:dev", sessionId: "s-1" }),
        "events");
    assert.deepEqual(paged.items.map((e) => e.eventId), [...ids].reverse());
    const { successfulRecords } = await signedData.send(new dp.BatchCreateMemoryRecordsCommand({
      memoryId,
      records: [{
        requestIdentifier: "r",
        namespaces: ["/actors/alice:dev/notes"],
        content: { text: "a signed record" },
        timestamp: new Date(T0)
      }]
    }));
    assert.equal(successfulRecords.length, 1);
    const rec = await signedData.send(new dp.GetMemoryRecordCommand({
      memoryId,
      memoryRecordId: successfulRecords[0].memoryRecordId,
      namespace: "/actors/alice:dev/notes"  // ?namespace=%2Factors%2Falice%3Adev%2Fnotes
    }));
    assert.equal(rec.memoryRecord.content.text, "a signed record");
    // DeleteMemory carries the SDK's own clientToken in the query string
    const del = await signedControl.send(new cp.DeleteMemoryCommand({ memoryId }));
    assert.equal(del.status, "DELETING");
  });

  it("a wrong secret, an unknown key and no signature are refused", T, async () => {
    const wrong = new cp.BedrockAgentCoreControlClient(
        withKeys({ accessKeyId: KEY.accessKeyId, secretAccessKey: "not-the-secret" }));
    const unknown = new dp.BedrockAgentCoreClient(
        withKeys({ accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x" }));
    try {
      await assert.rejects(wrong.send(new cp.ListMemoriesCommand({})), (e) => {
        assert.equal(e.name, "InvalidSignatureException");
        assert.equal(e.$metadata.httpStatusCode, 403);
        return true;
      });
      await assert.rejects(
          unknown.send(new dp.ListActorsCommand({ memoryId: "Missing-abcdefghij" })), (e) => {
            assert.equal(e.name, "UnrecognizedClientException");
            assert.equal(e.$metadata.httpStatusCode, 403);
            return true;
          });
    } finally {
      wrong.destroy();
      unknown.destroy();
    }
    const r = await fetch(`${sv.endpoint}/memories/`, { method: "POST", body: "{}" });
    assert.equal(r.status, 403);
    assert.equal(r.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException");
  });
});
