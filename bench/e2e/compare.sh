#!/usr/bin/env bash
# End-to-end comparison: logship (raw as NDJSON and as text, security, archive pipelines), rsyslog
# (imfile -> omfile), syslog-ng (file() -> file()) and, when installed, Fluent Bit (tail -> file)
# and Vector (file -> file) each tail the same mixed corpus from its start and write every line
# out, on all CPUs and then on one. For each run: input MB/s and lines/s (wall clock from start
# until every line is out), CPU seconds (user+sys of the process, all threads, read from
# /proc/PID/stat just before stopping), peak RSS (VmHWM), line count and, for the raw scenarios, a
# multiset comparison of line contents.
# Then logship alone: a steady 10,000 lines/s for 60 s (CPU % of one core, RSS at the end, delivery
# latency p50/p99 from write to output) and the RSS of an agent idling 10 s on an empty file.
# On the security corpus (security_corpus.py: an auth log and JSON app events, equal bytes, SIZE_MB
# in all): the full security pipeline (security-full), raw NDJSON (sec-raw) and raw text
# (sec-raw-text); then half of SIZE_MB of its auth log as one file (files-1) and as 1,000 files
# (files-1000), text output; and the RSS of 1,000 tailed files behind a stalled output
# (backpressure_rss.sh).
# Writes bench/RESULTS.md (keeping what follows its "kept by compare.sh" marker) and prints the
# tables.
#   usage: [SCENARIOS=a,b,...] [REPEATS=3] bench/e2e/compare.sh PATH/TO/logship [SIZE_MB, default 200]
# SCENARIOS (default: all) picks among raw, raw-text, security, archive, peers (rsyslog, syslog-ng,
# fluent-bit, vector in raw), security-full, sec-raw, sec-raw-text, files (files-1 and files-1000),
# backpressure, steady, idle.
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 PATH/TO/logship [SIZE_MB]}")
size_mb=${2:-200}
repeats=${REPEATS:-3}  # each throughput run is repeated; the table keeps the median by CPU
scenarios=${SCENARIOS:-all}
wanted() { [[ $scenarios == all || ",$scenarios," == *",$1,"* ]]; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
results_md="$repo/bench/RESULTS.md"
cmdline="bench/e2e/compare.sh $1 $size_mb"
[[ $scenarios == all ]] || cmdline="SCENARIOS=$scenarios $cmdline"
[[ $repeats == 3 ]] || cmdline="REPEATS=$repeats $cmdline"
work=$(mktemp -d /tmp/logship-compare.XXXXXX)
pid=""
writer_pid=""
cleanup() {
  [[ -n $writer_pid ]] && kill -9 "$writer_pid" 2>/dev/null || true
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
tck=$(getconf CLK_TCK)
timeout_s=$((size_mb * 3 + 60))
rows="$work/rows.tsv"  # cpus scenario agent lines_in lines_out wall cpu hwm_kb content_check bytes_in
cpus=all pin=()  # the CPUs of the current run: all, or 1 (pinned with taskset)
: >"$rows"

# ---------------------------------------------------------------- corpus
corpus_dir=$(cd "$repo/.." && pwd)/shared/corpus
main_mb=0  # the mixed corpus only when a scenario reads it
for s in raw raw-text security archive peers steady; do wanted $s && main_mb=$size_mb; done
echo "generating ${main_mb} MB corpus in $work"
python3 - "$corpus_dir" "$work/in.log" "$main_mb" <<'PY'
import os, random, sys, json
corpus_dir, out_path, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(42)
users = ["root", "admin", "alice", "bob", "carol", "deploy", "git", "oracle", "test", "ubuntu",
         "postgres", "www-data", "guest", "jenkins", "nagios"]
import re
seed_auth = []
p = os.path.join(corpus_dir, "linux_syslog_2k.log")
if os.path.exists(p):
    for l in open(p, encoding="utf-8", errors="replace"):
        l = l.rstrip("\r\n")
        if l:
            seed_auth.append(l)
if not seed_auth:
    seed_auth = ["Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 "
                 "euid=0 tty=NODEVssh ruser= rhost=218.188.2.4",
                 "Jun 15 02:04:59 combo sshd[20882]: Failed password for invalid user test from "
                 "10.1.2.3 port 4022 ssh2",
                 "Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user news by (uid=0)"]
# Templates: pid, IPv4 and user become placeholders filled per line.
pid_re = re.compile(r"\[(\d+)\]")
ip_re = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")
user_re = re.compile(r"(user[= ])([A-Za-z0-9_.-]+)")
templates = []
for l in seed_auth:
    t = l.replace("{", "{{").replace("}", "}}")
    t = pid_re.sub("[{pid}]", t, count=1)
    t = ip_re.sub("{ip}", t)
    t = user_re.sub(lambda m: m.group(1) + "{user}", t)
    templates.append(t)
seed_sub = []
p = os.path.join(corpus_dir, "substrate_node_sample.log")
if os.path.exists(p):
    seed_sub = [l.rstrip("\r\n") for l in open(p, encoding="utf-8", errors="replace") if l.strip()]
if not seed_sub:
    seed_sub = ["2021-05-30 16:57:48 [Relaychain] ✨ Imported #8 (0xe60b…9b0a)"]
sub_tpl = []
num_re = re.compile(r"#(\d+)")
for l in seed_sub:
    t = l.replace("{", "{{").replace("}", "}}")
    t = num_re.sub("#{n}", t)
    sub_tpl.append(t)
paths = ["/api/v1/orders", "/api/v1/users", "/healthz", "/login", "/api/v2/search", "/static/app.js"]
levels = ["info"] * 6 + ["debug"] * 2 + ["warn", "error"]
target = size_mb << 20
written = 0
seq = 0
with open(out_path, "w", encoding="utf-8", newline="\n") as out:
    buf = []
    while written < target:
        seq += 1
        r = rnd.random()
        ip = f"{rnd.randint(1,223)}.{rnd.randint(0,255)}.{rnd.randint(0,255)}.{rnd.randint(1,254)}"
        if r < 0.4:
            line = rnd.choice(templates).format(pid=rnd.randint(300, 65000), ip=ip,
                                                user=rnd.choice(users))
        elif r < 0.8:
            d = {"ts": f"2026-03-0{rnd.randint(1,9)}T{rnd.randint(0,23):02d}:{rnd.randint(0,59):02d}:"
                       f"{rnd.randint(0,59):02d}.{rnd.randint(0,999):03d}Z",
                 "level": rnd.choice(levels), "service": rnd.choice(["checkout", "auth", "search"]),
                 "msg": rnd.choice(["request done", "cache miss", "upstream slow", "user login"]),
                 "path": rnd.choice(paths), "status": rnd.choice([200, 200, 200, 201, 404, 500]),
                 "duration_ms": round(rnd.random() * 250, 2), "request_id": f"{rnd.getrandbits(64):016x}"}
            if rnd.random() < 0.1:
                k = rnd.randint(0, 2)
                if k == 0:
                    d["email"] = f"{rnd.choice(users)}.{seq}@example.com"
                elif k == 1:
                    d["client_ip"] = ip
                else:
                    d["msg"] = f"auth ok token=sk_live_{rnd.getrandbits(96):024x}"
            line = json.dumps(d, separators=(",", ":"))
        else:
            line = rnd.choice(sub_tpl).format(n=rnd.randint(1, 9_000_000))
        buf.append(line)
        written += len(line.encode()) + 1 if not line.isascii() else len(line) + 1
        if len(buf) >= 10000:
            out.write("\n".join(buf)); out.write("\n"); buf = []
    if buf:
        out.write("\n".join(buf)); out.write("\n")
PY
in_file="$work/in.log"
in_bytes=$(stat -c %s "$in_file")
in_lines=$(wc -l <"$in_file")
cat "$in_file" >/dev/null  # page cache: measure the agents, not the disk
echo "corpus: $in_bytes bytes, $in_lines lines"
main_bytes=$in_bytes main_lines=$in_lines

# The security corpus, and its auth log's first half as one file and as 1,000 files of equal size
# (cut at line ends), for the tailed-files scenarios.
sec_dir="$work/sec"
sec_bytes=0 sec_lines=0 files_bytes=0 files_lines=0
if wanted security-full || wanted sec-raw || wanted sec-raw-text || wanted files; then
  echo "generating ${size_mb} MB security corpus in $sec_dir"
  python3 "$here/security_corpus.py" "$size_mb" "$sec_dir"
  sec_bytes=$(cat "$sec_dir/auth.log" "$sec_dir/app.ndjson" | wc -c)
  sec_lines=$(cat "$sec_dir/auth.log" "$sec_dir/app.ndjson" | wc -l)
  cat "$sec_dir/auth.log" "$sec_dir/app.ndjson" >/dev/null
  echo "security corpus: $sec_bytes bytes, $sec_lines lines"
fi
if wanted files; then
  mkdir -p "$work/files-1" "$work/files-1000"
  python3 - "$sec_dir/auth.log" "$work" "$size_mb" <<'PY'
import sys
src, work, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read((size_mb << 20) // 2)
data = data[:data.rfind(b"\n") + 1]
open(f"{work}/files-1/auth.log", "wb").write(data)
n, start = 1000, 0
for i in range(n):
    end = len(data) if i == n - 1 else data.index(b"\n", (i + 1) * len(data) // n) + 1
    open(f"{work}/files-1000/auth{i:04d}.log", "wb").write(data[start:end])
    start = end
PY
  files_bytes=$(stat -c %s "$work/files-1/auth.log")
  files_lines=$(wc -l <"$work/files-1/auth.log")
  cat "$work"/files-1000/*.log >/dev/null
  echo "tailed files: $files_bytes bytes, $files_lines lines, as 1 file and as 1,000"
fi
# use_corpus BYTES LINES FILE...: what the next runs read (their input size, line count and files)
use_corpus() { in_bytes=$1; in_lines=$2; shift 2; check_files=("$@"); }
check_files=("$in_file")

# ---------------------------------------------------------------- helpers
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
file_lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
metric_sent() {  # events an output reported sent, from the admin endpoint
  curl -s "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk -v id="component_id=\"$2\"" '/^logship_component_sent_events_total/ && index($0, id) {print $NF+0; f=1} END {if (!f) print 0}'
}
stop_agent() {  # SIGTERM, then SIGKILL after 20 s
  local p=$1 i
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

# run_measured SCENARIO AGENT COUNT_CMD -- AGENT_CMD...
# Starts the agent, polls COUNT_CMD (prints lines delivered) until it reaches the input line count
# or the timeout, then records CPU and VmHWM and stops the agent.
run_measured() {
  local scenario=$1 agent=$2 count_cmd=$3; shift 4
  local log="$work/$scenario-$agent.log" n=0 t0 t1 ticks hwm deadline
  echo "run: $scenario / $agent (CPUs: $cpus)"
  t0=$(date +%s.%N)
  "${pin[@]}" "$@" >"$log" 2>&1 & pid=$!
  deadline=$(( $(date +%s) + timeout_s ))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      local status=0
      wait "$pid" 2>/dev/null || status=$?
      pid=""
      echo "  $agent exited early (status $status):"; tail -5 "$log" | sed 's/^/    /'
      printf '%s\t%s\t%s\t%s\t%s\t-\t-\t-\texited early\t%s\n' "$cpus" "$scenario" "$agent" \
        "$in_lines" "$n" "$in_bytes" >>"$rows"
      return 1
    fi
    n=$(eval "$count_cmd")
    [[ $n -ge $in_lines ]] && break
    [[ $(date +%s) -ge $deadline ]] && { echo "  timeout after ${timeout_s}s with $n lines"; break; }
    sleep 0.2
  done
  t1=$(date +%s.%N)
  ticks=$(cpu_ticks "$pid"); hwm=$(status_kb "$pid" VmHWM)
  stop_agent "$pid"; pid=""
  local wall cpu
  wall=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
  cpu=$(python3 -c "print(f'{$ticks / $tck:.2f}')")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cpus" "$scenario" "$agent" "$in_lines" "$n" \
    "$wall" "$cpu" "$hwm" "-" "$in_bytes" >>"$rows"
  echo "  $n/$in_lines lines, wall ${wall}s, cpu ${cpu}s, peak RSS $((hwm / 1024)) MiB"
}

# content_check KIND FILE [INPUT...]: multiset comparison of output lines with input lines (by
# default those of the mixed corpus).
content_check() {
  local kind=$1 out=$2; shift 2
  python3 - "$out" "$kind" "${@:-${check_files[@]}}" <<'PY'
import sys, json
from collections import Counter
outp, kind, inputs = sys.argv[1], sys.argv[2], sys.argv[3:]
c = Counter()
for inp in inputs:
    with open(inp, "rb") as f:
        for l in f:
            c[hash(l.rstrip(b"\n"))] += 1
bad_json = 0
with open(outp, "rb") as f:
    for l in f:
        l = l.rstrip(b"\n")
        if kind == "ndjson":
            try:
                l = json.loads(l)["message"].encode()
            except Exception:
                bad_json += 1
                continue
        c[hash(l)] -= 1
missing = sum(v for v in c.values() if v > 0)
extra = -sum(v for v in c.values() if v < 0)
s = "identical" if missing == 0 and extra == 0 and bad_json == 0 else \
    f"differ: {missing} missing, {extra} extra" + (f", {bad_json} unparsable" if bad_json else "")
print(s)
PY
}
set_check() {  # replace the last row's content column
  python3 - "$rows" "$1" <<'PY'
import sys
p, v = sys.argv[1:]
rows = open(p).read().splitlines()
f = rows[-1].split("\t"); f[8] = v; rows[-1] = "\t".join(f)
open(p, "w").write("\n".join(rows) + "\n")
PY
}

# ---------------------------------------------------------------- logship
logship_conf() {  # NAME PIPELINE_YAML ADMIN_YAML INCLUDE (a source "in"; "-": PIPELINE_YAML has sources)
  local d="$work/ls-$1"; mkdir -p "$d/data"
  {
    echo "data_dir: $d/data"
    echo "admin: ${3:-"{enabled: false}"}"
    if [[ $4 != - ]]; then
      echo "sources:"
      echo "  in: {type: file, include: [$4], start_at: beginning}"
    fi
    echo "$2"
  } >"$d/p.yaml"
  "$bin" validate -c "$d/p.yaml" >/dev/null
  echo "$d/p.yaml"
}
fresh_data() { rm -rf "$(dirname "$1")/data"; mkdir -p "$(dirname "$1")/data"; }  # CONF: from the start

# ---------------------------------------------------------------- configurations
# shellcheck source=bench/e2e/security_pipeline.sh
source "$here/security_pipeline.sh"
raw_out="$work/ls-raw/out.ndjson"
raw_conf=$(logship_conf raw "outputs:
  out: {type: file, inputs: [in], path: $raw_out}" "" "$in_file")

# The same with each line written as read (format: text), as rsyslog and syslog-ng write it below.
text_out="$work/ls-raw-text/out.log"
text_conf=$(logship_conf raw-text "outputs:
  out: {type: file, inputs: [in], path: $text_out, format: text}" "" "$in_file")

sec_out="$work/ls-security/out.ndjson"
sec_conf=$(logship_conf security "$sec_tiers
transforms:
  auth: {type: parse_auth, inputs: [in]}
  scrub: {type: scrub_pii, inputs: [auth], rules: [email, ipv4, secret], action: redact}
$sec_after_scrub
outputs:
  out: {type: file, inputs: [tier], path: $sec_out}" "" "$in_file")

# The archive is zstd segments: completion is read from the admin endpoint's sent-events counter of
# the archive output (the only scenario with the admin server on), and checked afterwards with
# `logship archive cat`.
port=$(free_port)
arch_dir="$work/ls-archive/archive"
arch_conf=$(logship_conf archive "tiers: {app: {retention: 30d}}
outputs:
  out: {type: archive, inputs: [in], path: $arch_dir}" "{address: 127.0.0.1:$port}" "$in_file")

# The full security pipeline on the security corpus: both files, each parsed by its parser, every
# scrub rule kind, 3 tiers, NDJSON out.
secfull_out="$work/ls-security-full/out.ndjson"
secfull_conf=$(logship_conf security-full "sources:
  auth: {type: file, include: [$sec_dir/auth.log], start_at: beginning}
  app: {type: file, include: [$sec_dir/app.ndjson], start_at: beginning}
$sec_tiers
transforms:
$sec_parse
$sec_scrub
$sec_after_scrub
outputs:
  out: {type: file, inputs: [tier], path: $secfull_out}" "" -)
secraw_out="$work/ls-sec-raw/out.ndjson"
secraw_conf=$(logship_conf sec-raw "outputs:
  out: {type: file, inputs: [in], path: $secraw_out}" "" "$sec_dir/auth.log, $sec_dir/app.ndjson")
sectext_out="$work/ls-sec-raw-text/out.log"
sectext_conf=$(logship_conf sec-raw-text "outputs:
  out: {type: file, inputs: [in], path: $sectext_out, format: text}" "" \
  "$sec_dir/auth.log, $sec_dir/app.ndjson")
files1_out="$work/ls-files-1/out.log"
files1_conf=$(logship_conf files-1 "outputs:
  out: {type: file, inputs: [in], path: $files1_out, format: text}" "" "$work/files-1/*.log")
files1000_out="$work/ls-files-1000/out.log"
files1000_conf=$(logship_conf files-1000 "outputs:
  out: {type: file, inputs: [in], path: $files1000_out, format: text}" "" "$work/files-1000/*.log")

# ---------------------------------------------------------------- rsyslog
rsyslog_bin=""
wanted peers && rsyslog_bin=$(command -v rsyslogd || true)
if wanted peers && [[ -z $rsyslog_bin ]]; then
  echo "rsyslogd missing: apt-get install rsyslog"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rsyslog >/dev/null 2>&1 || true
  rsyslog_bin=$(command -v rsyslogd || true)
fi
rsyslog_version="not available"
if [[ -n $rsyslog_bin ]]; then
  rsyslog_version=$("$rsyslog_bin" -v | head -1 | sed 's/ *compiled with:$//; s/  */ /g')
  rs_dir="$work/rsyslog"; mkdir -p "$rs_dir/work"
  cat >"$rs_dir/rsyslog.conf" <<CONF
global(workDirectory="$rs_dir/work")
module(load="imfile")
template(name="plain" type="string" string="%rawmsg%\n")
input(type="imfile" file="$in_file" tag="bench" readMode="0" freshStartTail="off" ruleset="bench")
ruleset(name="bench") {
  action(type="omfile" file="$rs_dir/out.log" template="plain")
}
CONF
elif wanted peers; then
  echo "SKIP rsyslog: cannot be installed"
fi

# ---------------------------------------------------------------- syslog-ng
# syslog-ng-core and rsyslog conflict as Debian packages; when rsyslog is installed, syslog-ng-core
# is unpacked (not installed) under /var/cache/logship-bench and run from there.
sng_bin=""
wanted peers && sng_bin=$(command -v syslog-ng || true)
sng_args=()
if wanted peers && [[ -z $sng_bin ]]; then
  cache=/var/cache/logship-bench
  if [[ ! -x $cache/root/usr/sbin/syslog-ng ]]; then
    echo "syslog-ng missing: unpacking syslog-ng-core into $cache"
    mkdir -p "$cache"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libivykis0 libnet1 libwrap0 libjson-c5 libpcre3 >/dev/null 2>&1 || true
    (cd "$cache" && apt-get download syslog-ng-core >/dev/null 2>&1 &&
      dpkg -x syslog-ng-core_*.deb root) || true
  fi
  if [[ -x $cache/root/usr/sbin/syslog-ng ]]; then
    sng_bin=$cache/root/usr/sbin/syslog-ng
    export LD_LIBRARY_PATH="$cache/root/usr/lib/syslog-ng${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    sng_args=(--module-path="$cache/root/usr/lib/syslog-ng/3.38")
  fi
fi
sng_version="not available"
if [[ -n $sng_bin ]]; then
  sng_version=$("$sng_bin" --version | head -1)
  cfgver=$("$sng_bin" --version | awk -F': ' '/^Config version/ {print $2}')
  sng_dir="$work/syslog-ng"; mkdir -p "$sng_dir"
  cat >"$sng_dir/syslog-ng.conf" <<CONF
@version: $cfgver
options { stats_freq(0); };
source s_in { file("$in_file" follow-freq(1) flags(no-parse)); };
destination d_out { file("$sng_dir/out.log" template("\${MESSAGE}\n")); };
log { source(s_in); destination(d_out); flags(flow-control); };
CONF
elif wanted peers; then
  echo "SKIP syslog-ng: cannot be installed or unpacked"
fi

# ---------------------------------------------------------------- other agents, when installed
# Debian has no package of these; a machine that has them installed runs them too, in raw.
fb_bin=""
wanted peers && fb_bin=$(command -v fluent-bit || ls /opt/fluent-bit/bin/fluent-bit 2>/dev/null || true)
fb_version="not installed"
if [[ -n $fb_bin ]]; then
  fb_version=$("$fb_bin" --version | head -1)
  fb_dir="$work/fluent-bit"; mkdir -p "$fb_dir"
  cat >"$fb_dir/fluent-bit.conf" <<CONF
[SERVICE]
    flush 1
    log_level error
[INPUT]
    name tail
    path $in_file
    read_from_head true
[OUTPUT]
    name file
    match *
    path $fb_dir
    file out.log
    format template
    template {log}
CONF
fi
vector_bin=""
wanted peers && vector_bin=$(command -v vector || true)
vector_version="not installed"
if [[ -n $vector_bin ]]; then
  vector_version=$("$vector_bin" --version | head -1)
  vector_dir="$work/vector"; mkdir -p "$vector_dir"
  cat >"$vector_dir/vector.toml" <<CONF
data_dir = "$vector_dir/data"
[sources.in]
type = "file"
include = ["$in_file"]
read_from = "beginning"
[sinks.out]
type = "file"
inputs = ["in"]
path = "$vector_dir/out.log"
encoding.codec = "text"
CONF
fi

# ---------------------------------------------------------------- throughput
# checked_runs SCENARIO AGENT OUT KIND RESET -- CMD...: `repeats` runs of an agent that writes every
# line to OUT, whose contents are compared with the input (content_check KIND); RESET (evaluated
# before each run) removes the agent's saved positions, so that it reads from the start again.
checked_runs() {
  local scenario=$1 agent=$2 out=$3 kind=$4 reset=$5; shift 6
  for _ in $(seq "$repeats"); do
    eval "$reset"
    if run_measured "$scenario" "$agent" "file_lines $out" -- "$@"; then
      set_check "$(content_check "$kind" "$out")"
    fi
    rm -f "$out"
  done
}

# throughput_pass CPUS: every scenario, each agent run `repeats` times. CPUS "all" runs each agent
# as it is started by default; "1" pins it, all its threads, to CPU 0 (taskset), which measures
# what one core does: no second core shares the work, and none pays for moving batches between
# caches.
throughput_pass() {
  cpus=$1
  pin=()
  [[ $cpus == 1 ]] && pin=(taskset -c 0)
  use_corpus "$main_bytes" "$main_lines" "$in_file"
  wanted raw && checked_runs raw logship "$raw_out" ndjson 'fresh_data "$raw_conf"' -- \
    "$bin" run -c "$raw_conf"
  wanted raw-text && checked_runs raw-text logship "$text_out" plain 'fresh_data "$text_conf"' -- \
    "$bin" run -c "$text_conf"
  wanted security && for _ in $(seq "$repeats"); do
    fresh_data "$sec_conf"
    run_measured security logship "file_lines $sec_out" -- "$bin" run -c "$sec_conf" || true
    rm -f "$sec_out"
  done
  wanted archive && for _ in $(seq "$repeats"); do
    fresh_data "$arch_conf"
    if run_measured archive logship "metric_sent $port out" -- "$bin" run -c "$arch_conf"; then
      local n=0 tier
      for tier in "$arch_dir"/*/; do
        n=$((n + $("$bin" archive cat "$arch_dir" --tier "$(basename "$tier")" 2>/dev/null |
          wc -l || true)))
      done
      set_check "archive cat: $n lines, $(du -sb "$arch_dir" | cut -f1) bytes on disk"
    fi
    rm -rf "$arch_dir"
  done
  if wanted peers; then
    peers_pass
  fi
  use_corpus "$sec_bytes" "$sec_lines" "$sec_dir/auth.log" "$sec_dir/app.ndjson"
  # security-full: every input line is one output event; its scrubbing is checked by the tests
  # (pii_recall), not here.
  wanted security-full && for _ in $(seq "$repeats"); do
    fresh_data "$secfull_conf"
    run_measured security-full logship "file_lines $secfull_out" -- \
      "$bin" run -c "$secfull_conf" || true
    rm -f "$secfull_out"
  done
  wanted sec-raw && checked_runs sec-raw logship "$secraw_out" ndjson \
    'fresh_data "$secraw_conf"' -- "$bin" run -c "$secraw_conf"
  wanted sec-raw-text && checked_runs sec-raw-text logship "$sectext_out" plain \
    'fresh_data "$sectext_conf"' -- "$bin" run -c "$sectext_conf"
  if wanted files; then
    use_corpus "$files_bytes" "$files_lines" "$work/files-1/auth.log"
    checked_runs files-1 logship "$files1_out" plain 'fresh_data "$files1_conf"' -- \
      "$bin" run -c "$files1_conf"
    checked_runs files-1000 logship "$files1000_out" plain 'fresh_data "$files1000_conf"' -- \
      "$bin" run -c "$files1000_conf"
  fi
  return 0
}

peers_pass() {
  if [[ -n $rsyslog_bin ]]; then
    checked_runs raw rsyslog "$rs_dir/out.log" plain \
      'rm -rf "$rs_dir/work"; mkdir -p "$rs_dir/work"' -- \
      "$rsyslog_bin" -n -f "$rs_dir/rsyslog.conf" -i "$rs_dir/rsyslog.pid"
  else
    printf '%s\traw\trsyslog\t%s\t-\t-\t-\t-\tskipped: not installable\t%s\n' "$cpus" "$in_lines" \
      "$in_bytes" >>"$rows"
  fi
  if [[ -n $sng_bin ]]; then
    checked_runs raw syslog-ng "$sng_dir/out.log" plain 'rm -f "$sng_dir/persist"' -- \
      "$sng_bin" "${sng_args[@]}" -F --no-caps -f "$sng_dir/syslog-ng.conf" -R "$sng_dir/persist" \
      -c "$sng_dir/ctl" -p "$sng_dir/pid"
  else
    printf '%s\traw\tsyslog-ng\t%s\t-\t-\t-\t-\tskipped: not installable\t%s\n' "$cpus" \
      "$in_lines" "$in_bytes" >>"$rows"
  fi
  if [[ -n $fb_bin ]]; then  # without a tail db it reads from the start each run
    checked_runs raw fluent-bit "$fb_dir/out.log" plain : -- "$fb_bin" -c "$fb_dir/fluent-bit.conf"
  fi
  if [[ -n $vector_bin ]]; then
    checked_runs raw vector "$vector_dir/out.log" plain \
      'rm -rf "$vector_dir/data"; mkdir -p "$vector_dir/data"' -- \
      "$vector_bin" --config "$vector_dir/vector.toml"
  fi
}

throughput_pass all
throughput_pass 1

# ---------------------------------------------------------------- logship steady + idle
steady_lines=- steady_out=- steady_cpu_pct=- steady_wall=- steady_rss=- steady_hwm=-
latency_p50=- latency_p99=- latency_chunks=- idle_rss=- idle_cpu=- backpressure="-"
if wanted steady; then
echo "run: steady 10,000 lines/s for 60 s (logship raw pipeline)"
d="$work/ls-steady"; mkdir -p "$d"; : >"$d/in.log"
sconf=$(logship_conf steady "outputs:
  out: {type: file, inputs: [in], path: $d/out.ndjson}" "" "$d/in.log")
"$bin" run -c "$sconf" >"$d/agent.log" 2>&1 & pid=$!
sleep 2
head -n 200000 "$in_file" >"$d/src"
# The writer also watches the output: a chunk's delivery latency runs from its write() until the
# output holds its last line (one file in, one file out: order is kept), polled every 2 ms.
python3 - "$d/src" "$d/in.log" "$d/out.ndjson" "$d/latency" <<'PY' & writer_pid=$!
import os, sys, threading, time
src = open(sys.argv[1], "rb").read().splitlines(keepends=True)
out = open(sys.argv[2], "ab", buffering=0)
rate, secs, tick = 10000, 60, 0.1
per = int(rate * tick)
chunks = int(secs / tick)
written = [None] * chunks
latencies = []

def watch():
    lines, done = 0, 0
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.002)
    with open(sys.argv[3], "rb") as f:
        while done < chunks:
            data = f.read()
            now = time.monotonic()
            lines += data.count(b"\n")
            while done < chunks and written[done] is not None and lines >= (done + 1) * per:
                latencies.append(now - written[done])
                done += 1
            if not data:
                time.sleep(0.002)

watcher = threading.Thread(target=watch, daemon=True)
watcher.start()
t0 = time.monotonic(); i = 0
for k in range(chunks):
    chunk = b"".join(src[(i + j) % len(src)] for j in range(per)); i += per
    written[k] = time.monotonic()
    out.write(chunk)
    delay = t0 + (k + 1) * tick - time.monotonic()
    if delay > 0:
        time.sleep(delay)
watcher.join(timeout=10)
lat = sorted(latencies)
pick = lambda q: f"{lat[min(len(lat) - 1, int(q * len(lat)))] * 1000:.0f}" if lat else "-"
open(sys.argv[4], "w").write(f"{pick(0.5)} {pick(0.99)} {len(lat)}\n")
PY
c0=$(cpu_ticks "$pid"); s0=$(date +%s.%N)
wait "$writer_pid"; writer_pid=""
c1=$(cpu_ticks "$pid"); s1=$(date +%s.%N)
steady_lines=$(wc -l <"$d/in.log")
for _ in $(seq 100); do [[ $(file_lines "$d/out.ndjson") -ge $steady_lines ]] && break; sleep 0.1; done
steady_out=$(file_lines "$d/out.ndjson")
steady_rss=$(status_kb "$pid" VmRSS); steady_hwm=$(status_kb "$pid" VmHWM)
stop_agent "$pid"; pid=""
steady_cpu_pct=$(python3 -c "print(f'{($c1 - $c0) / $tck / ($s1 - $s0) * 100:.1f}')")
steady_wall=$(python3 -c "print(f'{$s1 - $s0:.1f}')")
read -r latency_p50 latency_p99 latency_chunks <"$d/latency"
echo "  $steady_out/$steady_lines lines, CPU ${steady_cpu_pct}% of a core over ${steady_wall}s, RSS $((steady_rss / 1024)) MiB"
echo "  delivery latency over $latency_chunks chunks of 1000 lines: p50 ${latency_p50} ms, p99 ${latency_p99} ms"
rm -rf "$d"
fi

if wanted idle; then
echo "run: idle 10 s on an empty file"
d="$work/ls-idle"; mkdir -p "$d"; : >"$d/in.log"
iconf=$(logship_conf idle "outputs:
  out: {type: file, inputs: [in], path: $d/out.ndjson}" "" "$d/in.log")
"$bin" run -c "$iconf" >"$d/agent.log" 2>&1 & pid=$!
sleep 10
idle_rss=$(status_kb "$pid" VmRSS); idle_cpu=$(python3 -c "print(f'{$(cpu_ticks "$pid") / $tck:.2f}')")
stop_agent "$pid"; pid=""
echo "  RSS $((idle_rss / 1024)) MiB, CPU ${idle_cpu}s in 10 s (including start-up)"
fi

# 1,000 tailed files behind an output that never answers: peak RSS while the sources are held.
if wanted backpressure; then
  echo "run: backpressure, 1,000 tailed files, stalled output"
  backpressure=$("$here/backpressure_rss.sh" "$bin" 1000 | tail -1)
  echo "  $backpressure"
fi

# ---------------------------------------------------------------- report
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
python3 - "$rows" "$results_md" "$main_bytes" "$main_lines" "$sec_bytes" "$sec_lines" \
  "$files_bytes" "$files_lines" <<PY
import os, sys
rows_p, md_p = sys.argv[1], sys.argv[2]
in_bytes, in_lines, sec_bytes, sec_lines, files_bytes, files_lines = map(int, sys.argv[3:9])
rows = [r.split("\t") for r in open(rows_p).read().splitlines()]
mb = in_bytes / 1e6
# Notes written by hand below this marker survive a new run.
marker = "<!-- kept by compare.sh: notes below this line -->"
kept = ""
if os.path.exists(md_p):
    old = open(md_p).read()
    if marker in old:
        kept = old[old.index(marker):]
out = []
out.append("# End-to-end comparison")
out.append("")
out.append("Written by \`bench/e2e/compare.sh\`. Each agent tails one file from its start and writes "
           "every line to a local file; the figures are for that one run.")
out.append("")
out.append("## Machine and versions")
out.append("")
out.append("- nproc: $(nproc); CPU: $cpu_model; memory: $mem")
out.append("- load average at the end of the run: $(cut -d' ' -f1-3 /proc/loadavg) "
           "(the machine was shared with other work, so absolute figures are noisy)")
out.append("- logship: $("$bin" --version | head -1)")
out.append("- rsyslog: $rsyslog_version")
out.append("- syslog-ng: $sng_version")
out.append("- fluent-bit: $fb_version")
out.append("- vector: $vector_version")
out.append("- command: \`$cmdline\`")
out.append("")
out.append("## Corpus")
out.append("")
if in_bytes:
    out.append(f"Mixed (raw, raw-text, security, archive, peers, steady): one file, {in_bytes} bytes "
               f"({mb:.1f} MB), {in_lines} lines: ~40% auth syslog lines (from linux_syslog_2k.log "
               "with varied pids, IPv4 addresses and user names), ~40% app JSON lines (an email, IP "
               "or token in ~10% of them), ~20% Substrate node lines. Page-cached before the runs.")
    out.append("")
if sec_bytes:
    out.append(f"Security (security-full, sec-raw, sec-raw-text): \`bench/e2e/security_corpus.py\`, "
               f"{sec_bytes} bytes ({sec_bytes / 1e6:.1f} MB), {sec_lines} lines, equal bytes of an "
               "RFC 3164 auth log (~135 B a line: sshd, sudo, PAM, postfix with e-mail addresses, "
               "CRON, logind) and JSON app events (~317 B a line: an e-mail address and a private "
               "IPv4 address in each, trace ids, paths, some SQL), both read from the start.")
    out.append("")
if files_bytes:
    out.append(f"Tailed files (files-1, files-1000): the first {files_bytes} bytes "
               f"({files_bytes / 1e6:.1f} MB, {files_lines} lines) of the security corpus's auth log, "
               "as one file and cut at line ends into 1,000 files of equal size.")
out.append("")
out.append("## Throughput runs")
out.append("")
out.append(f"Each run was made {$repeats} times; a table shows the median by CPU. "
           "MB/s and lines/s: input size over the wall clock from starting the agent until the output "
           "held as many lines as the input (polled every 0.2 s; includes start-up). CPU: user+sys "
           "seconds of the process (all threads) just before it was stopped. Peak RSS: VmHWM.")
out.append("")
# One row per scenario and agent: the run with least CPU. A run that fell short or whose content
# check failed is named beside it.
runs, order = {}, []
for r in rows:
    key = tuple(r[:3])
    if key not in runs:
        runs[key] = []
        order.append(key)
    runs[key].append(r[1:])
mbcpu = {}
def table(cpus):
    out.append("| scenario | agent | lines out / in | wall s | MB/s | lines/s | CPU s | MB per CPU-s | peak RSS MiB | content |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for key in order:
        if key[0] != cpus:
            continue
        measured = sorted((r for r in runs[key] if r[4] != "-"), key=lambda r: float(r[5]))
        best = measured[len(measured) // 2] if measured else runs[key][0]
        sc, ag, li, lo, wall, cpu, hwm, chk, nbytes = best
        mb = int(nbytes) / 1e6
        others = [r[7] for r in runs[key] if r is not best and r[7] not in ("-", "identical")
                  and not r[7].startswith("archive cat: " + li + " lines")]
        others += ["a run fell short" for r in runs[key] if r[4] != "-" and int(r[3]) < int(r[2])]
        if others:
            chk += "; other runs: " + ", ".join(others)
        if wall == "-":
            out.append(f"| {sc} | {ag} | {lo} / {li} | - | - | - | - | - | - | {chk} |")
            continue
        wall, cpu, hwm = float(wall), float(cpu), int(hwm)
        complete = "all" if int(lo) >= int(li) else "INCOMPLETE"
        per = mb / cpu if cpu > 0 else float("inf")
        if complete == "all":  # ratios and goals compare complete runs only
            mbcpu[(cpus, sc, ag)] = per
        out.append(f"| {sc} | {ag} | {lo} / {li} ({complete}) | {wall:.2f} | {mb / wall:.1f} | "
                   f"{int(li) / wall:,.0f} | {cpu:.2f} | {per:.1f} | {hwm / 1024:.0f} | {chk} |")
    out.append("")
out.append("### Every agent on all $(nproc) CPUs")
out.append("")
out.append("Each agent as started by default (logship: one worker per CPU; a pipeline with one "
           "output runs it on its source's worker, so these scenarios keep one worker busy).")
out.append("")
table("all")
out.append("### Every agent on one CPU (\`taskset -c 0\`)")
out.append("")
out.append("All threads of the agent on CPU 0: what one core does (logship then starts one worker). "
           "MB/s is then MB per second of one core.")
out.append("")
table("1")
out.append("Scenarios: raw = file source -> file output (logship: NDJSON with the line in \`message\`; "
           "rsyslog: imfile -> omfile with template \`%rawmsg%\\\\n\`; syslog-ng: file(flags(no-parse)) "
           "-> file() with template \`\${MESSAGE}\\\\n\` and flow-control; fluent-bit: tail -> file with "
           "template \`{log}\`; vector: file -> file with codec text). raw-text = logship's file "
           "output with \`format: text\`: each line as read, the output rsyslog and syslog-ng write "
           "in raw. security = logship "
           "parse_auth -> scrub_pii (email, ipv4, secret) -> tag_severity -> correlate -> "
           "classify_tier -> file. security-full = logship on the security corpus, two file sources: "
           "parse_auth | parse_json -> scrub_pii (email, ipv4, ipv6, card, ssn, phone, jwt, secret; "
           "redact; every string value of the event) -> tag_severity -> correlate -> classify_tier "
           "(3 tiers) -> file (NDJSON). sec-raw and sec-raw-text = raw and raw-text on the security "
           "corpus (both files, one source). files-1 and files-1000 = raw-text on the tailed-files "
           "corpus. archive = logship file -> archive output (zstd level 3; the admin "
           "server was on in this run only, to read the archive output's sent-events counter). "
           "Content: multiset comparison of output line contents with the input lines.")
out.append("")
out.append("### Raw scenario: MB per CPU-second ratios")
out.append("")
for cpus, where in (("all", "all CPUs"), ("1", "one CPU")):
    for sc, what in (("raw-text", "text, the same output as the peers"), ("raw", "NDJSON")):
        ls = mbcpu.get((cpus, sc, "logship"))
        for other in ("rsyslog", "syslog-ng", "fluent-bit", "vector"):
            if not any(k[2] == other for k in runs):
                continue  # not installed
            o = mbcpu.get((cpus, "raw", other))
            if ls and o:
                out.append(f"- {where}: logship ({what}) / {other}: {ls:.1f} / {o:.1f} = {ls / o:.2f}")
            else:
                out.append(f"- {where}: logship ({what}) / {other}: not measured or incomplete")
out.append("")
out.append("## Goals")
out.append("")
out.append("Per core: MB of input per CPU-second. \"met\" compares the figure with the goal.")
out.append("")
out.append("| goal | all CPUs | one CPU |")
out.append("|---|---|---|")
def verdict(value, ok):
    if value is None:
        return "not measured or incomplete"
    return f"{value} ({'met' if ok else 'NOT met'})"
def per_core(sc, goal):
    cells = []
    for cpus in ("all", "1"):
        v = mbcpu.get((cpus, sc, "logship"))
        cells.append(verdict(None if v is None else f"{v:.0f}", v is not None and v >= goal))
    return " | ".join(cells)
out.append(f"| raw >= 1000 MB/s per core, lines written as read (raw-text) | {per_core('raw-text', 1000)} |")
out.append(f"| raw >= 1000 MB/s per core, as NDJSON events (raw) | {per_core('raw', 1000)} |")
out.append(f"| security pipeline >= 150 MB/s per core | {per_core('security', 150)} |")
for other in ("rsyslog", "syslog-ng"):
    cells = []
    for cpus in ("all", "1"):
        ls, o = mbcpu.get((cpus, "raw-text", "logship")), mbcpu.get((cpus, "raw", other))
        cells.append(verdict(None if not (ls and o) else f"{ls / o:.1f}x", bool(ls and o) and ls >= 10 * o))
    out.append(f"| >= 10x {other}, raw (same output) | {' | '.join(cells)} |")
def rss_mb(cpus, sc):  # peak RSS (MB) of the median run
    measured = sorted((r for r in runs.get((cpus, sc, "logship"), []) if r[4] != "-"),
                      key=lambda r: float(r[5]))
    return int(measured[len(measured) // 2][6]) * 1024 / 1e6 if measured else None
out.append(f"| security-full >= 200 MB per CPU-second | {per_core('security-full', 200)} |")
cells = []
for cpus in ("all", "1"):
    v = rss_mb(cpus, "security-full")
    cells.append(verdict(None if v is None else f"{v:.0f} MB", v is not None and v <= 48))
out.append(f"| security-full peak RSS <= 48 MB | {' | '.join(cells)} |")
out.append(f"| raw file -> file NDJSON >= 1500 MB per CPU-second (sec-raw) | {per_core('sec-raw', 1500)} |")
out.append(f"| raw file -> file text >= 2500 MB per CPU-second (sec-raw-text) | {per_core('sec-raw-text', 2500)} |")
cells = []
for cpus in ("all", "1"):
    one, many = mbcpu.get((cpus, "files-1", "logship")), mbcpu.get((cpus, "files-1000", "logship"))
    cells.append(verdict(None if not (one and many) else f"{many:.0f} / {one:.0f} = {many / one:.2f}",
                         bool(one and many) and many >= 0.9 * one))
out.append(f"| 1,000 files within 10 % of 1 file (files-1000 / files-1) | {' | '.join(cells)} |")
bp = "$backpressure"
bp_mb = float(bp.split("peak RSS ")[1].split(" MB")[0]) if "peak RSS " in bp else None
out.append(f"| RSS <= 64 MB, 1,000 tailed files, stalled output | "
           f"{verdict(None if bp_mb is None else f'{bp_mb:.1f} MB', bp_mb is not None and bp_mb <= 64)} | - |")
if "$steady_cpu_pct" != "-":
    steady = float("$steady_cpu_pct")
    out.append(f"| 10k lines/s <= 2 % of a core | {verdict(f'{steady:.1f} %', steady <= 2)} | - |")
if "$idle_rss" != "-":
    idle = int("$idle_rss") / 1024
    out.append(f"| idle RSS <= 30 MB | {verdict(f'{idle * 1.048576:.1f} MB', idle * 1.048576 <= 30)} | - |")
out.append("")
out.append("## logship steady rate, idle and backpressure")
out.append("")
out.append("| measurement | value |")
out.append("|---|---|")
mib = lambda kb: "-" if kb == "-" else f"{int(kb) / 1024:.1f}"
if "$steady_lines" != "-":
    out.append(f"| steady: lines written / delivered | $steady_lines / $steady_out |")
    out.append(f"| steady: CPU % of one core while a writer appended 10,000 lines/s ($steady_wall s) | $steady_cpu_pct |")
    out.append(f"| steady: RSS at the end (MiB) | {mib('$steady_rss')} |")
    out.append(f"| steady: peak RSS (MiB) | {mib('$steady_hwm')} |")
    out.append(f"| steady: delivery latency p50 / p99 (ms), write() of a 1000-line chunk to its last line "
               f"in the output, $latency_chunks chunks | $latency_p50 / $latency_p99 |")
if "$idle_rss" != "-":
    out.append(f"| idle: RSS after 10 s on an empty file (MiB) | {mib('$idle_rss')} |")
    out.append(f"| idle: CPU seconds in those 10 s, start-up included | $idle_cpu |")
if bp != "-":
    out.append(f"| backpressure (\`bench/e2e/backpressure_rss.sh\`) | {bp} |")
out.append("")
text = "\n".join(out)
if kept:
    text += "\n" + kept
open(md_p, "w").write(text)
print()
print(text)
PY
