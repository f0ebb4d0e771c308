/**
 * Shared machinery of the security suite: fake credentials of the right shapes, the ledger of
 * every secret used and every text produced (scanned at the end, like the reliability suite's),
 * a per-case leak check, and the count of hostile cases per group.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { ArtifactLedger } from "../reliability/support";

/** The one ledger of the suite's process: every secret it used, every text it produced. */
export const securityLedger = new ArtifactLedger();

/** `length` random base64url characters. */
function base64url(length: number): string {
  return randomBytes(length).toString("base64url").slice(0, length);
}

/** A fresh token of the documented Yandex IAM shape `t1.<base64url>.<86 base64url chars>`; recorded as a secret. */
export function yandexIamToken(label: string): string {
  return secret(label, `t1.${base64url(40)}.${base64url(86)}`);
}

/** A fresh OAuth token of the `y0_` shape; recorded as a secret. */
export function oauthToken(label: string): string {
  return secret(label, `y0_${base64url(56)}`);
}

/** A fresh Google Cloud access token (`ya29.` shape); recorded as a secret. */
export function googleAccessToken(label: string): string {
  return secret(label, `ya29.${base64url(150)}`);
}

/** Records `value` as a secret that nothing printed may contain; returns it. */
export function secret(label: string, value: string): string {
  securityLedger.addSecret(label, value);
  return value;
}

/** Records a text the suite produced (an error, a log line, CLI output) for the final scan. */
export function recordText(label: string, text: string): void {
  securityLedger.addText(label, text);
}

/** Every text an error carries: message, stack and every property and cause (util.inspect). */
export function errorTexts(error: unknown): string[] {
  return [String((error as Error)?.message), String((error as Error)?.stack), inspect(error, { depth: 6 })];
}

/**
 * Asserts that none of `texts` contains any of `secrets` (raw, JSON-escaped, base64, or a PEM
 * body line), and records the texts for the final scan. Returns the texts joined, for assertions.
 */
export function assertNoSecrets(
  label: string,
  texts: readonly string[],
  secrets: readonly string[],
  options: { alreadyRecorded?: boolean } = {},
): string {
  const check = new ArtifactLedger();
  for (const s of secrets) check.addSecret("a secret of this case", s);
  texts.forEach((text, i) => {
    check.addText(`${label} #${i}`, text);
    // A CLI run's output is recorded by its stack, labelled by stream (the final scan tells
    // stdout from stderr); recording it again here would lose that.
    if (!options.alreadyRecorded) recordText(label, text);
  });
  assert.deepEqual(check.findLeaks().leaks, [], `${label}: no secret in any message, log line or cause`);
  return texts.join("\n");
}

/** Awaits a rejection and returns the error; fails when the promise resolves. */
export async function rejectionOf<E = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  assert.fail("expected a rejection");
}

/** Hostile cases per group: defined, and passed. */
const groups = new Map<string, { defined: number; passed: number }>();

/**
 * Defines one hostile case of `group` (a `node:test` test), counted for the final report line.
 * `timeoutMs` is a guard against a hang (a case that hangs fails instead of stalling the run), not
 * a performance threshold.
 */
export function hostileCase(
  group: string,
  name: string,
  run: () => Promise<void> | void,
  options: { timeoutMs?: number } = {},
): void {
  const counts = groups.get(group) ?? { defined: 0, passed: 0 };
  groups.set(group, counts);
  counts.defined++;
  it(name, { timeout: options.timeoutMs }, async () => {
    await run();
    counts.passed++;
  });
}

/** One line: the hostile cases per group, and how many passed. */
export function caseCountLine(): string {
  const parts = [...groups].map(([group, c]) => `${group} ${c.passed}/${c.defined}`);
  const total = [...groups.values()].reduce((sum, c) => sum + c.defined, 0);
  const passed = [...groups.values()].reduce((sum, c) => sum + c.passed, 0);
  return `hostile cases passed/defined: ${parts.join("; ")}; total ${passed}/${total}`;
}
