/**
 * What the provider costs on top of the engine, measured side by side in one run through the
 * real Pulumi CLI (Automation API) against the IAM emulator.
 *
 * For each size N: a stack of N ServiceAccountIamToken resources (the packed package installed
 * as users install it) and, as the baseline, the same program shape with N no-op dynamic
 * resources (test/e2e/fixtures/noop). Each run does up, preview (no changes), refresh (fresh
 * tokens) and destroy on a fresh backend, for both stacks, alternating which goes first. Reported:
 * medians of the runs, the ratio token/no-op per operation, the IAM API calls per operation
 * (emulator counts), stack file bytes per resource and the `__provider` size, and the peak RSS of
 * the dynamic-provider process (VmHWM sampled from /proc while `up` runs).
 *
 * Then a micro-benchmark: one createForServiceAccount through the project's client
 * (createIamSession -> createTokenForServiceAccount) versus a raw `fetch` with the same caller
 * token, with the emulator's token reuse on and off.
 *
 * Usage: npm run bench -- [--sizes 1,10,50,200] [--runs 3] [--iterations 400]
 * Writes bench/results/latest.json. Absolute times depend on the machine; only ratios are judged
 * (flagged, never failed, when up/baseline > 1.25 or preview/baseline > 1.1 at N = 50).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { Stack } from "@pulumi/pulumi/automation";
import type { RequestCounts } from "../emulator";
import { systemClock } from "../provider/clock";
import { createIamSession } from "../provider/session";
import { SERVICE_ACCOUNT_IAM_TOKEN_TYPE } from "../sdk/testing";
import { startTestWorld, type TestAccount, type TestWorld } from "../test/support/emulatorFixture";
import { copyProgram, installPackedPackage } from "../test/support/packedPackage";
import { createTestStack, pulumiVersion, repoRoot, tempDir } from "../test/support/pulumiCli";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1,10,50,200" },
    runs: { type: "string", default: "3" },
    iterations: { type: "string", default: "400" },
  },
});
const SIZES = values.sizes.split(",").map((s) => Number(s.trim()));
const RUNS = Number(values.runs);
const ITERATIONS = Number(values.iterations);
if (SIZES.some((n) => !Number.isInteger(n) || n < 1) || !(RUNS >= 1) || !(ITERATIONS >= 10)) {
  throw new Error("usage: --sizes 1,10,50 (positive integers) --runs K (>= 1) --iterations M (>= 10)");
}

const OPERATIONS = ["up", "preview", "refresh", "destroy"] as const;
type Operation = (typeof OPERATIONS)[number];
type Kind = "noop" | "tokens";
const TOKEN_TYPE = SERVICE_ACCOUNT_IAM_TOKEN_TYPE;
const NOOP_TYPE = "pulumi-nodejs:dynamic:Resource";
/** Ratios above these, at N = 50, are flagged in the output (the issue's targets). */
const FLAG_AT = { n: 50, up: 1.25, preview: 1.1 };

interface RunSample {
  seconds: Record<Operation, number>;
  calls: Record<Operation, { createForServiceAccount: number; create: number }>;
  stackFileBytes: number;
  bytesPerResource: number;
  providerBytes: number;
  peakRssMiB: number | undefined;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

/**
 * Peak RSS of the dynamic-provider processes started from `programDir`: polls /proc for processes
 * running `@pulumi/pulumi/cmd/dynamic-provider` with that working directory and keeps the largest
 * VmHWM (the kernel's own high-water mark, so peaks between polls are not missed).
 */
function samplePeakRss(programDir: string): () => number | undefined {
  let peakKiB: number | undefined;
  const poll = () => {
    let pids: string[];
    try {
      pids = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p));
    } catch {
      return;
    }
    for (const pid of pids) {
      try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (!cmdline.includes("dynamic-provider")) continue;
        if (!fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(programDir)) continue;
        const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        if (hwm) peakKiB = Math.max(peakKiB ?? 0, Number(hwm[1]));
      } catch {
        // the process ended between listing and reading
      }
    }
  };
  const timer = setInterval(poll, 40);
  return () => {
    poll();
    clearInterval(timer);
    return peakKiB === undefined ? undefined : peakKiB / 1024;
  };
}

