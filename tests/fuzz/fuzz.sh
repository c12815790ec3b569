#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS, seeded from
# the shared corpus. The test suite runs it briefly; run it longer by hand:
#   tests/fuzz/fuzz.sh [SECONDS] [TARGET...]        (default 5 s, every target)
# Prints one line per target and "N passed, N failed".
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
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -I.)

# target: its sources (besides tests/fuzz/<target>.cc) and libraries
declare -A sources=(
  [timestamp_fuzz]="parsers/timestamp/timestamp.cc"
  [syslog_fuzz]="parsers/syslog/syslog_parser.cc parsers/timestamp/timestamp.cc"
  [auth_fuzz]="parsers/auth/auth_classifier.cc parsers/syslog/syslog_parser.cc parsers/timestamp/timestamp.cc"
  [scrub_pii_fuzz]="pipelines/scrub_pii/builtin_matchers.cc pipelines/scrub_pii/hmac_sha256.cc pipelines/scrub_pii/pii_scrubber.cc"
  [parse_json_fuzz]="parsers/json/parse_json.cc"
  [parse_logfmt_fuzz]="parsers/logfmt/parse_logfmt.cc"
  [parse_regex_fuzz]="parsers/regex/parse_regex.cc"
  [parse_syslog_fuzz]="parsers/syslog/parse_syslog.cc parsers/syslog/syslog_parser.cc"
  [parse_auth_fuzz]="parsers/auth/parse_auth.cc parsers/auth/auth_classifier.cc parsers/syslog/parse_syslog.cc parsers/syslog/syslog_parser.cc"
  [parse_substrate_fuzz]="parsers/substrate/parse_substrate.cc parsers/substrate/substrate_line.cc"
  [checkpoint_fuzz]="agent/core/checkpoint_store.cc outputs/common/json_writer.cc outputs/common/utf8.cc parsers/timestamp/timestamp.cc"
  [batch_codec_fuzz]="agent/core/batch_codec.cc agent/api/api.cc agent/api/config.cc"
)
transform_common="parsers/common/parser_support.cc parsers/timestamp/timestamp.cc agent/api/api.cc agent/api/config.cc"
libs="-lyaml-cpp -lsimdjson -lre2 -lcrypto -lz"

# Seeds: one file per line of the real corpus.
if [[ -d ../shared/corpus && ! -f $out/seeds/.done ]]; then
  i=0
  for f in ../shared/corpus/*.log; do
    while IFS= read -r line; do i=$((i + 1)); printf '%s' "$line" >"$out/seeds/$i"; done <"$f"
  done
  touch "$out/seeds/.done"
fi

object() {  # source -> object, rebuilt when the source is newer
  local o="$out/obj/$(echo "$1" | tr / _).o"
  if [[ ! -f $o || $1 -nt $o ]]; then $launcher "$clang" "${flags[@]}" -c "$1" -o "$o" || return 1; fi
  echo "$o"
}

targets=("$@")
((${#targets[@]})) || targets=($(printf '%s\n' "${!sources[@]}" | sort))
pass=0 fail=0
for t in "${targets[@]}"; do
  srcs=${sources[$t]}
  [[ $t == parse_* ]] && srcs="$srcs $transform_common"
  objs=()
  ok=1
  for s in $srcs; do o=$(object "$s") || { ok=0; break; }; objs+=("$o"); done
  if ((ok)) && "$clang" "${flags[@]}" -fsanitize=fuzzer "tests/fuzz/$t.cc" $(printf '%s\n' "${objs[@]}" | sort -u) $libs -o "$out/$t" 2>"$out/$t.build.log"; then
    mkdir -p "$out/corpus/$t"
    if "$out/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "$out/corpus/$t" "$out/seeds" >"$out/$t.log" 2>&1; then
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
