#!/usr/bin/env bash
# The main job (placeholder until the quick start lands): `pulumi up` of a trivial program through
# the real engine on a local file backend.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
program="$(mktemp -d "$PWD/.tmp-quickstart-XXXX")"
trap 'rm -rf "$work" "$program"' EXIT
cp -r test/e2e/fixtures/noop/. "$program/"
export PULUMI_BACKEND_URL="file://$work" PULUMI_CONFIG_PASSPHRASE="quickstart"
cd "$program"
pulumi version
pulumi stack init dev --non-interactive
pulumi up --yes --non-interactive
pulumi destroy --yes --non-interactive
