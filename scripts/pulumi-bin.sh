#!/usr/bin/env bash
# Prints the directory holding `pulumi`, `pulumi-language-nodejs` and
# `pulumi-resource-pulumi-nodejs`.
#
# A suitable `pulumi` already on PATH (with both plugins beside it or on PATH) is used as is.
# Otherwise the three are built once from the Go module proxy through the wrapper module in
# tools/pulumi-cli and cached under ~/.cache, keyed by the Pulumi version and a hash of the
# wrapper's files, so later runs take seconds. Build progress goes to stderr.
set -euo pipefail

PULUMI_VERSION="3.274.1"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="$repo_root/tools/pulumi-cli"

if [ "${PULUMI_YANDEX_IAM_TOKEN_BUILD_CLI:-}" != "1" ] && command -v pulumi >/dev/null 2>&1; then
  dir="$(dirname "$(command -v pulumi)")"
  if { [ -x "$dir/pulumi-language-nodejs" ] || command -v pulumi-language-nodejs >/dev/null; } &&
     { [ -x "$dir/pulumi-resource-pulumi-nodejs" ] || command -v pulumi-resource-pulumi-nodejs >/dev/null; }; then
    echo "$dir"
    exit 0
  fi
fi

command -v go >/dev/null || { echo "pulumi-bin: no pulumi on PATH and no Go toolchain to build it" >&2; exit 1; }

key="$( (cd "$tools_dir" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name 'pulumi-resource-*' \) -print0 |
  sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12)"
cache_root="${PULUMI_YANDEX_IAM_TOKEN_CACHE:-$HOME/.cache/pulumi-yandex-iam-token}"
bin_dir="$cache_root/pulumi/v$PULUMI_VERSION-$key/bin"

if [ -x "$bin_dir/pulumi" ] && [ -x "$bin_dir/pulumi-language-nodejs" ] && [ -x "$bin_dir/pulumi-resource-pulumi-nodejs" ]; then
  echo "$bin_dir"
  exit 0
fi

tmp_dir="$bin_dir.tmp.$$"
rm -rf "$tmp_dir"
mkdir -p "$tmp_dir"
trap 'rm -rf "$tmp_dir"' EXIT
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
start=$(date +%s)
echo "pulumi-bin: building pulumi v$PULUMI_VERSION from Go modules (first run only; several minutes on 2 cores)..." >&2
(cd "$tools_dir" && go build -trimpath -ldflags "$ldflags" -o "$tmp_dir/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2
echo "pulumi-bin: building pulumi-language-nodejs..." >&2
(cd "$tools_dir" && go build -trimpath -ldflags "$ldflags" -o "$tmp_dir/pulumi-language-nodejs" ./cmd/pulumi-language-nodejs) >&2
cp "$tools_dir/pulumi-resource-pulumi-nodejs" "$tmp_dir/"
chmod +x "$tmp_dir"/*
"$tmp_dir/pulumi" version >&2
rm -rf "$bin_dir"
mv "$tmp_dir" "$bin_dir"
trap - EXIT
echo "pulumi-bin: built in $(( $(date +%s) - start ))s into $bin_dir" >&2
echo "$bin_dir"
