#!/usr/bin/env bash
# The quick start (the README's main command), offline:
#   1. builds the package and starts the IAM emulator with examples/token-to-dependent/emulator-seed.json;
#   2. packs the package and installs the tarball into a temporary copy of the root Pulumi.yaml
#      program, as a user installs it;
#   3. `pulumi up` on a local file backend: a ServiceAccountIamToken, a resource that uses the
#      token, stack outputs;
#   4. moves time on 11h15m (the emulator's clock and the provider's clock offset together), so
#      the 12-hour token is inside its 90-minute renewal window, and shows `pulumi preview`;
#   5. `pulumi up` renews the token; 6. `pulumi destroy`; 7. checks that no token was printed.
# Everything it creates lives in one temporary directory, removed on exit with the emulator.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"
source scripts/env.sh

started=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/pyit-quickstart-XXXXXX")"
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

log="$work/quickstart.log"
exec > >(tee "$log") 2>&1

step=0
section() {
  step=$((step + 1))
  printf '\n\033[1m== %s. %s\033[0m\n' "$step" "$*"
}

# The emulator's side API (X-Emulator-Admin-Token); prints the JSON answer.
emulator_api() {
  node -e '
    const [method, path, body] = process.argv.slice(1);
    fetch(process.env.EMULATOR_URL + path, {
      method,
      headers: { "x-emulator-admin-token": process.env.EMULATOR_ADMIN_TOKEN, "content-type": "application/json" },
      body: body || undefined,
    }).then(async (r) => { const t = await r.text(); if (!r.ok) { console.error(t); process.exit(1); } console.log(t); });
  ' "$@"
}
api_calls() {
  emulator_api GET /_emulator/counts | node -e '
    const c = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log(`IAM API calls so far: createForServiceAccount ${c.createForServiceAccount}, create (caller token exchange) ${c.create}, revoke ${c.revoke}`);'
}

SERVICE_ACCOUNT_ID="ajeappserviceacc0001"
OAUTH_TOKEN="$(node -p 'require("./examples/token-to-dependent/emulator-seed.json").oauthTokens[0].token')"

section "Build the package and start the IAM emulator (seed: examples/token-to-dependent/emulator-seed.json)"
npx tsc -p tsconfig.json
coproc EMULATOR { exec node dist/emulator/cli.js --port 0 --seed examples/token-to-dependent/emulator-seed.json --print-json; }
emulator_pid=$EMULATOR_PID
read -r -t 30 listening <&"${EMULATOR[0]}"
read -r -t 30 emulator_json <&"${EMULATOR[0]}"
echo "$listening"
EMULATOR_URL="$(node -p 'JSON.parse(process.argv[1]).baseUrl' "$emulator_json")"
EMULATOR_ADMIN_TOKEN="$(node -p 'JSON.parse(process.argv[1]).adminToken' "$emulator_json")"
export EMULATOR_URL EMULATOR_ADMIN_TOKEN
echo "service account $SERVICE_ACCOUNT_ID (12-hour tokens); user ajeexampleuser000001 holds iam.serviceAccounts.tokenCreator on it"
echo "emulator clock: $(emulator_api GET /_emulator/clock)"

section "Pack the package and install the tarball into a copy of the root program"
mkdir -p "$work/pack" "$work/program"
tarball="$work/pack/$(npm pack --silent --pack-destination "$work/pack" | tail -n 1)"
echo "packed $(basename "$tarball")"
cp Pulumi.yaml "$work/program/"
program_dir="$work/program/examples/token-to-dependent"
mkdir -p "$program_dir"
(cd examples/token-to-dependent && tar --exclude=node_modules -cf - .) | (cd "$program_dir" && tar -xf -)
(cd "$program_dir" && npm install --no-audit --no-fund --prefer-offline --loglevel=error "$tarball")
echo "installed into $program_dir/node_modules"
# @pulumi/pulumi runs TypeScript programs with its vendored ts-node and the program's own
# `typescript` when it has one (else its vendored TypeScript 3.8.3).
echo "TypeScript $(cd "$program_dir" && node -p 'require("typescript/package.json").version') (the program's devDependency) through @pulumi/pulumi's ts-node"

cd "$work/program"
mkdir -p "$work/backend"
export PULUMI_BACKEND_URL="file://$work/backend"
export PULUMI_CONFIG_PASSPHRASE="quickstart"
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
# The provider's credentials: the emulator user's OAuth token (exchanged for an IAM token) and
# the emulator's address. Against the real cloud, YC_TOKEN holds your own OAuth/IAM token (or set
# YC_SERVICE_ACCOUNT_KEY_FILE), and YC_IAM_ENDPOINT is not set at all.
export YC_TOKEN="$OAUTH_TOKEN"
export YC_IAM_ENDPOINT="$EMULATOR_URL"
unset PULUMI_YANDEX_IAM_TOKEN_CLOCK_OFFSET

section "pulumi up: create the token, the resource that uses it, and the stack outputs"
pulumi stack init dev --non-interactive
pulumi config set serviceAccountId "$SERVICE_ACCOUNT_ID"
pulumi config set emulatorUrl "$EMULATOR_URL"
pulumi config set --secret emulatorAdminToken "$EMULATOR_ADMIN_TOKEN"
pulumi up --yes --non-interactive --skip-preview
pulumi stack output
api_calls
first_token="$(pulumi stack output iamToken --show-secrets)"

section "Time passes: 11 hours 15 minutes later (emulator clock + provider clock offset)"
echo "emulator clock: $(emulator_api POST /_emulator/clock '{"advanceSeconds": 40500}')"
export PULUMI_YANDEX_IAM_TOKEN_CLOCK_OFFSET="PT11H15M"
echo "PULUMI_YANDEX_IAM_TOKEN_CLOCK_OFFSET=$PULUMI_YANDEX_IAM_TOKEN_CLOCK_OFFSET"

section "pulumi preview: the token is due for renewal (no API call)"
pulumi preview --non-interactive
api_calls

section "pulumi up: renew the token and update what uses it"
pulumi up --yes --non-interactive --skip-preview
pulumi stack output
api_calls
second_token="$(pulumi stack output iamToken --show-secrets)"
if [ "$first_token" = "$second_token" ]; then
  echo "FAILED: the token was not renewed" >&2
  exit 1
fi
echo "the token was renewed (a new token, same resource)"

section "pulumi destroy"
pulumi destroy --yes --non-interactive --skip-preview
pulumi stack rm dev --yes --non-interactive
api_calls

section "Check: no token or secret in this output"
cd "$repo"
leaked=0
for secret in "$first_token" "$second_token" "$OAUTH_TOKEN" "$EMULATOR_ADMIN_TOKEN"; do
  if grep -qF -- "$secret" "$log"; then leaked=1; fi
done
if grep -qE 't1\.[A-Za-z0-9_-]{20,}' "$log"; then leaked=1; fi
if [ "$leaked" -ne 0 ]; then
  echo "FAILED: a token or secret appears in the output above" >&2
  exit 1
fi
echo "ok: none of the issued IAM tokens, the OAuth token or the emulator's admin token was printed"
echo
echo "quick start finished in $(($(date +%s) - started))s"
