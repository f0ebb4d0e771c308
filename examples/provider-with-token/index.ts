// Explicit provider instances configured with the IAM token. What a renewal does to each is in
// the README: the Docker provider is updated in place; the Kubernetes provider is planned for
// replacement, with everything it manages, in every preview that sees a renewal coming.
//
// Stack config:
//   serviceAccountId   the service account whose token the providers use
//   registryId         a Container Registry id (`crp...`) holding `app:v1`
//   clusterEndpoint    the Managed Service for Kubernetes API address (`https://<ip>`)
//   clusterCaCert      the cluster's CA certificate (PEM)
import * as docker from "@pulumi/docker";
import * as kubernetes from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountIamToken } from "pulumi-yandex-iam-token";

const config = new pulumi.Config();
const token = new ServiceAccountIamToken("deployer", {
  serviceAccountId: config.require("serviceAccountId"),
});

// 1. Docker: registry credentials for cr.yandex in the provider's configuration. Every image this
//    provider pulls or pushes uses them.
const registry = new docker.Provider("cr-yandex", {
  registryAuth: [{ address: "cr.yandex", username: "iam", password: token.iamToken }],
});
const appImage = new docker.RemoteImage(
  "app",
  { name: `cr.yandex/${config.require("registryId")}/app:v1`, keepLocally: true },
  { provider: registry },
);

// 2. Kubernetes: Managed Service for Kubernetes accepts an IAM token as the bearer token of its API.
//    The kubeconfig is built from the token, so it is secret as a whole.
const kubeconfig = pulumi.secret(
  pulumi
    .all([config.require("clusterEndpoint"), config.require("clusterCaCert"), token.iamToken])
    .apply(([server, caCert, iamToken]) =>
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "managed-k8s",
            cluster: { server, "certificate-authority-data": Buffer.from(caCert).toString("base64") },
          },
        ],
        users: [{ name: "iam", user: { token: iamToken } }],
        contexts: [{ name: "managed-k8s", context: { cluster: "managed-k8s", user: "iam" } }],
        "current-context": "managed-k8s",
      }),
    ),
);
const cluster = new kubernetes.Provider("managed-k8s", { kubeconfig });
const namespace = new kubernetes.core.v1.Namespace("apps", {}, { provider: cluster });

export const imageId = appImage.imageId;
export const namespaceName = namespace.metadata.name;
export const tokenExpiresAt = token.expiresAt;
