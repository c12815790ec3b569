#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS, seeded from
# the shared corpus or the target's own seeds. The test suite runs it briefly; run it longer by hand:
#   tests/fuzz/fuzz.sh [SECONDS] [TARGET...]        (default 5 s, every target)
# Prints one line per target and "N passed, N failed". LOGSHIP_FUZZ_DIR is where it builds
# (default build/fuzz), LOGSHIP_FUZZ_JOBS how many compiles run at once (default: every core),
# LOGSHIP_FUZZ_AGENT_TARGETS=0 leaves out the targets that need the whole agent built with clang.
set -u
cd "$(dirname "$0")/../.."
seconds=${1:-5}
shift || true
clang=$(command -v clang++-14 || command -v clang++ || true)
if [[ -z $clang ]]; then
  echo "clang++ not found (apt-get install clang): fuzzers not built"
  echo "0 passed, 1 failed"
  exit 1
fi
out=${LOGSHIP_FUZZ_DIR:-build/fuzz}
mkdir -p "$out/obj" "$out/seeds"
launcher=$(command -v ccache || true)
jobs=${LOGSHIP_FUZZ_JOBS:-$(nproc)}
sanitize=(-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined)
flags=(-std=c++20 "${sanitize[@]}" -I.)

# target: its sources (besides tests/fuzz/<target>.cc) and libraries
declare -A sources=(
  [timestamp_fuzz]="agent/support/timestamp.cc"
  [syslog_fuzz]="parsers/common/syslog_parser.cc agent/support/timestamp.cc"
  [syslog_framing_fuzz]="agent/sources/syslog/syslog_framing.cc"
  [auth_fuzz]="parsers/auth/auth_accounts.cc parsers/auth/auth_classifier.cc parsers/auth/auth_files.cc parsers/auth/auth_firewall.cc parsers/auth/auth_privilege.cc parsers/common/syslog_parser.cc agent/support/timestamp.cc"
  [scrub_pii_fuzz]="pipelines/scrub_pii/address_matchers.cc pipelines/scrub_pii/credential_matchers.cc pipelines/scrub_pii/number_matchers.cc pipelines/scrub_pii/substrate_key_matchers.cc pipelines/scrub_pii/hmac_sha256.cc pipelines/scrub_pii/pii_scrubber.cc pipelines/scrub_pii/replacement.cc pipelines/scrub_pii/scan.cc pipelines/scrub_pii/secret_key_names.cc $out/bip39_wordlist.cc"
  [parse_json_fuzz]="parsers/json/parse_json.cc"
  [line_assembler_fuzz]="agent/sources/file/line_assembler.cc agent/core/line_reader.cc agent/api/api.cc agent/api/config.cc agent/support/units.cc agent/support/json_writer.cc agent/support/utf8.cc agent/support/timestamp.cc"
  [parse_logfmt_fuzz]="parsers/logfmt/parse_logfmt.cc"
  [parse_regex_fuzz]="parsers/regex/parse_regex.cc"
  [parse_syslog_fuzz]="parsers/syslog/parse_syslog.cc parsers/common/syslog_fields.cc parsers/common/syslog_parser.cc"
  [parse_auth_fuzz]="parsers/auth/parse_auth.cc parsers/auth/auth_accounts.cc parsers/auth/auth_classifier.cc parsers/auth/auth_files.cc parsers/auth/auth_firewall.cc parsers/auth/auth_privilege.cc parsers/common/syslog_fields.cc parsers/common/syslog_parser.cc"
  [parse_substrate_fuzz]="parsers/substrate/parse_substrate.cc parsers/substrate/substrate_line.cc"
  [parse_auditd_fuzz]="parsers/auditd/parse_auditd.cc parsers/auditd/auditd_event.cc parsers/auditd/audit_record.cc"
  [checkpoint_fuzz]="agent/core/checkpoint_store.cc agent/support/files.cc agent/support/json_writer.cc agent/support/utf8.cc agent/support/timestamp.cc"
  [batch_codec_fuzz]="agent/core/batch_codec.cc agent/api/api.cc agent/api/config.cc agent/support/units.cc agent/support/json_writer.cc agent/support/utf8.cc agent/support/timestamp.cc"
  # @agent: too much of the agent to list; links the libraries of a clang CMake build instead.
  [config_fuzz]="@agent"
  [loki_response_fuzz]="@agent"
  [es_response_fuzz]="@agent"
  [otlp_decoder_fuzz]="@agent"
  [http_source_fuzz]="@agent"
)
transform_common="parsers/common/parser_support.cc agent/support/timestamp.cc agent/api/api.cc agent/api/config.cc agent/support/units.cc agent/support/json_writer.cc agent/support/utf8.cc"
libs="-lyaml-cpp -lsimdjson -lre2 -lcrypto -lz"
agent_dir=$out/cmake
flags+=(-I"$agent_dir/agent/support/otlp")  # the OTLP messages protoc generates in the agent build
agent_targets="logship_components logship_parsers logship_pipelines logship_outputs logship_core"
# The OTLP messages (the opentelemetry source and output) are built in their own folder.
agent_libs="-Wl,--start-group $(for l in $agent_targets; do printf '%s ' "$agent_dir/lib$l.a"; done)"
agent_libs+="$agent_dir/agent/support/otlp/liblogship_otlp_proto.a "
agent_libs+="-Wl,--end-group -lyaml-cpp -lsimdjson -lre2 -lssl -lcrypto -lz -lzstd -lsnappy"
agent_libs+=" -lprometheus-cpp-core -lrdkafka++ -lrdkafka -lsystemd -lprotobuf -pthread"

