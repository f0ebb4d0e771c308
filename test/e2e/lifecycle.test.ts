import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import type { RequestCounts } from "../../emulator";
import { CLOCK_OFFSET_ENV, SERVICE_ACCOUNT_IAM_TOKEN_TYPE } from "../../sdk/testing";
import { pulumiVersion, tempDir, type TestStack } from "../support/pulumiCli";
import { Story } from "../support/story";
import { createTokensProgramStack, startTestWorld, type TestWorld } from "../support/emulatorFixture";

const HOUR_S = 3600;

// The product through the real engine: the packed package installed into a program, the real
// CLI, and the IAM emulator over HTTP. Time moves with the emulator's clock and, for the
// provider, the matching clock offset; token lifetimes are set per account.
describe("ServiceAccountIamToken lifecycle through the real CLI", () => {
  const backend = tempDir("pyit-lifecycle-");
  let world: TestWorld;
  let testStack: TestStack;
  const accounts = [
    {
      name: "alpha",
      serviceAccountId: "ajealpha000000000001",
      tokenLifetimeSeconds: 2 * HOUR_S,
      probe: true,
    },
    { name: "beta", serviceAccountId: "ajebeta0000000000002" },
    { name: "gamma", serviceAccountId: "ajegamma000000000003", renewBefore: "PT30M" },
  ];
  const callCounts = async (): Promise<RequestCounts> => world.emulator.admin.counts();
  /** Moves the emulator's clock and the provider's clock together, to `offsetSeconds` after the start. */
  const moveTimeTo = async (offsetSeconds: number, startIso: string): Promise<void> => {
    await world.emulator.admin.setClock(new Date(Date.parse(startIso) + offsetSeconds * 1000).toISOString());
    (testStack.stack.workspace as LocalWorkspace).envVars[CLOCK_OFFSET_ENV] = `PT${offsetSeconds}S`;
  };
  let startIso = "";

  before(async () => {
    console.log(`pulumi version: ${pulumiVersion()}`);
    world = await startTestWorld(accounts);
    startIso = await world.emulator.admin.now();
    testStack = await createTokensProgramStack(world, backend.dir, "lifecycle");
    await testStack.stack.setConfig("accounts", { value: JSON.stringify(accounts) });
    await testStack.stack.setConfig("emulatorUrl", { value: world.emulator.baseUrl });
    await testStack.stack.setConfig("emulatorAdminToken", { value: world.emulator.adminToken, secret: true });
  });

  after(async () => {
    await world?.emulator.close();
    backend.cleanup();
  });

  let firstTokens: Record<string, string> = {};
  const story = new Story();

  story.step(
    "up creates one token per resource with exactly one API call each, as secret outputs",
    async () => {
      const up = await testStack.stack.up();
      assert.equal(up.summary.result, "succeeded");
      const counts = await callCounts();
      assert.equal(counts.createForServiceAccount, accounts.length);
      assert.equal(counts.create, 1, "one caller-token exchange for the provider process");
      for (const account of accounts) {
        const output = up.outputs[`${account.name}Token`];
        assert.equal(output.secret, true, `${account.name}Token is a secret output`);
        assert.ok(typeof output.value === "string" && output.value.length > 20);
        assert.match(
          up.outputs[`${account.name}ExpiresAt`].value,
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/,
        );
        firstTokens[account.name] = output.value;
      }
      assert.equal(
        up.outputs.alphaProbeSubject.value,
        "ajealpha000000000001",
        "the dependent resource used a working token",
      );
      assert.ok(!up.stdout.includes(firstTokens.alpha), "no token in the CLI output");
    },
  );

  story.step(
    "stores no plaintext token, and a __provider that is a small require of the installed package",
    () => {
      const stackFile = testStack.readStackFile();
      for (const token of Object.values(firstTokens)) {
        assert.ok(!stackFile.includes(token), "the stack file holds no plaintext token");
      }
      const state = JSON.parse(stackFile);
      const tokenResources = state.checkpoint.latest.resources.filter(
        (r: { type: string }) => r.type === SERVICE_ACCOUNT_IAM_TOKEN_TYPE,
      );
      assert.equal(tokenResources.length, accounts.length);
      for (const resource of tokenResources) {
        assert.match(resource.id, /^aje[a-z0-9]+\/[0-9a-f]{12}$/, "the id is stable and not the token");
        assert.equal(
          resource.outputs.iamToken["4dabf18193072939515e22adb298388d"],
          "1b47061264138c4ac30d75fd1eb44270",
        );
        const provider: string = resource.inputs.__provider;
        assert.ok(
          provider.includes('require("pulumi-yandex-iam-token/dist/provider/tokenResource.js")'),
          provider,
        );
        assert.ok(Buffer.byteLength(provider) < 2048, `__provider is ${Buffer.byteLength(provider)} bytes`);
        const resourceBytes = Buffer.byteLength(JSON.stringify(resource));
        console.log(
          `state bytes for ${resource.urn.split("::").pop()}: ${resourceBytes} (__provider ${Buffer.byteLength(provider)})`,
        );
      }
    },
  );

  story.step("preview right after up shows no changes and makes no API call", async () => {
    const before = await callCounts();
    const preview = await testStack.stack.preview();
    assert.deepEqual(preview.changeSummary, { same: accounts.length + 2 });
    assert.deepEqual(await callCounts(), before);
  });

  story.step(
    "preview shows a token inside its renewal window, with the reason, and its dependents changing",
    async () => {
      await moveTimeTo(1.5 * HOUR_S, startIso); // alpha (2 h) has 30 min left, inside PT1H
      const before = await callCounts();
      const preview = await testStack.stack.preview();
      assert.deepEqual(preview.changeSummary, { same: accounts.length, update: 2 });
      assert.match(
        preview.stdout,
        /IAM token for service account ajealpha000000000001 expires at .* inside its renewal window \(renewBefore PT1H\): it will be renewed/,
      );
      assert.match(
        preview.stdout,
        /~ +pulumi-nodejs:dynamic\/yandex-iam:ServiceAccountIamToken alpha update/,
      );
      assert.match(preview.stdout, /~ +pulumi-nodejs:dynamic:Resource alpha-probe update/);
      assert.deepEqual(await callCounts(), before, "preview makes no API call");
    },
  );

  story.step("up renews only that token, and the dependent resource works with the new one", async () => {
    const before = await callCounts();
    const up = await testStack.stack.up();
    const counts = await callCounts();
    assert.equal(counts.createForServiceAccount - before.createForServiceAccount, 1);
    assert.notEqual(up.outputs.alphaToken.value, firstTokens.alpha);
    assert.equal(up.outputs.betaToken.value, firstTokens.beta);
    assert.equal(up.outputs.gammaToken.value, firstTokens.gamma);
    assert.deepEqual(up.summary.resourceChanges, { same: accounts.length, update: 2 });
    assert.equal(up.outputs.alphaProbeSubject.value, "ajealpha000000000001");
    const whoami = await world.emulator.admin.whoami(up.outputs.alphaToken.value);
    assert.equal(whoami.subjectId, "ajealpha000000000001");
    assert.equal(whoami.expiresAt, up.outputs.alphaExpiresAt.value);
    firstTokens = Object.fromEntries(accounts.map((a) => [a.name, up.outputs[`${a.name}Token`].value]));
  });

  story.step("refresh makes no API call, also for a due token, and the next up renews it", async () => {
    const before = await callCounts();
    const fresh = await testStack.stack.refresh();
    assert.equal(fresh.summary.result, "succeeded");
    assert.deepEqual(await callCounts(), before);

    // The renewed alpha token (issued at 1.5 h, 2 h lifetime) is due from 2.5 h on; the others are fresh.
    await moveTimeTo(2.75 * HOUR_S, startIso);
    const stale = await testStack.stack.refresh();
    assert.deepEqual(await callCounts(), before, "refresh never issues a token");
    assert.match(
      stale.stdout,
      /service account ajealpha000000000001 expires at .*refresh leaves it as it is; the next `pulumi up` renews it/,
    );
    const up = await testStack.stack.up();
    assert.equal((await callCounts()).createForServiceAccount - before.createForServiceAccount, 1);
    assert.notEqual(up.outputs.alphaToken.value, firstTokens.alpha, "up renewed the due token");
    assert.equal(up.outputs.betaToken.value, firstTokens.beta);
    const whoami = await world.emulator.admin.whoami(up.outputs.alphaToken.value);
    assert.equal(whoami.subjectId, "ajealpha000000000001");
  });

  story.step("destroy leaves an empty stack", async () => {
    const destroy = await testStack.stack.destroy();
    assert.equal(destroy.summary.result, "succeeded");
    const state = JSON.parse(testStack.readStackFile());
    assert.equal((state.checkpoint.latest?.resources ?? []).length, 0);
  });
});
