import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { RENAMED_STACK_CONFIG_KEYS } from "../../provider/settings";
import { CLOCK_OFFSET_ENV, ENV_VARS, STACK_CONFIG_KEYS } from "../../sdk/testing";
import { repoRoot } from "../support/pulumiCli";

/** A setting's name: a `yandex:` or `yandex-iam-token:` stack config key or one of our environment variables. */
const SETTING_NAME = /^(yandex(-iam-token)?:[A-Za-z]+|YC_[A-Z0-9_]+|PULUMI_YANDEX_IAM_TOKEN_[A-Z0-9_]+)$/;
const TABLE_HEADING = "### Settings: stack config keys and environment variables";

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Every setting the code of provider/ and sdk/ reads: names as string literals, and `process.env.X`. */
function settingsReadByCode(): Set<string> {
  const names = new Set<string>();
  for (const file of [
    ...sourceFiles(path.join(repoRoot, "provider")),
    ...sourceFiles(path.join(repoRoot, "sdk")),
  ]) {
    const text = fs.readFileSync(file, "utf8");
    for (const match of text.matchAll(/(["'`])([^"'`\s]+)\1/g)) {
      if (SETTING_NAME.test(match[2])) names.add(match[2]);
    }
    for (const match of text.matchAll(/process\.env(?:\.([A-Z0-9_]+)|\[\s*["']([A-Z0-9_]+)["']\s*\])/g)) {
      names.add(match[1] ?? match[2]);
    }
  }
  // Keys of earlier versions are named only to be refused.
  for (const renamed of Object.keys(RENAMED_STACK_CONFIG_KEYS)) names.delete(renamed);
  return names;
}

/** The names in the first column of the README's settings table. */
function settingsInReadme(): { names: Set<string>; rows: number } {
  const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf(TABLE_HEADING);
  assert.notEqual(start, -1, `README.md has a section "${TABLE_HEADING}"`);
  const lines = readme.slice(start).split("\n").slice(1);
  const tableStart = lines.findIndex((line) => line.startsWith("|"));
  const table = lines.slice(tableStart);
  const rows = table
    .slice(
      0,
      table.findIndex((line) => !line.startsWith("|")),
    )
    .slice(2);
  const names = new Set<string>();
  for (const row of rows) {
    const firstCell = row.split("|")[1];
    for (const match of firstCell.matchAll(/`([^`]+)`/g)) {
      assert.match(match[1], SETTING_NAME, `README settings table: "${match[1]}" is not a setting name`);
      names.add(match[1]);
    }
  }
  return { names, rows: rows.length };
}

describe("README settings table", () => {
  const read = settingsReadByCode();

  it("the scan of the code finds every exported setting name", () => {
    for (const name of [...Object.values(STACK_CONFIG_KEYS), ...Object.values(ENV_VARS), CLOCK_OFFSET_ENV]) {
      assert.ok(read.has(name), `${name} is found by the scan`);
    }
  });

  it("lists every config key and environment variable the code reads, and no other", () => {
    const { names, rows } = settingsInReadme();
    assert.ok(rows > 0);
    const missing = [...read].filter((name) => !names.has(name)).sort();
    const extra = [...names].filter((name) => !read.has(name)).sort();
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
  });
});
