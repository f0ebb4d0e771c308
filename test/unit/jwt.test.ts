import { test } from "node:test";
import assert from "node:assert/strict";
import { constants, generateKeyPairSync, verify } from "node:crypto";
import { ManualClock } from "../../provider/clock";
import { CredentialsError } from "../../provider/errors";
import { parseAuthorizedKey } from "../../provider/authorizedKey";
import { JWT_LIFETIME_SECONDS, createKeyJwt, jwtAudience } from "../../provider/jwt";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
const prefixedPrivateKey = `PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajekey000000000000001>\n${privatePem}`;

function keyFile(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: "ajekey000000000000001",
    service_account_id: "ajeserviceacc0000001",
    created_at: "2026-11-28T10:00:00.123456789Z",
    key_algorithm: "RSA_2048",
    public_key: publicPem,
    private_key: prefixedPrivateKey,
    ...overrides,
  });
}

function decodePart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}

test("parseAuthorizedKey: reads a yc key file and strips the prefix line before -----BEGIN", () => {
  const key = parseAuthorizedKey(keyFile());
  assert.equal(key.id, "ajekey000000000000001");
  assert.equal(key.serviceAccountId, "ajeserviceacc0000001");
  assert.ok(key.privateKeyPem.startsWith("-----BEGIN PRIVATE KEY-----"));
  assert.ok(!key.privateKeyPem.includes("PLEASE DO NOT REMOVE"));
});

test("parseAuthorizedKey: clear errors naming the field, never quoting the key", () => {
  const cases: [string, RegExp][] = [
    ["{not json " + privatePem, /not valid JSON/],
    [keyFile({ id: undefined }), /lacks the field\(s\) id/],
    [keyFile({ service_account_id: "" }), /service_account_id/],
    [keyFile({ private_key: 42 }), /private_key/],
    [
      keyFile({ private_key: "PLEASE DO NOT REMOVE THIS LINE!\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC" }),
      /no "-----BEGIN" line/,
    ],
    [
      keyFile({
        private_key:
          "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
      }),
      /not a readable PEM/,
    ],
    ["[1,2]", /not a JSON object/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(
      () => parseAuthorizedKey(text, "YC_SERVICE_ACCOUNT_KEY_FILE"),
      (e: unknown) => {
        assert.ok(e instanceof CredentialsError);
        assert.match(e.message, pattern);
        assert.match(e.message, /YC_SERVICE_ACCOUNT_KEY_FILE/);
        assert.ok(!e.message.includes("MII"), "no key material in the message");
        assert.ok(!String(e.stack).includes("MII"), "no key material in the stack");
        return true;
      },
    );
  }
});

test("createKeyJwt: PS256 header and claims from the clock, verifiable with the public key", () => {
  const clock = new ManualClock("2026-11-28T12:00:00.750Z");
  const key = parseAuthorizedKey(keyFile());
  const jwt = createKeyJwt(key, { clock, iamEndpoint: "http://127.0.0.1:4567/" });
  const [headerPart, claimsPart, signaturePart] = jwt.split(".");
  assert.deepEqual(decodePart(headerPart), { typ: "JWT", alg: "PS256", kid: "ajekey000000000000001" });
  const iat = Math.floor(Date.UTC(2026, 10, 28, 12, 0, 0) / 1000);
  assert.deepEqual(decodePart(claimsPart), {
    iss: "ajeserviceacc0000001",
    aud: "http://127.0.0.1:4567/iam/v1/tokens",
    iat,
    exp: iat + 3600,
  });
  assert.ok(JWT_LIFETIME_SECONDS <= 3600);
  const ok = verify(
    "sha256",
    Buffer.from(`${headerPart}.${claimsPart}`),
    { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    Buffer.from(signaturePart, "base64url"),
  );
  assert.equal(ok, true, "signature verifies as RSASSA-PSS SHA-256 salt 32");
  const tampered = verify(
    "sha256",
    Buffer.from(`${headerPart}.${claimsPart}x`),
    { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    Buffer.from(signaturePart, "base64url"),
  );
  assert.equal(tampered, false);
});

test("jwtAudience: defaults to the public installation", () => {
  assert.equal(jwtAudience(), "https://iam.api.cloud.yandex.net/iam/v1/tokens");
});
