#!/usr/bin/env bash
# Runs scripts/valgrind-workload.mjs under valgrind's memcheck and reports
# the leaks whose allocation passed through the addon (darknet_napi.node):
# Node's and V8's own are not ours. darknet's known leaks are in
# test/valgrind.supp, with a reason each.   npm run valgrind
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log="$(mktemp)"
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --suppressions="$root/test/valgrind.supp" --num-callers=30 --log-file="$log" \
  node "$root/scripts/valgrind-workload.mjs" > "$log.out"
echo "valgrind: workload: $(cat "$log.out")"
grep -q "\"classified\":20" "$log.out" || { echo "valgrind: the workload did not finish" >&2; exit 1; }
echo "valgrind: $(grep -E 'definitely lost:' "$log" | sed 's/==[0-9]*== *//')"
echo "valgrind: $(grep -E 'ERROR SUMMARY' "$log" | sed 's/==[0-9]*== *//')"
ours=$(awk '/are definitely lost/{block=1; text=""} block{text=text"\n"$0} /^==[0-9]+== $/{ if (block && text ~ /darknet_napi\.node/) print text; block=0 }' "$log")
if [ -n "$ours" ]; then
  echo "valgrind: definite leaks through the addon:"; echo "$ours"; exit 1
fi
echo "valgrind: no definite leak through the addon (full log: $log)"
