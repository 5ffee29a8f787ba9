# Sourced by the build's fetch scripts: npm_tarball PACKAGE VERSION INTEGRITY WHAT [HINT] sets $tarball to the pinned
# npm package, downloaded once into the build cache and checked against its sha512 integrity on every build.
# WHAT names the package's use in errors ("the ggml natives"); HINT is one more line of advice when npm is missing.
npm_tarball() {
  local pkg=$1 version=$2 integrity=$3 what=$4 hint=${5:-}
  local cache=${SDJ_BUILD_CACHE:-$HOME/.cache/sdj-build}/npm
  tarball="$cache/$(echo "${pkg#@}" | tr '/' '-')-$version.tgz"
  mkdir -p "$cache"

  if [ ! -f "$tarball" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "ERROR: npm is needed once to fetch $what ($pkg@$version) and is not installed." >&2
      echo "       Install Node.js and npm (Debian: apt-get install -y npm), or place the tarball at $tarball." >&2
      [ -n "$hint" ] && echo "       $hint" >&2
      exit 1
    fi
    # Global, not local: the EXIT trap runs after this function has returned.
    npm_tmp=$(mktemp -d)
    trap 'rm -rf "$npm_tmp"' EXIT
    if ! (cd "$npm_tmp" && npm pack --silent "$pkg@$version" >/dev/null); then
      echo "ERROR: 'npm pack $pkg@$version' failed; check that the npm registry is reachable." >&2
      exit 1
    fi
    mv "$npm_tmp"/*.tgz "$tarball.part"
    mv "$tarball.part" "$tarball"
  fi

  local actual
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "ERROR: checksum mismatch for $tarball" >&2
    echo "       expected $integrity" >&2
    echo "       actual   $actual" >&2
    echo "       Delete the file to fetch it again; if it persists, the registry serves a different package." >&2
    exit 1
  fi
}
