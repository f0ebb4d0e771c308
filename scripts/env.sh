# Sourced by the project's scripts: puts a supported Node and the Pulumi CLI on PATH and installs
# the npm packages when package-lock.json changed. Progress goes to stderr.
node_dir="$(bash scripts/ensure-node.sh)"
export PATH="$node_dir:$PATH"
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.lock-stamp; then
  echo "== npm ci" >&2
  npm ci --no-audit --no-fund >&2
  cp package-lock.json node_modules/.lock-stamp
fi
PULUMI_BIN_DIR="$(bash scripts/pulumi-bin.sh)"
export PULUMI_BIN_DIR
export PATH="$PULUMI_BIN_DIR:$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
