import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { request } from "node:https";
import { describe, it } from "node:test";
import { startEmulator } from "../../emulator";
import { IDS } from "./support";

function httpsPost(url: string, ca: string | undefined, headers: Record<string, string>, body: string) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method: "POST", headers, ca }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("TLS", () => {
  it("serves https with a self-signed certificate for 127.0.0.1 and localhost", async () => {
    const emu = await startEmulator({ tls: true });
    try {
      assert.match(emu.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(emu.caCertPem !== undefined);
      const certificate = new X509Certificate(emu.caCertPem);
      assert.match(certificate.subjectAltName ?? "", /DNS:localhost/);
      assert.match(certificate.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);

      // The admin client trusts the certificate through node:https.
      await emu.admin.createServiceAccount({ id: IDS.serviceAccount });
      await emu.admin.addRoleBinding({
        subjectId: IDS.caller,
        role: "iam.serviceAccounts.tokenCreator",
        resourceId: IDS.serviceAccount,
      });
      const caller = (await emu.admin.mintIamToken(IDS.caller)).iamToken;
      const body = JSON.stringify({ serviceAccountId: IDS.serviceAccount });
      const headers = { "Content-Type": "application/json", Authorization: `Bearer ${caller}` };

      for (const base of [emu.baseUrl, emu.baseUrl.replace("127.0.0.1", "localhost")]) {
        const answer = await httpsPost(
          `${base}/iam/v1/tokens:createForServiceAccount`,
          emu.caCertPem,
          headers,
          body,
        );
        assert.equal(answer.status, 200, answer.text);
        assert.ok(JSON.parse(answer.text).iamToken);
      }
      await assert.rejects(
        httpsPost(`${emu.baseUrl}/iam/v1/tokens:createForServiceAccount`, undefined, headers, body),
        /self[- ]signed|unable to verify/i,
        "without trusting the certificate the client refuses it",
      );
      // Plain HTTP to the TLS port does not get an API answer.
      await assert.rejects(fetch(emu.baseUrl.replace("https:", "http:")));
    } finally {
      await emu.close();
    }
  });

  it("generates a different certificate per start", async () => {
    const a = await startEmulator({ tls: true });
    const b = await startEmulator({ tls: true });
    try {
      assert.notEqual(a.caCertPem, b.caCertPem);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
