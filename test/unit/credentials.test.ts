import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import {
  type CredentialChainInput,
  classifyYcToken,
  resolveCredentialChain,
} from "../../provider/credentials";
import { iamEndpointFromApiEndpoint } from "../../provider/endpoints";
import { ycConfigPath } from "../../provider/ycProfile";
import { CredentialsError } from "../../provider/errors";

const HOME = "/home/tester";
const privatePem = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();
const keyJson = JSON.stringify({
  id: "ajekey1",
  service_account_id: "ajesa1",
  private_key: `PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajekey1>\n${privatePem}`,
});

function input(
  over: Partial<CredentialChainInput> & { files?: Record<string, string> } = {},
): CredentialChainInput {
  const files = over.files ?? {};
  return {
    stackConfig: over.stackConfig ?? {},
    env: over.env ?? {},
    homeDir: HOME,
    readFile: (p) => {
      if (p in files) return files[p];
      throw Object.assign(new Error(`ENOENT: no such file ${p}`), { code: "ENOENT" });
    },
  };
}

test("classifyYcToken: t1. with exactly two dots is an IAM token, anything else OAuth", () => {
  assert.equal(classifyYcToken("t1.9euelZq.abcDEF"), "iamToken");
  assert.equal(classifyYcToken(" t1.a.b\n"), "iamToken");
  assert.equal(classifyYcToken("t1.a.b.c"), "oauthToken");
  assert.equal(classifyYcToken("t1.ab"), "oauthToken");
  assert.equal(classifyYcToken("y0_AgAAAAA"), "oauthToken");
  assert.equal(classifyYcToken("T1.a.b"), "oauthToken");
});

test("chain: stack config wins over environment, environment over yc profile", () => {
  const files = { [ycConfigPath(HOME)]: "current: p\nprofiles:\n  p:\n    token: y0_profile\n" };
  const env = { YC_TOKEN: "y0_env" };
  let r = resolveCredentialChain(input({ stackConfig: { "yandex:token": "t1.stack.tok" }, env, files }));
  assert.equal(r.credential.kind, "iamToken");
  assert.equal(r.credential.source, "stack config yandex:token (IAM token)");
  r = resolveCredentialChain(input({ env, files }));
  assert.deepEqual(r.credential, {
    kind: "oauthToken",
    oauthToken: "y0_env",
    source: "environment YC_TOKEN (OAuth token)",
  });
  r = resolveCredentialChain(input({ files }));
  assert.equal(r.credential.kind, "oauthToken");
  assert.match(r.credential.source, /yc CLI profile "p"/);
  assert.deepEqual(r.tried.length, 3);
});

test("chain: key file as a path (with ~/), as inline JSON, and inline in a yc profile", () => {
  let r = resolveCredentialChain(
    input({ env: { YC_SERVICE_ACCOUNT_KEY_FILE: "~/key.json" }, files: { [`${HOME}/key.json`]: keyJson } }),
  );
  assert.equal(r.credential.kind, "serviceAccountKey");
  assert.equal(r.credential.source, "environment YC_SERVICE_ACCOUNT_KEY_FILE (key ajekey1)");
  r = resolveCredentialChain(input({ stackConfig: { "yandex:serviceAccountKeyFile": keyJson } }));
  assert.equal(r.credential.kind, "serviceAccountKey");
  const indented = privatePem
    .trim()
    .split("\n")
    .map((l) => `        ${l}`)
    .join("\n");
  const yaml = `current: sa\nprofiles:\n  sa:\n    service-account-key:\n      id: ajekey1\n      service_account_id: ajesa1\n      private_key: |\n        PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajekey1>\n${indented}\n    endpoint: api.cloud.yandex.net:443\n`;
  r = resolveCredentialChain(input({ files: { [ycConfigPath(HOME)]: yaml } }));
  assert.equal(r.credential.kind, "serviceAccountKey");
  assert.equal(r.endpoint, "https://iam.api.cloud.yandex.net");
  assert.equal(r.endpointSource, 'yc CLI profile "sa" endpoint (API gateway api.cloud.yandex.net:443)');
});

test("chain: token and key file at one level is an error naming both", () => {
  for (const [stackConfig, env] of [
    [{ "yandex:token": "y0_a", "yandex:serviceAccountKeyFile": keyJson }, {}],
    [{}, { YC_TOKEN: "y0_a", YC_SERVICE_ACCOUNT_KEY_FILE: "/nope" }],
  ] as const) {
    assert.throws(
      () => resolveCredentialChain(input({ stackConfig, env })),
      (e: unknown) => {
        assert.ok(e instanceof CredentialsError);
        assert.match(
          e.message,
          /(yandex:token and yandex:serviceAccountKeyFile|YC_TOKEN and YC_SERVICE_ACCOUNT_KEY_FILE) are both set/,
        );
        assert.ok(!e.message.includes("y0_a"));
        return true;
      },
    );
  }
  const yaml = "current: x\nprofiles:\n  x:\n    token: y0_a\n    instance-service-account: true\n";
  assert.throws(
    () => resolveCredentialChain(input({ files: { [ycConfigPath(HOME)]: yaml } })),
    /token and instance-service-account are both set/,
  );
});

test("chain: nothing configured falls back to the metadata service (YC_METADATA_ADDR), listing what was tried", () => {
  const r = resolveCredentialChain(input({ env: { YC_METADATA_ADDR: "127.0.0.1:9999" } }));
  assert.equal(r.credential.kind, "metadata");
  assert.equal(r.credential.kind === "metadata" && r.credential.metadataBaseUrl, "http://127.0.0.1:9999");
  assert.equal(r.tried.length, 3);
  assert.match(r.tried[2], /config\.yaml: file not found/);
  const d = resolveCredentialChain(input());
  assert.equal(d.credential.kind === "metadata" && d.credential.metadataBaseUrl, "http://169.254.169.254");
});

