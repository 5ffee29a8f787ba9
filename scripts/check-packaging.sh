#!/usr/bin/env bash
# Checks what `mvn install` built, as a user of the jars gets them: each module's jar names its module for the module
# path (Automatic-Module-Name) and has a -sources jar beside it, the BOM lists every module at the project's version,
# and the command line's jar carries the licences. Run after `mvn install` (scripts/test.sh does); prints one line per
# check and fails on the first miss.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)"
[ -n "$version" ] || { echo "check-packaging: cannot read the project version from pom.xml" >&2; exit 1; }

declare -A module_names=([engine-api]=dev.sdj.api [engine-ggml-bridge]=dev.sdj.ggml [engine-vulkan]=dev.sdj.vulkan
                         [engine-core]=dev.sdj.core [cli]=dev.sdj.cli)
modules="$(sed -n 's:.*<module>\(.*\)</module>.*:\1:p' pom.xml | grep -v '^bom$')"

for m in $modules; do
  expected="${module_names[$m]:-}"
  [ -n "$expected" ] || { echo "check-packaging: module $m has no expected module name in this script" >&2; exit 1; }
  jar="$m/target/$m-$version.jar"
  [ -f "$jar" ] || { echo "check-packaging: $jar is missing" >&2; exit 1; }
  actual="$(unzip -p "$jar" META-INF/MANIFEST.MF | tr -d '\r' | sed -n 's/^Automatic-Module-Name: //p')"
  [ "$actual" = "$expected" ] || { echo "check-packaging: $jar has Automatic-Module-Name '$actual', expected '$expected'" >&2; exit 1; }
  [ -f "$m/target/$m-$version-sources.jar" ] || { echo "check-packaging: $m/target/$m-$version-sources.jar is missing" >&2; exit 1; }
  grep -q "<artifactId>$m</artifactId><version>\${project.version}</version>" bom/pom.xml \
    || { echo "check-packaging: bom/pom.xml does not list $m" >&2; exit 1; }
  echo "check-packaging: $jar is module $actual, with sources, in the BOM"
done
bom_version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' bom/pom.xml | head -1)"
[ "$bom_version" = "$version" ] || { echo "check-packaging: sdj-bom is at $bom_version, the project at $version" >&2; exit 1; }
echo "check-packaging: sdj-bom $bom_version lists every module"
for f in META-INF/sdj/LICENSE META-INF/sdj/THIRD-PARTY.md; do
  unzip -l cli/target/sdj.jar "$f" >/dev/null || { echo "check-packaging: cli/target/sdj.jar lacks $f" >&2; exit 1; }
done
echo "check-packaging: cli/target/sdj.jar carries sdj's LICENSE and THIRD-PARTY.md"
