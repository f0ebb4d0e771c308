import { generateKeyPairSync, randomBytes, sign } from "node:crypto";

/** A generated key and self-signed certificate, both PEM. */
export interface SelfSignedCertificate {
  /** PKCS#8 private key (P-256). */
  keyPem: string;
  /** X.509 certificate; also the CA a client must trust. */
  certPem: string;
}

/*
 * A minimal DER writer, just enough for one self-signed certificate. node:crypto can sign and
 * parse X.509 but not build it; this avoids a dependency (and spawning openssl) for ~80 lines.
 */
function der(tag: number, content: Buffer): Buffer {
  const len = content.length;
  let header: Buffer;
  if (len < 0x80) header = Buffer.from([tag, len]);
  else if (len < 0x100) header = Buffer.from([tag, 0x81, len]);
  else if (len < 0x10000) header = Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
  else header = Buffer.from([tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff]);
  return Buffer.concat([header, content]);
}
const seq = (...items: Buffer[]): Buffer => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => der(0x31, Buffer.concat(items));
const octets = (b: Buffer): Buffer => der(0x04, b);
const bitString = (b: Buffer): Buffer => der(0x03, Buffer.concat([Buffer.from([0]), b]));
const utf8 = (s: string): Buffer => der(0x0c, Buffer.from(s, "utf8"));
const bool = (v: boolean): Buffer => der(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, inner: Buffer): Buffer => der(0xa0 + n, inner);

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const bytes = [40 * parts[0] + parts[1]];
  for (const part of parts.slice(2)) {
    const chunk = [part & 0x7f];
    for (let v = part >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function positiveInteger(b: Buffer): Buffer {
  const copy = Buffer.from(b);
  copy[0] &= 0x7f; // keep the serial positive
  if (copy[0] === 0) copy[0] = 1; // and minimally encoded
  return der(0x02, copy);
}

function utcTime(ms: number): Buffer {
  // UTCTime is valid until 2049; the certificate lives a year, so that is enough.
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS
  const text = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16);
  return der(0x17, Buffer.from(`${text}${iso.slice(17, 19)}Z`, "ascii"));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function pem(label: string, body: Buffer): string {
  const lines = body.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * Generates a P-256 key and a self-signed certificate valid for `localhost`, `127.0.0.1` and
 * `::1`. P-256 rather than RSA because key generation then takes about a millisecond, which keeps
 * the emulator's start time low.
 * @param realNowMs real wall-clock time: TLS clients check validity against real time, not
 *   against the emulator's (possibly moved) clock.
 */
export function generateSelfSignedCertificate(realNowMs: number): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const ecdsaWithSha256 = seq(oid("1.2.840.10045.4.3.2"));
  const name = seq(set(seq(oid("2.5.4.3"), utf8("yc-iam-emulator"))));
  const dayMs = 86_400_000;
  const altNames = seq(
    der(0x82, Buffer.from("localhost", "ascii")),
    der(0x87, Buffer.from([127, 0, 0, 1])),
    der(0x87, Buffer.concat([Buffer.alloc(15), Buffer.from([1])])),
  );
  const extensions = seq(
    extension("2.5.29.19", true, seq(bool(true))), // basicConstraints: CA, so it can be its own anchor
    extension("2.5.29.15", true, der(0x03, Buffer.from([2, 0x84]))), // keyUsage: digitalSignature, keyCertSign
    extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
    extension("2.5.29.17", false, altNames),
  );
  const tbs = seq(
    explicit(0, der(0x02, Buffer.from([2]))), // v3
    positiveInteger(randomBytes(16)),
    ecdsaWithSha256,
    name,
    seq(utcTime(realNowMs - dayMs), utcTime(realNowMs + 365 * dayMs)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, extensions),
  );
  const signature = sign("sha256", tbs, privateKey);
  const certificate = seq(tbs, ecdsaWithSha256, bitString(signature));
  return {
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    certPem: pem("CERTIFICATE", certificate),
  };
}
