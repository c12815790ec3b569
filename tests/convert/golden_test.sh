#!/usr/bin/env bash
# `logship convert` on configurations written after each tool's reference examples: the pipeline
# file and the not-translated list must be exactly the expected ones (NAME.expected.yaml,
# NAME.expected.stderr), the exit code 1 when that list has a "not translated" line and 0
# otherwise, and the pipeline must pass `logship validate`.
# LOGSHIP_UPDATE_GOLDEN=1 rewrites the expected files from what the binary writes.
source "$(dirname "$0")/../integration/lib.sh"
cd "$(dirname "$0")"
validates() { "$bin" validate -c "$1" >/dev/null; }
for item in promtail:promtail.yaml filebeat:filebeat.yml fluent-bit:fluent-bit.conf \
            fluent-bit:fluent-bit.yaml; do
  tool=${item%%:*} input=${item#*:}
  "$bin" convert --from "$tool" "$input" >"$work/$input.yaml" 2>"$work/$input.stderr"; rc=$?
  if [[ -n ${LOGSHIP_UPDATE_GOLDEN:-} ]]; then
    cp "$work/$input.yaml" "$input.expected.yaml"
    cp "$work/$input.stderr" "$input.expected.stderr"
  fi
  check "$input: the pipeline file is the expected one" diff -u "$input.expected.yaml" "$work/$input.yaml"
  check "$input: the not-translated list is the expected one" diff -u "$input.expected.stderr" "$work/$input.stderr"
  want=0
  grep -q ': not translated: ' "$work/$input.stderr" && want=1
  check "$input: exit code $want" test "$rc" = "$want"
  check "$input: the pipeline validates" validates "$work/$input.yaml"
done
finish
