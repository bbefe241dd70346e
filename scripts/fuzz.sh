#!/usr/bin/env bash
# Fuzzes the three libFuzzer targets (fuzz/*.c) under ASan+UBSan:
#   npm run fuzz -- [--seconds N] [--runs N|T=N,...] [--seed N] [--target image|cfg|weights] [--jobs N]
# --seconds N: each target for N seconds (default 60), new findings possible.
# --seed N:    libFuzzer's seed (default: random).
# --runs N:    a fixed number of executions with a fixed seed (1 unless --seed):
#              the same amount of fuzzing however fast the machine is and
#              whatever runs beside it, where --seconds gives a slow or busy
#              machine less (libFuzzer is still not repeatable run to run:
#              which inputs it tries varies, so every finding goes into
#              test/fuzz-regressions/, which npm test replays every time).
#              `--runs image=22000,cfg=7000,weights=135000` gives each target
#              its own count (what .ci/run uses).
# Needs clang (Debian: clang-14 and libclang-rt-14-dev). Seeds: darknet's
# sample images and cfgs, plus test/fuzz-regressions/ (every input that once
# crashed, now replayed by `npm test` through the addon too). Findings go to
# build-fuzz/artifacts/ and make the script exit 1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds=60
runs=""
seed=""
targets="image cfg weights"
jobs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --target) targets="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    *) echo "fuzz: unknown argument $1" >&2; exit 2 ;;
  esac
done

cc="$(command -v clang-14 || command -v clang || true)"
cxx="$(command -v clang++-14 || command -v clang++ || true)"
[ -n "$cc" ] || { echo "fuzz: clang is needed (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }
# --runs: one count for every target, or target=count pairs.
runs_of() {
  case "$runs" in
    "") ;;
    *=*) local pair
         for pair in ${runs//,/ }; do [ "${pair%%=*}" = "$1" ] && { echo "${pair#*=}"; return; }; done
         echo "fuzz: --runs $runs gives no count for $1" >&2; return 1 ;;
    *) echo "$runs" ;;
  esac
}
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --jobs: $jobs is not a positive count" >&2; exit 2; }
for target in $targets; do
  n="$(runs_of "$target")" || exit 2
  [[ -z "$n" || "$n" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --runs: $n is not a positive count (for $target)" >&2; exit 2; }
done
start=$SECONDS
bash scripts/fetch-darknet.sh
cmake -S . -B build-fuzz -G Ninja -DDARKNET_NAPI_FUZZ=ON -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build build-fuzz >/dev/null
echo "fuzz: build: $((SECONDS - start)) s"

export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkdir -p build-fuzz/artifacts
# One target's fixed (or timed) run; 1 when it found something.
fuzz_target() {
  local target="$1" corpus seeds n limit log start execs cov status=0
  corpus="build-fuzz/corpus/$target"
  seeds="build-fuzz/seeds/$target"
  rm -rf "$seeds"
  mkdir -p "$corpus" "$seeds"
  case "$target" in
    image) cp darknet/data/*.jpg "$seeds/" ;;
    cfg) for f in tiny darknet cifar.test strided yolov2-tiny yolov3-tiny go.test resnet18; do cp "darknet/cfg/$f.cfg" "$seeds/"; done
         cp fuzz/yolo_seed.cfg fuzz/region_seed.cfg "$seeds/" # small detectors: the heads, NMS and drawing
         cp test/fixtures/hostile-cfgs/*.cfg "$seeds/" ;;
    weights) node fuzz/weights-seed.mjs "$seeds/valid.weights" ;;
  esac
  [ -d "test/fuzz-regressions/$target" ] && cp test/fuzz-regressions/$target/* "$seeds/" 2>/dev/null || true
  n="$(runs_of "$target")"
  limit=(-max_total_time="$seconds")
  [ -n "$seed" ] && limit+=(-seed="$seed")
  [ -n "$n" ] && limit=(-runs="$n" -seed="${seed:-1}")
  [ -f "fuzz/$target.dict" ] && limit+=(-dict="fuzz/$target.dict")
  log="build-fuzz/$target.log"
  if [ -n "$n" ]; then echo "fuzz: $target ($n runs, seed ${seed:-1})"; else echo "fuzz: $target ($seconds s${seed:+, seed $seed})"; fi
  start=$SECONDS
  if ! "build-fuzz/${target}_fuzzer" "${limit[@]}" -rss_limit_mb=2560 -timeout=25 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="build-fuzz/artifacts/$target-" "$corpus" "$seeds" >"$log" 2>&1; then
    status=1
    echo "fuzz: $target FOUND A PROBLEM:" >&2
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -5 >&2
  fi
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' || true)
  cov=$(grep -oE '#[0-9]+\s+DONE\s+cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 | sed 's/.*cov: //' || true)
  echo "fuzz: $target: ${execs:-?} executions in $((SECONDS - start)) s, coverage ${cov:-? (see $log)} (cov: edges, ft: features), corpus $(ls "$corpus" | wc -l) files"
  return $status
}
# --jobs N: N targets at a time (each a process of its own: the same runs and
# findings, in less time where cores are free).
status=0
running=0
for target in $targets; do
  if [ "$jobs" -le 1 ]; then
    fuzz_target "$target" || status=1
    continue
  fi
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  fuzz_target "$target" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
