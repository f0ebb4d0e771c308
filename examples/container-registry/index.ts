// Yandex Container Registry takes an IAM token as a password, with the user name `iam`: a Docker
// image built from ./app and pushed to cr.yandex with `@pulumi/docker`. (A Kubernetes pull secret
// with the token: examples/registry-pull-secret.)
//
// Stack config:
//   registryId               the Container Registry id (`crp...`)
//   pusherServiceAccountId   a service account with `container-registry.images.pusher` on it
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountIamToken } from "pulumi-yandex-iam-token";

const REGISTRY = "cr.yandex";

const config = new pulumi.Config();
const pusher = new ServiceAccountIamToken("registry-pusher", {
  serviceAccountId: config.require("pusherServiceAccountId"),
});

// The registry credentials are not part of the image: a renewed token changes only the
// `registry.password` input, which `docker.Image` does not rebuild or re-push for.
const image = new docker.Image("app", {
  imageName: `${REGISTRY}/${config.require("registryId")}/app:v1`,
  build: { context: "./app", platform: "linux/amd64" },
  registry: { server: REGISTRY, username: "iam", password: pusher.iamToken },
});

export const repoDigest = image.repoDigest;
export const tokenExpiresAt = pusher.expiresAt;
