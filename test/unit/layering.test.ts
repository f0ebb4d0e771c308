import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const repoRoot = path.resolve(__dirname, "..", "..", "..");

/**
 * The provider's layers, lowest first. A module may import (values or types) only from modules of
 * a lower layer: that keeps the graph acyclic and each concern below everything that uses it.
 * A new module gets a row here, which is the moment to decide where it belongs.
 */
const PROVIDER_LAYERS: readonly (readonly string[])[] = [
  ["clock", "instants", "grpcCodes", "failure", "redaction", "settingFiles", "renewal"],
  ["advice", "validation", "retry"],
  ["errors"],
  ["endpoints", "authorizedKey"],
  ["settings", "jwt"],
  ["ycProfile", "apiClient"],
  ["credentials", "callerToken"],
  ["session", "tokenProvider"],
  ["tokenResource"],
];

/** Relative imports, re-exports and requires of a TypeScript file: `from "./x"`, `require("../dir/x")`. */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/(?:\bfrom\s+|\brequire\()"(\.{1,2}\/[^"]+)"/g)].map((match) => match[1]);
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(repoRoot, dir))
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .map((name) => path.join(repoRoot, dir, name));
}

describe("import layering", () => {
  const layerOf = new Map<string, number>();
  PROVIDER_LAYERS.forEach((layer, index) => layer.forEach((name) => layerOf.set(name, index)));

  it("every provider module has a layer, and imports only from lower layers", () => {
    const violations: string[] = [];
    for (const file of sourceFiles("provider")) {
      const name = path.basename(file, ".ts");
      const own = layerOf.get(name);
      assert.notEqual(own, undefined, `provider/${name}.ts is missing from PROVIDER_LAYERS`);
      for (const target of relativeImports(file)) {
        assert.ok(target.startsWith("./"), `provider/${name}.ts imports ${target} from outside provider/`);
        const targetLayer = layerOf.get(target.slice(2));
        if (targetLayer === undefined || targetLayer >= own!) {
          violations.push(`provider/${name}.ts (layer ${own}) imports ${target} (layer ${targetLayer})`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });

  it("sdk/ reaches the provider only through its public modules; the emulator stands alone", () => {
    for (const file of sourceFiles("sdk")) {
      for (const target of relativeImports(file)) {
        assert.match(
          target,
          /^(\.\/[A-Za-z]+|\.\.\/provider\/(tokenResource|renewal|clock|settings))$/,
          `${path.relative(repoRoot, file)} imports ${target}`,
        );
      }
    }
    for (const file of sourceFiles("emulator")) {
      for (const target of relativeImports(file)) {
        assert.match(target, /^\.\/[A-Za-z]+$/, `${path.relative(repoRoot, file)} imports ${target}`);
      }
    }
  });
});
