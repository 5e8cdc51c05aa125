// agentmemd.mjs - start a real agentmemd for the JS SDK tests, the way harness.py does for boto3.
//
// startServer(args) runs build/agentmemd (or $AGENTMEM_BIN) with --listen 127.0.0.1:0, a temp
// --db and its log in the same temp directory, reads the bound port from the startup log
// line, waits for GET /_agentmem/health and returns { endpoint, port, dir, stop(), logText() }.
// stop() sends SIGTERM and resolves to the exit status (the tests assert 0), then removes the
// temp directory unless AGENTMEM_KEEP_TMP is set.
// clientConfig(endpoint) is what any AWS user writes to point the SDK at a local endpoint:
// endpoint override, region us-east-1, static fake keys; retries are off so that an error
// reaches the test exactly once.
import {spawn} from "node:child_process";
import {closeSync, mkdtempSync, openSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

// Hermetic SDK: no profile, shared config or endpoint from the developer's environment.
for (const k of Object.keys(process.env)) {
  if (k === "AWS_PROFILE" || k === "AWS_SESSION_TOKEN" || k.startsWith("AWS_ENDPOINT_URL")) {
    delete process.env[k];
  }
}
process.env.AWS_CONFIG_FILE = "/nonexistent/agentmem-js-tests/config";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/agentmem-js-tests/credentials";
process.env.AWS_EC2_METADATA_DISABLED = "true";

export function binary() {
  return process.env.AGENTMEM_BIN || join(ROOT, "build", "agentmemd");
}

export function clientConfig(endpoint) {
  return {
    endpoint,
    region: "us-east-1",
    maxAttempts: 1,
    credentials: {
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startServer(args = [], timeoutMs = 15000) {
  const dir = mkdtempSync(join(tmpdir(), "agentmem-js-"));
  const logPath = join(dir, "agentmemd.log");
  const logText = () => {
    try {
      return readFileSync(logPath, "utf8");
    } catch {
      return "";
    }
  };
  const env = {...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith("AGENTMEM_") && k !== "AGENTMEM_BIN") delete env[k];
  }
  // port 0: agentmemd binds a free port itself and names it in its startup log line
  const fd = openSync(logPath, "w");
  const proc = spawn(
      binary(), ["--listen", "127.0.0.1:0", "--db", join(dir, "agentmem.db"), ...args],
      { stdio: ["ignore", fd, fd], env });
  closeSync(fd);
  let exited = null;
  let spawnError = null;
  const exit = new Promise((resolve) => {
    proc.on("exit", (code, sig) => {
      exited = code ?? 128 + (sig === "SIGKILL" ? 9 : 15);
      resolve(exited);
    });
    proc.on("error", (e) => {  // e.g. ENOENT: not built
      spawnError = e;
      exited = 127;
      resolve(exited);
    });
  });
  const deadline = Date.now() + timeoutMs;
  let port = null;
  while (exited === null && Date.now() < deadline) {
    if (port === null) {
      const m = /listening addr=127\.0\.0\.1:(\d+)/.exec(logText());
      if (m) port = Number(m[1]);
    }
    if (port !== null) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/_agentmem/health`);
        if (r.ok) break;
      } catch {
        // not answering yet
      }
    }
    await sleep(20);
  }
  if (exited === null && port !== null && Date.now() < deadline) {
    const stop = async (ms = 30000) => {
      if (exited === null) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), ms);
        await exit;
        clearTimeout(timer);
      }
      if (!process.env.AGENTMEM_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
      return exited;
    };
    return { endpoint: `http://127.0.0.1:${port}`, port, dir, stop, logText, proc };
  }
  let failure;
  if (spawnError) {
    failure = `cannot run ${binary()}: ${spawnError.message} (run make)`;
  } else if (exited !== null) {
    failure = `agentmemd exited with ${exited}:\n${logText()}`;
  } else {
    proc.kill("SIGKILL");
    await exit;
    failure = `agentmemd did not become healthy in ${timeoutMs} ms:\n${logText()}`;
  }
  if (!process.env.AGENTMEM_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  throw new Error(failure);
}
