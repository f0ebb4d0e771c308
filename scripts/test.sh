#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs Node (if the machine's is too old), the npm
# packages and the Pulumi CLI (built once from Go modules), then type-checks, lints and runs
# every test, unit to end-to-end, through the real engine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh

echo "== build"
npx tsc -p tsconfig.json
echo "== lint"
npx eslint .
npx prettier --check --log-level warn .
echo "== tests"
node --test --test-reporter=spec --test-reporter-destination=stderr --test-reporter=tap \
  --test-reporter-destination=stdout "dist/test/**/*.test.js" | tail -n 8
