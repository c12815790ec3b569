#!/usr/bin/env bash
# `logship convert` on configurations written after each tool's reference examples: the pipeline
# file and the not-translated list must be exactly the expected ones (NAME.expected.yaml,
# NAME.expected.stderr), the exit code 1 when that list has a "not translated" line and 0
# otherwise, and the pipeline must pass `logship validate`. The syslog and http sources these
# files name are accepted as unknown types only while the binary has no such source type.
# LOGSHIP_UPDATE_GOLDEN=1 rewrites the expected files from what the binary writes.
source "$(dirname "$0")/../integration/lib.sh"
cd "$(dirname "$0")"
known=$("$bin" reference)
for item in promtail:promtail.yaml filebeat:filebeat.yml fluent-bit:fluent-bit.conf \
            fluent-bit:fluent-bit.yaml; do
  tool=${item%%:*} input=${item#*:} name=${item#*:}
  "$bin" convert --from "$tool" "$input" >"$work/$name.yaml" 2>"$work/$name.stderr"; rc=$?
  if [[ -n ${LOGSHIP_UPDATE_GOLDEN:-} ]]; then
    cp "$work/$name.yaml" "$name.expected.yaml"
    cp "$work/$name.stderr" "$name.expected.stderr"
  fi
  check "$input: the pipeline file is the expected one" diff -u "$name.expected.yaml" "$work/$name.yaml"
  check "$input: the not-translated list is the expected one" diff -u "$name.expected.stderr" "$work/$name.stderr"
  want=0
  grep -q ': not translated: ' "$work/$name.stderr" && want=1
  check "$input: exit code $want" test "$rc" = "$want"
  errors=$("$bin" validate -c "$work/$name.yaml" 2>&1 >/dev/null)
  for type in syslog http; do
    grep -qF "### \`$type\`" <<<"$known" ||
      errors=$(grep -vF "unknown source type '$type'" <<<"$errors" | grep -vE '^[0-9]+ errors? in the configuration$')
  done
  check "$input: the pipeline validates" test -z "$errors"
  [[ -z $errors ]] || echo "$errors"
done
finish
