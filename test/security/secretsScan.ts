import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ArtifactLedger } from "../reliability/support";
import { assertNoSecrets, caseCountLine, securityLedger } from "./support";

/**
 * Runs last: every error (message, stack, causes), log line and CLI output the suite produced,
 * and every backend and CLI-home file of its stacks, scanned for every token, OAuth token,
 * private key and key file (raw, JSON-escaped, base64) the suite used; then the count of hostile
 * cases per group.
 */
export function secretsScanSuite(): void {
  describe("secrets: nothing the security suite produced contains a secret it used", () => {
    it("the scanners find a planted secret (so a clean result means something)", () => {
      const planted = "t1.plantedPlantedPlanted.secretSecretSecret";
      const probe = new ArtifactLedger();
      probe.addSecret("planted token", planted);
      probe.addText("clean", "nothing here");
      probe.addText("dirty", `Bearer ${Buffer.from(planted).toString("base64")}`);
      assert.equal(probe.findLeaks().leaks.length, 1, "a base64 form is found too");
      assert.throws(() => assertNoSecrets("planted", ["ok", `x ${planted} y`], [planted]), /no secret/);
    });

    it("zero hits across every error, log line, CLI output and file of the suite", () => {
      const files = securityLedger.snapshotDirs();
      const { leaks, upstream } = securityLedger.findLeaks();
      console.log(
        `security scan: ${files} files and ${(securityLedger.textBytes / 1e6).toFixed(1)} MB of errors, logs ` +
          `and output, ${securityLedger.secretCount} secrets, ${leaks.length} leaks, ` +
          `${upstream.length} upstream SDK debug lines (engine log only)`,
      );
      assert.deepEqual(leaks, []);
      // The Node.js SDK's own debug lines (engine log -v>=3 only) carry secret outputs; see the
      // reliability suite. They may appear in engine logs (stderr, and the message of a failed
      // command, which quotes its stderr), never in CLI output (stdout) or files.
      assert.ok(
        upstream.every((hit) => / (stderr|error|message): /.test(hit)),
        "upstream debug lines only in engine logs",
      );
      assert.ok(securityLedger.secretCount >= 20, `collected ${securityLedger.secretCount} secrets`);
    });

    it("reports the hostile cases per group", () => {
      const line = caseCountLine();
      console.log(line);
      assert.match(line, /total \d+\/\d+/);
    });
  });
}
