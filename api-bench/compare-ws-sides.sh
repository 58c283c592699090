#!/usr/bin/env bash
# Forward WebSocket throughput, the generated client against the raw tokio-tungstenite client,
# each side in a process of its own, alternating: `compare-ws-sides.sh DEPTH PAIRS`.
# Prints every run's calls per second and the medians' ratio; with `perf` installed, also the
# CPU time per call of the whole process (client and the canned server together).
# One process per side takes its own thread placement, which moves single runs by ±15% on a
# 2-core machine; the median of several pairs is steadier than one in-process run.
set -euo pipefail
depth=${1:-64}
pairs=${2:-8}
cd "$(dirname "$0")/.."
bench=$(cargo bench -q -p api-bench --no-run --message-format=json 2>/dev/null |
  grep '"name":"all"' | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
calls=$((7 * 40000))
[ "$depth" = 1 ] && calls=$((7 * 10000))
run() { # side column
  local out
  if command -v perf >/dev/null; then
    out=$(BENCH_ONLY=ws BENCH_WS_SIDE=$1 BENCH_WS_DEPTH=$depth perf stat -x, -e task-clock "$bench" --bench 2>&1)
  else
    out=$(BENCH_ONLY=ws BENCH_WS_SIDE=$1 BENCH_WS_DEPTH=$depth "$bench" --bench 2>&1)
  fi
  local rate cpu
  rate=$(echo "$out" | grep -E "^\| $depth " | awk -F'|' "{print \$$2}" | tr -d ' ')
  cpu=$(echo "$out" | grep task-clock | cut -d, -f1 || true)
  echo "$rate ${cpu:-0}"
}
ours=() raw=()
for _ in $(seq "$pairs"); do
  ours+=("$(run ours 3)")
  raw+=("$(run raw 4)")
done
python3 - "$depth" "$calls" "${ours[*]}" "${raw[*]}" <<'PY'
import statistics as st, sys
depth, calls = sys.argv[1], int(sys.argv[2])
def parse(s):
    v = [float(x) for x in s.split()]
    return v[0::2], [ms * 1e6 / calls for ms in v[1::2]]
(o, oc), (r, rc) = parse(sys.argv[3]), parse(sys.argv[4])
print(f"depth {depth}, calls/s, generated: {sorted(round(x) for x in o)}")
print(f"depth {depth}, calls/s, raw:       {sorted(round(x) for x in r)}")
print(f"ratio of medians: {st.median(o) / st.median(r):.3f}")
if st.median(rc) > 0:
    print(f"CPU ns per call (process), generated / raw: {st.median(oc):.0f} / {st.median(rc):.0f} = {st.median(oc) / st.median(rc):.3f}")
PY
