#!/usr/bin/env bash
# The whole test suite against an ASan+UBSan build of the addon:
#   npm run test:sanitize [-- test/some.test.mjs ...]
#   npm run test:sanitize -- --build-only   (the build alone: .ci/run builds
#                                            it early, beside other suites)
# Builds build-sanitize/Release/darknet_napi.node (DARKNET_NAPI_SANITIZE=ON,
# gcc's own sanitizer runtimes), then runs the suite with it: node itself is
# not instrumented, so the ASan runtime is preloaded, and DARKNET_NAPI_BINARY
# points every process the tests start (children and workers too) at it.
# Any ASan or UBSan report aborts that process, which fails its test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# The suite's own prerequisites (TypeScript, the weights, the reference CLI),
# uninstrumented; DARKNET_NAPI_BUILT=1: the caller built them (.ci/run builds
# once, and other suites beside this one read dist/, which tsc would rewrite).
build_only=""
if [ "${1:-}" = --build-only ]; then build_only=1; shift; fi
[ -n "$build_only" ] || [ "${DARKNET_NAPI_BUILT:-}" = 1 ] || npm run --silent pretest >/dev/null
mkdir -p build-sanitize
start=$SECONDS
node node_modules/cmake-js/bin/cmake-js compile -O build-sanitize --CDDARKNET_NAPI_SANITIZE=ON >build-sanitize/build.log 2>&1 \
  || { tail -30 build-sanitize/build.log >&2; exit 1; }
echo "sanitize: build: $((SECONDS - start)) s" >&2
[ -z "$build_only" ] || exit 0

cc="${CC:-gcc}"
asan="$("$cc" -print-file-name=libasan.so)"
[ -f "$asan" ] || { echo "sanitize: $cc has no ASan runtime ($asan)" >&2; exit 1; }
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(test/*.test.mjs test/long/*.test.mjs)

export DARKNET_NAPI_BINARY="$root/build-sanitize/Release/darknet_napi.node"
export DARKNET_NAPI_SANITIZED=1
# engine's (and parity's) per-image loops on three sample images: the same
# native lines and branches as all seven (see scripts/test-arm64.sh), at 3-9x
# the time per forward pass here; the files that cycle through every sample
# image (concurrency, detect, stress) still decode all seven under ASan.
export DARKNET_NAPI_IMAGES="${DARKNET_NAPI_IMAGES:-dog.jpg,giraffe.jpg,scream.jpg}"
# detect_leaks=0: node and V8 leave their heaps to the OS at exit, which LSan
# would report by the thousand; leaks are valgrind's job (npm run valgrind)
# and the memory tests'. abort_on_error: a report ends the process, whatever
# catches signals. Reports go to stderr and to build-sanitize/reports.
rm -rf build-sanitize/reports && mkdir -p build-sanitize/reports
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:log_path=$root/build-sanitize/reports/asan:log_exe_name=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$root/build-sanitize/reports/ubsan"
status=0
start=$SECONDS
LD_PRELOAD="$asan" node --expose-gc --test --test-concurrency=1 "${files[@]}" || status=$?
echo "sanitize: tests: $((SECONDS - start)) s" >&2
if compgen -G "build-sanitize/reports/*" >/dev/null; then
  echo "sanitize: reports from the sanitizers:" >&2
  for f in build-sanitize/reports/*; do echo "== $f" >&2; head -60 "$f" >&2; done
  status=1
fi
exit $status
