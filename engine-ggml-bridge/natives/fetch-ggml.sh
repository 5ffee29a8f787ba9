#!/usr/bin/env bash
# Puts the pinned ggml natives into the bridge's resources: downloads the npm package once into a cache,
# verifies its integrity, and keeps only the libggml* files and the package's LICENSE.
# Usage: fetch-ggml.sh <npm package> <version> <sha512 integrity> <output resource dir>
set -euo pipefail
pkg=$1 version=$2 integrity=$3 out=$4

cache=${SDJ_BUILD_CACHE:-$HOME/.cache/sdj-build}/npm
tarball="$cache/$(echo "${pkg#@}" | tr '/' '-')-$version.tgz"
mkdir -p "$cache"

if [ ! -f "$tarball" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "ERROR: npm is needed once to fetch the ggml natives ($pkg@$version) and is not installed." >&2
    echo "       Install Node.js and npm (Debian: apt-get install -y npm), or place the tarball at $tarball," >&2
    echo "       or build without natives and point the engine at your own ggml with SDJ_GGML_DIR." >&2
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

stamp="$out/.source"
# The manifest format is part of the stamp, so that a change to it regenerates the resources.
stamp_text="$pkg@$version $integrity manifest-v2"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_text" ]; then
  exit 0
fi
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
tar -xzf "$tarball" -C "$work"
bins=$(find "$work/package/bins" -mindepth 1 -maxdepth 1 -type d | head -n 1)
cp "$bins"/libggml*.so "$out/"
cp "$work/package/LICENSE" "$out/LICENSE.node-llama-cpp"
rm -rf "$work"
# The manifest lets the runtime verify what it extracts (and what it finds extracted: a truncated or damaged library
# would crash the JVM when loaded) and name the cache folder after the content.
(cd "$out" && {
  echo "# ggml natives from $pkg@$version"
  echo "package=$pkg@$version"
  echo "integrity=$integrity"
  for f in libggml*.so; do echo "file.$f=$(sha256sum "$f" | cut -d' ' -f1)"; done
  for f in libggml*.so; do echo "size.$f=$(stat -c %s "$f")"; done
} > manifest.properties)
echo "$stamp_text" > "$stamp"
echo "ggml natives from $pkg@$version -> $out"
