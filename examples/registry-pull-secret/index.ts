// A Kubernetes image pull secret (`kubernetes.io/dockerconfigjson`) for Yandex Container Registry:
// user name `iam`, password the IAM token.
//
// Stack config:
//   pullerServiceAccountId   a service account with `container-registry.images.puller`
//   namespace                the secret's namespace (default `default`)
//   renderYamlToDirectory    optional: write the manifests to this folder instead of applying them
//                            to a cluster (no cluster needed; the file holds the token in plaintext)
import * as kubernetes from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountIamToken } from "pulumi-yandex-iam-token";

const REGISTRY = "cr.yandex";
const REGISTRY_USER = "iam";

const config = new pulumi.Config();

// The secret is only replaced by `pulumi up`: renew 4 hours before expiry (still below half the
// 12-hour lifetime) and run `up` at least every 3 hours, so it always holds an hour or more.
const puller = new ServiceAccountIamToken("registry-puller", {
  serviceAccountId: config.require("pullerServiceAccountId"),
  renewBefore: "PT4H",
});

// The Docker config JSON is derived from the secret token inside `apply`, so it stays secret.
const dockerConfigJson = puller.iamToken.apply((token) =>
  JSON.stringify({
    auths: {
      [REGISTRY]: {
        username: REGISTRY_USER,
        password: token,
        auth: Buffer.from(`${REGISTRY_USER}:${token}`).toString("base64"),
      },
    },
  }),
);

const renderYamlToDirectory = config.get("renderYamlToDirectory");
// Without renderYamlToDirectory: the default provider, i.e. your kubeconfig.
const cluster = renderYamlToDirectory
  ? new kubernetes.Provider("render", { renderYamlToDirectory })
  : undefined;
const pullSecret = new kubernetes.core.v1.Secret(
  "cr-yandex-pull",
  {
    metadata: { name: "cr-yandex-pull", namespace: config.get("namespace") ?? "default" },
    type: "kubernetes.io/dockerconfigjson",
    stringData: { ".dockerconfigjson": dockerConfigJson },
  },
  { provider: cluster },
);

export const pullSecretName = pullSecret.metadata.name;
export const tokenExpiresAt = puller.expiresAt;