async function timed<T>(action: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = performance.now();
  const result = await action();
  return { seconds: (performance.now() - started) / 1000, result };
}

async function oneRun(
  kind: Kind,
  n: number,
  world: TestWorld,
  accounts: TestAccount[],
  appDir: string,
): Promise<RunSample> {
  const fixture = path.join(repoRoot, "test", "e2e", "fixtures", kind);
  const programDir = copyProgram(fixture, appDir, `bench-${kind}`);
  const backend = tempDir(`pyit-bench-${kind}-`);
  try {
    const { stack, readStackFile } = await createTestStack(
      programDir,
      backend.dir,
      "bench",
      world.providerEnv,
    );
    if (kind === "noop") await stack.setConfig("count", { value: String(n) });
    else
      await stack.setConfig("accounts", {
        value: JSON.stringify(
          accounts.slice(0, n).map((a) => ({ name: a.name, serviceAccountId: a.serviceAccountId })),
        ),
      });
    const seconds = {} as Record<Operation, number>;
    const calls = {} as RunSample["calls"];
    let peakRssMiB: number | undefined;
    let stackFileBytes = 0;
    let bytesPerResource = 0;
    let providerBytes = 0;
    for (const op of OPERATIONS) {
      await world.emulator.admin.resetRequests();
      const stopSampling = op === "up" ? samplePeakRss(programDir) : undefined;
      const { seconds: s, result } = await timed(() => runOp(stack, op));
      if (stopSampling) peakRssMiB = stopSampling();
      if (result.summary.result !== "succeeded")
        throw new Error(`${kind} ${op} N=${n}: ${result.summary.result}`);
      seconds[op] = s;
      const counts: RequestCounts = await world.emulator.admin.counts();
      calls[op] = { createForServiceAccount: counts.createForServiceAccount, create: counts.create };
      if (op === "up") {
        const text = readStackFile();
        stackFileBytes = Buffer.byteLength(text);
        const type = kind === "noop" ? NOOP_TYPE : TOKEN_TYPE;
        const resources = JSON.parse(text).checkpoint.latest.resources.filter(
          (r: { type: string }) => r.type === type,
        );
        if (resources.length !== n) throw new Error(`${kind} N=${n}: ${resources.length} resources in state`);
        bytesPerResource = median(resources.map((r: unknown) => Buffer.byteLength(JSON.stringify(r))));
        providerBytes = Buffer.byteLength(resources[0].inputs.__provider);
      }
    }
    return { seconds, calls, stackFileBytes, bytesPerResource, providerBytes, peakRssMiB };
  } finally {
    backend.cleanup();
    fs.rmSync(programDir, { recursive: true, force: true });
  }
}

function runOp(stack: Stack, op: Operation): Promise<{ summary: { result: string } }> {
  switch (op) {
    case "up":
      return stack.up();
    case "preview":
      return stack.preview().then(() => ({ summary: { result: "succeeded" } }));
    case "refresh":
      return stack.refresh();
    case "destroy":
      return stack.destroy();
  }
}

interface MicroResult {
  reuseTokens: boolean;
  iterations: number;
  clientMedianMs: number;
  clientP90Ms: number;
  rawMedianMs: number;
  rawP90Ms: number;
  overheadMedianMs: number;
  ratio: number;
}

