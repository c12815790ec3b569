#!/usr/bin/env bash
# Idle cost: FILES files that were read once and then stay idle. Reports the agent's CPU use over
# SECONDS (percent of one core) and its resident memory.
#   usage: bench/e2e/idle_files.sh PATH/TO/logship [FILES] [SECONDS]
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 PATH/TO/logship [FILES] [SECONDS]}")
files=${2:-1000}
seconds=${3:-30}
work=$(mktemp -d)
pid=""
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/logs"
for i in $(seq "$files"); do echo "Jun 14 15:16:01 combo sshd[$i]: session opened for user root" >"$work/logs/f$i.log"; done
cat >"$work/p.yaml" <<YAML
data_dir: $work/data
admin: {address: 127.0.0.1:0}
sources:
  in: {type: file, include: [$work/logs/*.log]}
outputs:
  sink: {type: blackhole, inputs: [in]}
YAML
"$bin" run -c "$work/p.yaml" 2>"$work/agent.log" & pid=$!
sleep 5  # read everything once
tck=$(getconf CLK_TCK)
read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
sleep "$seconds"
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
open=$(ls /proc/$pid/fd | wc -l)
kill -TERM $pid; wait $pid || true; pid=""
python3 -c "import sys
u0,s0,u1,s1,tck,secs,rss,files,fds = map(float, sys.argv[1:])
print(f'{int(files)} idle files for {secs:.0f} s: {100*((u1+s1)-(u0+s0))/tck/secs:.2f} % of a core, RSS {rss/1024:.1f} MiB, {int(fds)} open descriptors')" \
  "$u0" "$s0" "$u1" "$s1" "$tck" "$seconds" "$rss_kb" "$files" "$open"
