#!/usr/bin/env bash
# Throughput of the generated client against its baseline, each side in a process of its own,
# alternating: `compare-sides.sh DEPTH PAIRS [ws|http]`.
# - ws (default): forward WebSocket against the raw tokio-tungstenite client, both with
#   TCP_NODELAY, or both with Nagle's algorithm when BENCH_WS_NODELAY=off.
# - http: a pooled HTTP client against hand-written reqwest.
# Prints every run's calls per second, the medians' ratio and the median of the pairs' own
# ratios; with `perf` installed, also the CPU time per call of the whole process (client and
# the canned server together).
# One process per side takes its own thread placement, which moves single runs by ±15% on a
# 2-core machine; the median of several pairs is steadier than one in-process run.
set -euo pipefail
depth=${1:-64}
pairs=${2:-8}
transport=${3:-ws}
export BENCH_WS_NODELAY=${BENCH_WS_NODELAY:-on}
cd "$(dirname "$0")/.."
bench=$(cargo bench -q -p api-bench --no-run --message-format=json 2>/dev/null |
  grep '"name":"all"' | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
# The bench's rounds: 7 of 40,000 calls over WS (a quarter of that at depth 1), a quarter
# of those over HTTP. Columns of its table: sides, then where each side's rate is.
calls=40000
[ "$depth" = 1 ] && calls=$((calls / 4))
case $transport in
  ws) sides=(ours raw) columns=(3 4) ;;
  http) sides=(http reqwest) columns=(7 8) calls=$((calls / 4)) ;;
  *) echo "transport: ws or http, not $transport" >&2; exit 2 ;;
esac
calls=$((7 * calls))
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
# Each pair's two runs follow each other, in turns ours-first and baseline-first, so that a
# drift of the machine's speed during the set falls on both sides alike.
ours=() base=()
for i in $(seq "$pairs"); do
  if [ $((i % 2)) = 1 ]; then
    ours+=("$(run "${sides[0]}" "${columns[0]}")")
    base+=("$(run "${sides[1]}" "${columns[1]}")")
  else
    base+=("$(run "${sides[1]}" "${columns[1]}")")
    ours+=("$(run "${sides[0]}" "${columns[0]}")")
  fi
done
python3 - "$depth" "$calls" "${ours[*]}" "${base[*]}" "${sides[1]}" <<'PY'
import statistics as st, sys
depth, calls, baseline = sys.argv[1], int(sys.argv[2]), sys.argv[5]
def parse(s):
    v = [float(x) for x in s.split()]
    return v[0::2], [ms * 1e6 / calls for ms in v[1::2]]
(o, oc), (r, rc) = parse(sys.argv[3]), parse(sys.argv[4])
print(f"depth {depth}, calls/s, generated: {sorted(round(x) for x in o)}")
print(f"depth {depth}, calls/s, {baseline}: {sorted(round(x) for x in r)}")
print(f"ratio of medians: {st.median(o) / st.median(r):.3f}")
# The machine's speed moves between pairs more than within one: each pair's own ratio, and
# their median and quartiles, are the steadier reading.
pair = sorted(x / y for x, y in zip(o, r))
q1, q2, q3 = st.quantiles(pair, n=4) if len(pair) > 1 else (pair[0],) * 3
print(f"ratio within pairs: median {q2:.3f}, quartiles {q1:.3f} to {q3:.3f}, {len(pair)} pairs")
if st.median(rc) > 0:
    print(f"CPU ns per call (process), generated / {baseline}: {st.median(oc):.0f} / {st.median(rc):.0f} = {st.median(oc) / st.median(rc):.3f}")
PY