/** createForServiceAccount through createIamSession vs a raw fetch, interleaved call by call. */
async function microBenchmark(
  world: TestWorld,
  serviceAccountId: string,
  reuseTokens: boolean,
): Promise<MicroResult> {
  await world.emulator.admin.updateSettings({ reuseTokens });
  const home = tempDir("pyit-bench-home-");
  try {
    const session = createIamSession({
      stackConfig: {},
      env: { YC_TOKEN: world.oauthToken, YC_IAM_ENDPOINT: world.emulator.baseUrl },
      homeDir: home.dir,
      clock: systemClock,
    });
    const { iamToken: callerToken } = await world.emulator.admin.mintIamToken(world.callerUserId);
    const url = `${world.emulator.baseUrl}/iam/v1/tokens:createForServiceAccount`;
    const body = JSON.stringify({ serviceAccountId });
    const raw = async () => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${callerToken}` },
        body,
      });
      const json = (await response.json()) as { iamToken?: string };
      if (response.status !== 200 || typeof json.iamToken !== "string")
        throw new Error(`raw fetch: HTTP ${response.status}`);
    };
    const client = async () => {
      await session.createTokenForServiceAccount(serviceAccountId);
    };
    for (let i = 0; i < 50; i++) {
      await client(); // the first call also exchanges the OAuth token: warm-up, not measured
      await raw();
    }
    const clientMs: number[] = [];
    const rawMs: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const order = i % 2 === 0 ? [client, raw] : [raw, client];
      for (const call of order) {
        const started = performance.now();
        await call();
        (call === client ? clientMs : rawMs).push(performance.now() - started);
      }
      if (i % 100 === 99) await world.emulator.admin.resetRequests(); // keep the log small
    }
    return {
      reuseTokens,
      iterations: ITERATIONS,
      clientMedianMs: median(clientMs),
      clientP90Ms: percentile(clientMs, 0.9),
      rawMedianMs: median(rawMs),
      rawP90Ms: percentile(rawMs, 0.9),
      overheadMedianMs: median(clientMs) - median(rawMs),
      ratio: median(clientMs) / median(rawMs),
    };
  } finally {
    home.cleanup();
    await world.emulator.admin.updateSettings({ reuseTokens: true });
  }
}

const fmt = (x: number | undefined, digits = 2): string => (x === undefined ? "n/a" : x.toFixed(digits));

async function main(): Promise<void> {
  const maxN = Math.max(...SIZES);
  const accounts: TestAccount[] = Array.from({ length: maxN }, (_, i) => ({
    name: `bench${i}`,
    serviceAccountId: `ajebench${String(i).padStart(12, "0")}`,
  }));
  const world = await startTestWorld(accounts);
  const appDir = installPackedPackage();
  const started = performance.now();
  const sizes: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const flags: string[] = [];
  try {
    const version = pulumiVersion();
    process.stderr.write(`bench: pulumi ${version}, sizes ${SIZES.join(",")}, ${RUNS} run(s) each\n`);
    for (const n of SIZES) {
      const samples: Record<Kind, RunSample[]> = { noop: [], tokens: [] };
      for (let run = 0; run < RUNS; run++) {
        const order: Kind[] = run % 2 === 0 ? ["noop", "tokens"] : ["tokens", "noop"];
        for (const kind of order) {
          const sample = await oneRun(kind, n, world, accounts, appDir);
          samples[kind].push(sample);
          process.stderr.write(
            `bench: N=${n} run ${run + 1}/${RUNS} ${kind}: ` +
              OPERATIONS.map((op) => `${op} ${sample.seconds[op].toFixed(2)}s`).join(", ") +
              `, provider peak RSS ${fmt(sample.peakRssMiB, 1)} MiB\n`,
          );
        }
      }
      const med = (kind: Kind, pick: (s: RunSample) => number | undefined) => {
        const xs = samples[kind].map(pick).filter((x): x is number => x !== undefined);
        return xs.length ? median(xs) : undefined;
      };
      const ops = Object.fromEntries(
        OPERATIONS.map((op) => {
          const noop = med("noop", (s) => s.seconds[op]) as number;
          const tokens = med("tokens", (s) => s.seconds[op]) as number;
          const apiCalls = samples.tokens.map((s) => s.calls[op]);
          const expectedCfsa = op === "up" ? n : 0;
          const expectedCreateMax = op === "up" ? 1 : 0;
          const callsOk = apiCalls.every(
            (c) => c.createForServiceAccount === expectedCfsa && c.create <= expectedCreateMax,
          );
          return [op, { noopSeconds: noop, tokenSeconds: tokens, ratio: tokens / noop, apiCalls, callsOk }];
        }),
      ) as Record<
        Operation,
        {
          noopSeconds: number;
          tokenSeconds: number;
          ratio: number;
          apiCalls: { createForServiceAccount: number; create: number }[];
          callsOk: boolean;
        }
      >;
      const memory = {
        noopPeakRssMiB: med("noop", (s) => s.peakRssMiB),
        tokenPeakRssMiB: med("tokens", (s) => s.peakRssMiB),
      };
      const bytes = {
        tokenBytesPerResource: med("tokens", (s) => s.bytesPerResource) as number,
        noopBytesPerResource: med("noop", (s) => s.bytesPerResource) as number,
        tokenProviderBytes: med("tokens", (s) => s.providerBytes) as number,
        noopProviderBytes: med("noop", (s) => s.providerBytes) as number,
        tokenStackFileBytes: med("tokens", (s) => s.stackFileBytes) as number,
        noopStackFileBytes: med("noop", (s) => s.stackFileBytes) as number,
      };
      sizes.push({ n, runs: RUNS, operations: ops, bytes, memory, samples });

      lines.push(`N = ${n} (${RUNS} runs, medians)`);
      lines.push(
        "  operation | no-op s | tokens s | ratio | API calls per run (createForServiceAccount/create) | calls as expected",
      );
      for (const op of OPERATIONS) {
        const o = ops[op];
        lines.push(
          `  ${op.padEnd(9)} | ${fmt(o.noopSeconds).padStart(7)} | ${fmt(o.tokenSeconds).padStart(8)} | ${fmt(o.ratio).padStart(5)} | ` +
            `${o.apiCalls.map((c) => `${c.createForServiceAccount}/${c.create}`).join(" ")} | ${o.callsOk ? "yes" : "NO"}`,
        );
      }
      lines.push(
        `  state: ${bytes.tokenBytesPerResource} B per token resource vs ${bytes.noopBytesPerResource} B per no-op ` +
          `(__provider ${bytes.tokenProviderBytes} B vs ${bytes.noopProviderBytes} B); stack file ` +
          `${bytes.tokenStackFileBytes} B vs ${bytes.noopStackFileBytes} B ` +
          `(+${fmt((bytes.tokenStackFileBytes - bytes.noopStackFileBytes) / n, 0)} B per resource)`,
      );
      lines.push(
        `  dynamic-provider peak RSS during up: ${fmt(memory.tokenPeakRssMiB, 1)} MiB vs ${fmt(memory.noopPeakRssMiB, 1)} MiB no-op`,
      );
      if (n === FLAG_AT.n) {
        if (ops.up.ratio > FLAG_AT.up)
          flags.push(`FLAG: up/baseline ${fmt(ops.up.ratio)} > ${FLAG_AT.up} at N=${n}`);
        if (ops.preview.ratio > FLAG_AT.preview)
          flags.push(`FLAG: preview/baseline ${fmt(ops.preview.ratio)} > ${FLAG_AT.preview} at N=${n}`);
      }
      for (const op of OPERATIONS) {
        if (!ops[op].callsOk) flags.push(`FLAG: unexpected API calls for ${op} at N=${n}`);
      }
    }

    const micro = [];
    for (const reuse of [true, false])
      micro.push(await microBenchmark(world, accounts[0].serviceAccountId, reuse));
    lines.push(
      `createForServiceAccount round trip, ${ITERATIONS} interleaved iterations (medians, p90 in brackets)`,
    );
    for (const m of micro) {
      lines.push(
        `  emulator reuseTokens=${m.reuseTokens}: client ${fmt(m.clientMedianMs, 3)} ms [${fmt(m.clientP90Ms, 3)}], ` +
          `raw fetch ${fmt(m.rawMedianMs, 3)} ms [${fmt(m.rawP90Ms, 3)}]: overhead ${fmt(m.overheadMedianMs, 3)} ms per call ` +
          `(x${fmt(m.ratio)})`,
      );
    }
    lines.push(...(flags.length ? flags : ["no flags: ratios within targets, API calls as expected"]));

    const result = {
      at: new Date().toISOString(),
      pulumi: version,
      node: process.version,
      cpus: os.cpus().length,
      sizes,
      micro,
      flags,
      wallSeconds: (performance.now() - started) / 1000,
    };
    const outDir = path.join(repoRoot, "bench", "results");
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, "latest.json"), JSON.stringify(result, null, 2) + "\n");
    process.stdout.write(
      lines.join("\n") + `\n(wrote bench/results/latest.json; ${fmt(result.wallSeconds, 0)} s)\n`,
    );
  } finally {
    await world.emulator.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
