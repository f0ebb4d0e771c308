/**
 * The PS256 JWT that is exchanged for an IAM token, signed with a service account's authorized key.
 */
import { sign as cryptoSign, constants as cryptoConstants } from "node:crypto";
import type { Clock } from "./clock";
import { DEFAULT_IAM_ENDPOINT } from "./endpoints";
import { type AuthorizedKey, loadPrivateKey } from "./authorizedKey";

/** Lifetime written into the JWT (`exp - iat`), in seconds; the API accepts at most 3600. */
export const JWT_LIFETIME_SECONDS = 3600;

/** The JWT audience for an IAM installation: `<base url>/iam/v1/tokens`. */
export function jwtAudience(iamEndpoint: string = DEFAULT_IAM_ENDPOINT): string {
  return `${iamEndpoint.replace(/\/+$/, "")}/iam/v1/tokens`;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/**
 * Builds and signs the JWT for the key exchange: header `{typ:"JWT", alg:"PS256", kid}`, claims
 * `iss` = service account id, `aud` = `<iam endpoint>/iam/v1/tokens`, `iat` = now, `exp` = now +
 * {@link JWT_LIFETIME_SECONDS} (Unix seconds from the clock). PS256 = RSASSA-PSS, SHA-256,
 * MGF1-SHA-256, salt length 32.
 */
export function createKeyJwt(key: AuthorizedKey, options: { clock: Clock; iamEndpoint?: string }): string {
  const iatSeconds = Math.floor(options.clock.now().toSeconds());
  const header = { typ: "JWT", alg: "PS256", kid: key.id };
  const claims = {
    iss: key.serviceAccountId,
    aud: jwtAudience(options.iamEndpoint),
    iat: iatSeconds,
    exp: iatSeconds + JWT_LIFETIME_SECONDS,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = cryptoSign("sha256", Buffer.from(signingInput), {
    key: loadPrivateKey(key.privateKeyPem),
    padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  });
  return `${signingInput}.${base64url(signature)}`;
}
