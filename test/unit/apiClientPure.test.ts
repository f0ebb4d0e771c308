import { test } from "node:test";
import assert from "node:assert/strict";
import { isLoopbackHost, validateIamBaseUrl } from "../../provider/endpoints";
import { parseInstantMs } from "../../provider/instants";
import { CredentialsError } from "../../provider/errors";

test("parseInstantMs: 0, 1, 3, 6 and 9 fraction digits; offsets; truncation to ms", () => {
  const base = Date.UTC(2026, 10, 28, 18, 49, 11);
  assert.equal(parseInstantMs("2026-11-28T18:49:11Z"), base);
  assert.equal(parseInstantMs("2026-11-28T18:49:11.5Z"), base + 500);
  assert.equal(parseInstantMs("2026-11-28T18:49:11.123Z"), base + 123);
  assert.equal(parseInstantMs("2026-11-28T18:49:11.123456Z"), base + 123);
  assert.equal(parseInstantMs("2026-11-28T18:49:11.123999999Z"), base + 123, "truncated, never rounded up");
  assert.equal(parseInstantMs("2026-11-28T21:49:11.000000001+03:00"), base);
});

test("parseInstantMs: rejects values that are not RFC 3339 instants", () => {
  for (const bad of [
    "2026-11-28T18:49:11",
    "2026-11-28T18:49:11.1234567890Z",
    "2026-11-28",
    "tomorrow",
    "",
    "2026-13-28T18:49:11Z",
    12345,
    null,
    undefined,
  ]) {
    assert.equal(parseInstantMs(bad), undefined, String(bad));
  }
});

test("isLoopbackHost: 127.0.0.0/8, ::1 and the bare name localhost only", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "[::1]", "::1", "LOCALHOST"]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of [
    "128.0.0.1",
    "10.0.0.1",
    "example.com",
    "127.0.0.1.example.com",
    "evil.localhost",
    "localhost.example.com",
    "[::2]",
    "169.254.169.254",
  ]) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

test("validateIamBaseUrl: https anywhere, http only on loopback, no credentials, trailing slash dropped", () => {
  assert.equal(validateIamBaseUrl("https://iam.api.cloud.yandex.net/"), "https://iam.api.cloud.yandex.net");
  assert.equal(validateIamBaseUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  assert.equal(validateIamBaseUrl("http://[::1]:8080/prefix/"), "http://[::1]:8080/prefix");
  assert.throws(
    () => validateIamBaseUrl("http://iam.example.com"),
    (e: unknown) => {
      assert.ok(e instanceof CredentialsError);
      assert.match(e.message, /plain http:\/\/.*loopback/);
      return true;
    },
  );
  assert.throws(() => validateIamBaseUrl("ftp://x"), CredentialsError);
  assert.throws(() => validateIamBaseUrl("not a url"), CredentialsError);
  assert.throws(() => validateIamBaseUrl("https://u:p@iam.example.com"), CredentialsError);
});
