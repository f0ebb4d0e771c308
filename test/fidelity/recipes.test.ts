/**
 * The documentation's own client recipes, run as written against the emulator started from its
 * CLI: if Yandex's documented way of calling the API fails here, the emulator is not faithful.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { TOKEN_CREATOR_ROLE, type AuthorizedKeyFile } from "../../emulator";
import { type CliEmulator, curl, DOCUMENTED_TOKEN_PATTERN, RFC3339_UTC, startCliEmulator } from "./support";

const SERVICE_ACCOUNT = "ajerecipesa000000001";
const USER = "ajerecipeuser0000001";
const OAUTH_TOKEN = "y0_recipeOAuthTokenForTheDocumentedCurlExchange0123";
const ADMIN_TOKEN = "recipes-admin-token";

describe("documented client recipes against the emulator CLI", () => {
  let dir: string;
  let emu: CliEmulator;
  let userIamToken: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "yc-iam-recipes-"));
    const seedPath = join(dir, "seed.json");
    writeFileSync(
      seedPath,
      JSON.stringify({
        serviceAccounts: [{ id: SERVICE_ACCOUNT, folderId: "b1grecipefolder00001" }],
        users: [{ id: USER }],
        oauthTokens: [{ token: OAUTH_TOKEN, subjectId: USER }],
        roleBindings: [{ subjectId: USER, role: TOKEN_CREATOR_ROLE, resourceId: SERVICE_ACCOUNT }],
        metadataServiceAccountId: SERVICE_ACCOUNT,
        // Every recipe below must work with padded tokens too: they are legal per the pattern.
        tokenPadding: "always",
      }),
    );
    emu = await startCliEmulator(["--seed", seedPath], ADMIN_TOKEN);
  });

  after(async () => {
    const code = await emu.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0);
  });

  it("OAuth exchange: curl -d '{\"yandexPassportOauthToken\":...}' (curl's default form content type)", async () => {
    // "Getting an IAM token for a Yandex account": curl -d "{\"yandexPassportOauthToken\":\"<OAuth-token>\"}" ".../iam/v1/tokens"
    const answer = await curl(
      `curl -d "{\\"yandexPassportOauthToken\\":\\"${OAUTH_TOKEN}\\"}" "${emu.baseUrl}/iam/v1/tokens"`,
    );
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(Object.keys(answer.json ?? {}).sort(), ["expiresAt", "iamToken"]);
    userIamToken = answer.json?.iamToken as string;
    assert.match(userIamToken, DOCUMENTED_TOKEN_PATTERN);
    assert.ok(userIamToken.includes("="), "a padded token, as the documented pattern allows");
    assert.match(answer.json?.expiresAt as string, RFC3339_UTC);
    assert.equal((await emu.admin.whoami(userIamToken)).subjectId, USER);
  });

  it("the same exchange written with single quotes: curl -d '{...}' <url>", async () => {
    const answer = await curl(
      `curl -d '{"yandexPassportOauthToken":"${OAUTH_TOKEN}"}' ${emu.baseUrl}/iam/v1/tokens`,
    );
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.json?.iamToken, userIamToken, "the API may return the same token while it is young");
  });

  it('createForServiceAccount: -H "Authorization: Bearer ..." -d \'{"serviceAccountId":...}\'', async () => {
    const answer = await curl(
      `curl -X POST -H "Authorization: Bearer ${userIamToken}" -d '{"serviceAccountId":"${SERVICE_ACCOUNT}"}' ` +
        `${emu.baseUrl}/iam/v1/tokens:createForServiceAccount`,
    );
    assert.equal(answer.status, 200, answer.body);
    assert.match(answer.json?.iamToken as string, DOCUMENTED_TOKEN_PATTERN);
    assert.match(answer.json?.expiresAt as string, RFC3339_UTC);
    assert.equal((await emu.admin.whoami(answer.json?.iamToken as string)).subjectId, SERVICE_ACCOUNT);
  });

  it("a JWT signed by the jose library (PS256, kid) from an emulator-issued key file, exchanged with the documented curl", async () => {
    const jose = await import("jose");
    const keyFile: AuthorizedKeyFile = await emu.admin.createKey(SERVICE_ACCOUNT);
    // As the documentation says: everything before -----BEGIN is Yandex's comment line.
    const pem = keyFile.private_key.slice(keyFile.private_key.indexOf("-----BEGIN"));
    const privateKey = await jose.importPKCS8(pem, "PS256");
    const nowSeconds = Math.floor(Date.parse(await emu.admin.now()) / 1000);
    const jwt = await new jose.SignJWT({})
      .setProtectedHeader({ typ: "JWT", alg: "PS256", kid: keyFile.id })
      .setIssuer(keyFile.service_account_id)
      .setAudience("https://iam.api.cloud.yandex.net/iam/v1/tokens")
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 3600)
      .sign(privateKey);
    assert.deepEqual(jose.decodeProtectedHeader(jwt), { typ: "JWT", alg: "PS256", kid: keyFile.id });
    // "Get an IAM token for a service account": curl -X POST -H 'Content-Type: application/json' -d '{"jwt": "<SIGNED-JWT>"}' .../iam/v1/tokens
    const answer = await curl(
      `curl -X POST -H 'Content-Type: application/json' -d '{"jwt": "${jwt}"}' ${emu.baseUrl}/iam/v1/tokens`,
    );
    assert.equal(answer.status, 200, answer.body);
    assert.equal((await emu.admin.whoami(answer.json?.iamToken as string)).subjectId, SERVICE_ACCOUNT);
  });

  it("metadata token: curl -H Metadata-Flavor:Google .../computeMetadata/v1/instance/service-accounts/default/token", async () => {
    const answer = await curl(
      `curl -H Metadata-Flavor:Google ${emu.baseUrl}/computeMetadata/v1/instance/service-accounts/default/token`,
    );
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(Object.keys(answer.json ?? {}).sort(), ["access_token", "expires_in", "token_type"]);
    assert.equal(answer.json?.token_type, "Bearer");
    assert.ok(Number.isInteger(answer.json?.expires_in));
    assert.equal((await emu.admin.whoami(answer.json?.access_token as string)).subjectId, SERVICE_ACCOUNT);
  });

  it("metadata token: 404 with no service account attached, 400 with token access disabled (plain answers)", async () => {
    const command = `curl -H Metadata-Flavor:Google ${emu.baseUrl}/computeMetadata/v1/instance/service-accounts/default/token`;
    await emu.admin.updateSettings({ metadataGceHttpToken: "disabled" });
    const disabled = await curl(command);
    assert.equal(disabled.status, 400);
    assert.equal(disabled.json, undefined);
    await emu.admin.updateSettings({ metadataGceHttpToken: "enabled", metadataServiceAccountId: null });
    const detached = await curl(command);
    assert.equal(detached.status, 404);
    assert.equal(detached.json, undefined);
    await emu.admin.updateSettings({ metadataServiceAccountId: SERVICE_ACCOUNT });
    assert.equal((await curl(command)).status, 200);
  });

  it("revoke, as documented: the token revokes itself with --header and --data", async () => {
    const { iamToken } = await emu.admin.mintIamToken(USER);
    // "Revoking an IAM token": the same <IAM_token> in the Authorization header and in the body.
    const answer = await curl(
      `curl --request POST --header 'Content-Type: application/json' --header "Authorization: Bearer ${iamToken}" ` +
        `--data '{ "iamToken": "${iamToken}" }' ${emu.baseUrl}/iam/v1/tokens:revoke`,
    );
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(answer.json, { subjectId: USER });
    await assert.rejects(emu.admin.whoami(iamToken), { status: 401 });
  });

  it("a body that is not JSON (a form-encoded one) is refused with 400 INVALID_ARGUMENT", async () => {
    const answer = await curl(
      `curl -d 'yandexPassportOauthToken=${OAUTH_TOKEN}' ${emu.baseUrl}/iam/v1/tokens`,
    );
    assert.equal(answer.status, 400);
    assert.equal(answer.json?.code, 3);
    assert.ok(!answer.body.includes(OAUTH_TOKEN), "the body is never echoed");
  });

  it("nothing secret reached the emulator's stderr", () => {
    assert.ok(!emu.stderr().includes(OAUTH_TOKEN));
    assert.ok(!emu.stderr().includes(userIamToken));
  });
});
