import { test } from "node:test";
import assert from "node:assert/strict";
import { IamApiError } from "../../provider/errors";
import { grpcCodeFromHttpStatus } from "../../provider/grpcCodes";
import { REDACTED, redact } from "../../provider/redaction";

test("redact: removes given secrets (also JSON-escaped) and secret-shaped text", () => {
  const pem = "-----BEGIN PRIVATE KEY-----\nMIIEabc\ndef\n-----END PRIVATE KEY-----";
  const text = `token t1.9euelZqabc.def_GHI oauth y0_AgAAAAAAAAAAAAAAAAAAAAAAAAAA jwt eyJhbGc.eyJpc3M.sig Authorization: Bearer s3cr3t-value key ${JSON.stringify(pem)} and ${pem} custom my-custom-secret`;
  const out = redact(text, ["my-custom-secret", undefined, ""]);
  for (const leaked of ["t1.9eue", "y0_Ag", "eyJhbGc", "s3cr3t-value", "MIIEabc", "my-custom-secret"]) {
    assert.ok(!out.includes(leaked), `${leaked} in ${out}`);
  }
  assert.ok(out.includes("Bearer " + REDACTED));
  assert.ok(out.includes("token " + REDACTED));
});

test("grpcCodeFromHttpStatus: the usual mapping", () => {
  assert.deepEqual(
    [400, 401, 403, 404, 429, 500, 502, 503, 504].map(grpcCodeFromHttpStatus),
    [3, 16, 7, 5, 8, 13, 14, 14, 4],
  );
});

test("IamApiError: message has code name, HTTP status, requestId, attempts, cause and remedy", () => {
  const e = new IamApiError({
    operation: "createForServiceAccount",
    kind: "http",
    httpStatus: 403,
    grpcCode: 7,
    serverMessage: "Permission denied",
    requestId: "req-123",
    attempts: 1,
    retryable: false,
    serviceAccountId: "ajeserviceacc0000001",
  });
  assert.equal(e.grpcCodeName, "PERMISSION_DENIED");
  assert.equal(e.retried, false);
  assert.match(e.message, /PERMISSION_DENIED \(gRPC 7, HTTP 403; requestId req-123; 1 attempt\)/);
  assert.match(e.message, /iam\.serviceAccounts\.tokenCreator/);
  assert.match(
    e.message,
    /does not exist/,
    "mentions deployments answering PERMISSION_DENIED for unknown accounts",
  );
  assert.match(e.message, /ajeserviceacc0000001/);
});

test("IamApiError: catalogue entries for NOT_FOUND, UNAUTHENTICATED, throttling, timeout, malformed", () => {
  const make = (over: Partial<ConstructorParameters<typeof IamApiError>[0]>) =>
    new IamApiError({
      operation: "createForServiceAccount",
      kind: "http",
      grpcCode: 13,
      serverMessage: "",
      attempts: 5,
      retryable: true,
      ...over,
    }).message;
  assert.match(make({ httpStatus: 404, grpcCode: 5 }), /NOT_FOUND.*does not exist/);
  assert.match(make({ httpStatus: 401, grpcCode: 16 }), /invalid, expired or revoked.*yc iam create-token/);
  assert.match(
    make({ operation: "createFromOAuthToken", httpStatus: 401, grpcCode: 16 }),
    /OAuth token is invalid/,
  );
  assert.match(make({ httpStatus: 429, grpcCode: 8 }), /throttling.*5 attempt/);
  assert.match(make({ kind: "timeout", grpcCode: 4, timeoutMs: 50 }), /DEADLINE_EXCEEDED.*within 50 ms/);
  assert.match(
    make({ kind: "malformed", httpStatus: 200, grpcCode: 13, retryable: false }),
    /documented shape/,
  );
  assert.match(make({ kind: "network", grpcCode: 14 }), /could not be reached/);
});
