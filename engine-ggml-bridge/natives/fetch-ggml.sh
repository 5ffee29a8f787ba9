#!/usr/bin/env bash
# Puts the pinned ggml natives into the bridge's resources: downloads the npm package once into a cache,
# verifies its integrity, and keeps only the libggml* files and the package's LICENSE.
# Usage: fetch-ggml.sh <npm package> <version> <sha512 integrity> <output resource dir>
set -euo pipefail
pkg=$1 version=$2 integrity=$3 out=$4

source "${BASH_SOURCE[0]%/*}/../../scripts/npm-tarball.sh"
npm_tarball "$pkg" "$version" "$integrity" "the ggml natives" \
  "Or build without natives and point the engine at your own ggml with SDJ_GGML_DIR."

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