# Generated sources.
[[ -f $out/bip39_wordlist.cc ]] ||
  cmake -DBIP39_OUTPUT="$out/bip39_wordlist.cc" -P pipelines/scrub_pii/bip39_wordlist.cmake

# Seeds: one file per line of the real corpus.
if [[ -d ../shared/corpus && ! -f $out/seeds/.done ]]; then
  i=0
  for f in ../shared/corpus/*.log; do
    while IFS= read -r line; do i=$((i + 1)); printf '%s' "$line" >"$out/seeds/$i"; done <"$f"
  done
  touch "$out/seeds/.done"
fi

# A target's own seeds, used instead of the log lines: tests/fuzz/seeds/<target>/, and for
# config_fuzz every example pipeline (the YAML files and the YAML blocks of the docs).
own_seeds() {
  local t=$1 dirs=()
  [[ -d tests/fuzz/seeds/$t ]] && dirs+=("tests/fuzz/seeds/$t")
  if [[ $t == config_fuzz ]]; then
    local d=$out/seeds-$t
    rm -rf "$d" && mkdir -p "$d"
    cp conf/*.yaml conf/examples/*.yaml packaging/examples/*.yaml "$d"/ 2>/dev/null
    for doc in README.md ../shared/CONFIG.md; do
      [[ -f $doc ]] && awk -v out="$d/$(basename "$doc" .md)" \
        '/^```yaml/ {n++; on=1; next} /^```/ {on=0} on {print > (out "-" n ".yaml")}' "$doc"
    done
    dirs+=("$d")
  fi
  ((${#dirs[@]})) && printf '%s\n' "${dirs[@]}"
}

# The agent's own libraries, built once per run by CMake with clang and the flags above (only
# what changed is rebuilt; ccache keeps that cheap on a fresh tree).
agent_state=""
agent() {
  if [[ -z $agent_state ]]; then
    agent_state=failed
    {
      if [[ ! -f $agent_dir/CMakeCache.txt || tests/fuzz/fuzz.sh -nt $agent_dir/CMakeCache.txt ]]; then
        local generator=()
        [[ ! -f $agent_dir/CMakeCache.txt ]] && command -v ninja >/dev/null && generator=(-G Ninja)
        cmake -S . -B "$agent_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Fuzz \
          -DCMAKE_CXX_COMPILER="$clang" -DCMAKE_CXX_FLAGS="${sanitize[*]}" \
          -DLOGSHIP_BUILD_TESTS=OFF -DLOGSHIP_BUILD_BENCHMARKS=OFF || return 1
      fi
      cmake --build "$agent_dir" -j "$jobs" --target $agent_targets logship_otlp_proto || return 1
    } >"$out/agent.build.log" 2>&1
    agent_state=ok
  fi
  [[ $agent_state == ok ]]
}

stale() {  # object: whether it is missing or older than a file its compiler said it read
  [[ -f $1 && -f $1.d ]] || return 0
  local dep
  for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$1.d"); do [[ $dep -nt $1 ]] && return 0; done
  return 1
}

object() {  # source -> object, rebuilt when the source or a header it includes changed
  local o="$out/obj/$(echo "$1" | tr / _).o"
  if stale "$o"; then $launcher "$clang" "${flags[@]}" -MMD -MF "$o.d" -c "$1" -o "$o" || return 1; fi
  echo "$o"
}

targets=("$@")
((${#targets[@]})) || targets=($(printf '%s\n' "${!sources[@]}" | sort))
pass=0 fail=0
for t in "${targets[@]}"; do
  srcs=${sources[$t]-}
  # The test suite replays these in its ordinary build instead (tests/fuzz/CMakeLists.txt).
  if [[ $srcs == @agent && ${LOGSHIP_FUZZ_AGENT_TARGETS:-1} == 0 ]]; then
    echo "skip - $t (needs an instrumented build of the whole agent)"
    continue
  fi
  [[ $t == parse_* ]] && srcs="$srcs $transform_common"
  objs=()
  link=$libs
  ok=1
  if [[ $srcs == @agent ]]; then
    agent || { ok=0; cp "$out/agent.build.log" "$out/$t.build.log"; }
    link=$agent_libs
  else
    for s in $srcs; do o=$(object "$s") || { ok=0; break; }; objs+=("$o"); done
  fi
  if ((ok)) && "$clang" "${flags[@]}" -fsanitize=fuzzer "tests/fuzz/$t.cc" $(printf '%s\n' "${objs[@]}" | sort -u) $link -o "$out/$t" 2>"$out/$t.build.log"; then
    mkdir -p "$out/corpus/$t"
    seeds=($(own_seeds "$t"))
    ((${#seeds[@]})) || seeds=("$out/seeds")
    if "$out/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/$t-" "$out/corpus/$t" "${seeds[@]}" >"$out/$t.log" 2>&1; then
      echo "ok   - $t ($(grep -oE 'stat::number_of_executed_units: [0-9]+|#[0-9]+' "$out/$t.log" | tail -1) runs in ${seconds}s)"
      pass=$((pass + 1))
    else
      echo "FAIL - $t: the fuzzer found a crash; see $out/$t.log"
      tail -30 "$out/$t.log"
      fail=$((fail + 1))
    fi
  else
    echo "FAIL - $t does not build; see $out/$t.build.log"
    tail -20 "$out/$t.build.log"
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
((fail == 0))
