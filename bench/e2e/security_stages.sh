#!/usr/bin/env bash
# What each stage of the full security pipeline costs: the pipeline of compare.sh's security-full
# scenario built up one stage at a time on the security corpus (security_corpus.py), each variant
# run REPEATS times (median of user+sys CPU seconds); a stage's cost is the difference from the
# variant before it. The variants before the last end in the blackhole output, so the last one's
# difference is the file output (NDJSON encoding and writing).
#   usage: [REPEATS=3] [TASKSET="taskset -c 0"] bench/e2e/security_stages.sh PATH/TO/logship [SIZE_MB, default 200]
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 PATH/TO/logship [SIZE_MB]}")
size_mb=${2:-200}
repeats=${REPEATS:-3}
read -r -a pin <<<"${TASKSET:-}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/logship-stages.XXXXXX)
pid=""
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
tck=$(getconf CLK_TCK)

python3 "$here/security_corpus.py" "$size_mb" "$work/sec" >/dev/null
bytes=$(cat "$work/sec/auth.log" "$work/sec/app.ndjson" | wc -c)
lines=$(cat "$work/sec/auth.log" "$work/sec/app.ndjson" | wc -l)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

# shellcheck source=bench/e2e/security_pipeline.sh
source "$here/security_pipeline.sh"
sources="sources:
  auth: {type: file, include: [$work/sec/auth.log], start_at: beginning}
  app: {type: file, include: [$work/sec/app.ndjson], start_at: beginning}
$sec_tiers"
sink() { echo "outputs:"; echo "  out: {type: $1, inputs: [$2]${3:+, path: $3}}"; }

# variant NAME BODY: one configuration
variant() {
  mkdir -p "$work/$1"
  { echo "data_dir: $work/$1/data"; echo "admin: {address: 127.0.0.1:$port}"; echo "$sources"
    echo "$2"; } >"$work/$1/p.yaml"
  "$bin" validate -c "$work/$1/p.yaml" >/dev/null
}
variant read "$(sink blackhole "auth, app")"
variant parse "transforms:
$sec_parse
$(sink blackhole "parse_auth, parse_json")"
variant scrub "transforms:
$sec_parse
$sec_scrub
$(sink blackhole scrub)"
variant pipeline "transforms:
$sec_parse
$sec_scrub
$sec_after_scrub
$(sink blackhole tier)"
variant full "transforms:
$sec_parse
$sec_scrub
$sec_after_scrub
$(sink file tier "$work/full/out.ndjson")"

sent() {
  curl -s "http://127.0.0.1:$port/metrics" 2>/dev/null |
    awk '/^logship_component_sent_events_total/ && /component_id="out"/ {print $NF+0; f=1} END {if (!f) print 0}'
}
run() {  # NAME: prints CPU seconds and peak RSS (KiB) of one run
  rm -rf "$work/$1/data" "$work/$1/out.ndjson"; mkdir -p "$work/$1/data"
  "${pin[@]}" "$bin" run -c "$work/$1/p.yaml" >"$work/$1/agent.log" 2>&1 & pid=$!
  until [[ $(sent) -ge $lines ]]; do
    kill -0 "$pid" || { tail -5 "$work/$1/agent.log"; exit 1; }
    sleep 0.05
  done
  local ticks hwm
  ticks=$(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  echo "$ticks $hwm"
}

echo "security corpus: $bytes bytes, $lines lines; median of $repeats runs${TASKSET:+, $TASKSET}"
printf '%-9s %8s %12s %10s %10s  %s\n' variant "CPU s" "MB/CPU-s" "stage s" "RSS MB" "adds"
prev=0
for v in read parse scrub pipeline full; do
  results=()
  for _ in $(seq "$repeats"); do results+=("$(run "$v")"); done
  read -r ticks hwm < <(printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (repeats + 1) / 2 ))p")
  case $v in
    read) adds="file sources -> blackhole" ;;
    parse) adds="parse_auth | parse_json" ;;
    scrub) adds="scrub_pii (8 rules, every string value)" ;;
    pipeline) adds="tag_severity, correlate, classify_tier" ;;
    full) adds="file output, NDJSON (instead of blackhole)" ;;
  esac
  python3 -c "import sys
t, prev, hwm, tck, b = map(float, sys.argv[1:6])
cpu = t / tck
print(f'{sys.argv[6]:<9} {cpu:8.2f} {b / 1e6 / cpu:12.1f} {(t - prev) / tck:10.2f} {hwm * 1024 / 1e6:10.1f}  {sys.argv[7]}')" \
    "$ticks" "$prev" "$hwm" "$tck" "$bytes" "$v" "$adds"
  prev=$ticks
done
