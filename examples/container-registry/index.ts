// Yandex Container Registry takes an IAM token as a password, with the user name `iam`:
//   1. a Docker image built and pushed to cr.yandex with `@pulumi/docker`;
//   2. a Kubernetes image pull secret (`kubernetes.io/dockerconfigjson`) with `@pulumi/kubernetes`.
//
// Stack config:
//   registryId                  the Container Registry id (`crp...`)
//   pusherServiceAccountId      a service account with `container-registry.images.pusher` on it
//   pullerServiceAccountId      a service account with `container-registry.images.puller` on it
//   pullSecretNamespace         the namespace of the pull secret (default `default`)
//   renderYamlToDirectory       optional: write the Kubernetes manifests to this folder instead of
//                               applying them to a cluster (no cluster needed)
import * as docker from "@pulumi/docker";
import * as kubernetes from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountIamToken } from "pulumi-yandex-iam-token";

const REGISTRY = "cr.yandex";
const REGISTRY_USER = "iam";

const config = new pulumi.Config();
const registryId = config.require("registryId");

// A pull secret lives in the cluster until the next `pulumi up` replaces its token: renew early
// (4 hours before expiry, still well below half the 12-hour lifetime) and run `pulumi up` at least
// every 3 hours, so the secret always holds a token with an hour or more left.
const puller = new ServiceAccountIamToken("registry-puller", {
  serviceAccountId: config.require("pullerServiceAccountId"),
  renewBefore: "PT4H",
});
const pusher = new ServiceAccountIamToken("registry-pusher", {
  serviceAccountId: config.require("pusherServiceAccountId"),
});

// 1. Build ./app and push it. The registry credentials are not part of the image: a renewed token
//    changes the `registry.password` input, which `docker.Image` does not rebuild or re-push for.
const image = new docker.Image("app", {
  imageName: `${REGISTRY}/${registryId}/app:v1`,
  build: { context: "./app", platform: "linux/amd64" },
  registry: { server: REGISTRY, username: REGISTRY_USER, password: pusher.iamToken },
});

// 2. An image pull secret: a Docker config JSON with the token for cr.yandex. The whole value is
//    derived from the secret token, so it stays secret (in state and as `stringData` input).
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
const cluster = renderYamlToDirectory
  ? new kubernetes.Provider("render", { renderYamlToDirectory })
  : undefined; // the default provider: your kubeconfig
const pullSecret = new kubernetes.core.v1.Secret(
  "cr-yandex-pull",
  {
    metadata: { name: "cr-yandex-pull", namespace: config.get("pullSecretNamespace") ?? "default" },
    type: "kubernetes.io/dockerconfigjson",
    stringData: { ".dockerconfigjson": dockerConfigJson },
  },
  { provider: cluster },
);

export const imageName = image.repoDigest;
export const pullSecretName = pullSecret.metadata.name;
export const pullTokenExpiresAt = puller.expiresAt;