test("chain: endpoint precedence stack config > YC_IAM_ENDPOINT > default; http only on loopback", () => {
  const env = { YC_TOKEN: "y0_x", YC_IAM_ENDPOINT: "http://127.0.0.1:1" };
  assert.equal(
    resolveCredentialChain(
      input({ env, stackConfig: { "yandex-iam-token:iamEndpoint": "http://localhost:2/" } }),
    ).endpoint,
    "http://localhost:2",
  );
  assert.equal(resolveCredentialChain(input({ env })).endpoint, "http://127.0.0.1:1");
  assert.equal(
    resolveCredentialChain(input({ env: { YC_TOKEN: "y0_x" } })).endpoint,
    "https://iam.api.cloud.yandex.net",
  );
  assert.throws(
    () =>
      resolveCredentialChain(input({ env: { YC_TOKEN: "y0_x", YC_IAM_ENDPOINT: "http://iam.example.com" } })),
    /environment YC_IAM_ENDPOINT http:\/\/iam\.example\.com uses plain http/,
  );
});

test("chain: unreadable key file and broken YAML give errors without secrets", () => {
  assert.throws(
    () => resolveCredentialChain(input({ env: { YC_SERVICE_ACCOUNT_KEY_FILE: "/missing/key.json" } })),
    /YC_SERVICE_ACCOUNT_KEY_FILE is set to \/missing\/key\.json, which cannot be read as a key file: no such file exists/,
  );
  const yaml = "current: x\nprofiles:\n  x:\n    token: y0_leaky_secret_value\n   bad: [\n";
  assert.throws(
    () => resolveCredentialChain(input({ files: { [ycConfigPath(HOME)]: yaml } })),
    (e: unknown) => {
      assert.ok(e instanceof CredentialsError);
      assert.match(e.message, /not valid YAML/);
      assert.ok(!e.message.includes("y0_leaky"));
      return true;
    },
  );
});

test("iamEndpointFromApiEndpoint: api.<domain> maps to https://iam.api.<domain>, for both installations", () => {
  assert.equal(iamEndpointFromApiEndpoint("api.cloud.yandex.net:443"), "https://iam.api.cloud.yandex.net");
  assert.equal(iamEndpointFromApiEndpoint("api.yandexcloud.kz:443"), "https://iam.api.yandexcloud.kz");
  assert.equal(iamEndpointFromApiEndpoint("api.yandexcloud.kz"), "https://iam.api.yandexcloud.kz");
  assert.equal(
    iamEndpointFromApiEndpoint("https://api.cloud.yandex.net"),
    "https://iam.api.cloud.yandex.net",
  );
  assert.equal(iamEndpointFromApiEndpoint(" API.Cloud.Yandex.NET:443 "), "https://iam.api.cloud.yandex.net");
  for (const unmappable of [
    "grpc.example.com:50051",
    "api.cloud.yandex.net:8443",
    "http://127.0.0.1:5",
    "api",
    "",
  ]) {
    assert.equal(iamEndpointFromApiEndpoint(unmappable), undefined, unmappable);
  }
});

test("chain: the API gateway setting (yandex:endpoint, YC_ENDPOINT) sets the IAM endpoint; ours still wins", () => {
  const kz = resolveCredentialChain(
    input({ env: { YC_TOKEN: "y0_x", YC_ENDPOINT: "api.yandexcloud.kz:443" } }),
  );
  assert.equal(kz.endpoint, "https://iam.api.yandexcloud.kz");
  assert.equal(kz.endpointSource, "environment YC_ENDPOINT (API gateway api.yandexcloud.kz:443)");
  const stack = resolveCredentialChain(
    input({
      env: { YC_TOKEN: "y0_x", YC_ENDPOINT: "api.yandexcloud.kz:443" },
      stackConfig: { "yandex:endpoint": "api.cloud.yandex.net:443" },
    }),
  );
  assert.equal(stack.endpoint, "https://iam.api.cloud.yandex.net", "stack config wins over the environment");
  const ours = resolveCredentialChain(
    input({
      env: { YC_TOKEN: "y0_x", YC_IAM_ENDPOINT: "http://127.0.0.1:7" },
      stackConfig: { "yandex:endpoint": "api.yandexcloud.kz:443" },
    }),
  );
  assert.equal(ours.endpoint, "http://127.0.0.1:7", "our IAM endpoint setting wins over the gateway");
  assert.throws(
    () => resolveCredentialChain(input({ env: { YC_TOKEN: "y0_x", YC_ENDPOINT: "grpc.internal:50051" } })),
    /environment YC_ENDPOINT is not an API gateway of the form api\.<domain>\[:443\].*Set yandex-iam-token:iamEndpoint or YC_IAM_ENDPOINT/,
  );
});

test("chain: a yc profile's endpoint applies to the credentials from that profile", () => {
  const yaml = "current: kz\nprofiles:\n  kz:\n    token: y0_kz\n    endpoint: api.yandexcloud.kz:443\n";
  const r = resolveCredentialChain(input({ files: { [ycConfigPath(HOME)]: yaml } }));
  assert.equal(r.endpoint, "https://iam.api.yandexcloud.kz");
  assert.equal(r.endpointSource, 'yc CLI profile "kz" endpoint (API gateway api.yandexcloud.kz:443)');
});
