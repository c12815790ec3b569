#!/usr/bin/env bash
# Bad input gets one clear error and a non-zero exit, never a crash or a hang.
source "$(dirname "$0")/lib.sh"
cat >"$work/bad.yaml" <<'YAML'
sources:
  a: {type: file, include: [/var/log/x.log], colour: blue}
  b: {type: nosuch}
outputs:
  o: {type: file, inputs: [a, ghost], path: /tmp/o}
YAML
err=$("$bin" validate -c "$work/bad.yaml" 2>&1 >/dev/null); rc=$?
check "validate exits 1 on errors" test $rc = 1
check "unknown option at its line:column" grep -qF "bad.yaml:2:46: unknown option 'colour'" <<<"$err"
check "unknown type at its line:column" grep -qF "bad.yaml:3:13: unknown source type 'nosuch'" <<<"$err"
check "dangling input at its line:column" grep -qF "bad.yaml:5:31: input 'ghost' of 'o'" <<<"$err"
check "every error reported at once" grep -qF "3 errors in the configuration" <<<"$err"

printf 'sources:\n  a: {type: stdin\n' >"$work/syntax.yaml"
err=$("$bin" validate -c "$work/syntax.yaml" 2>&1); rc=$?
check "YAML syntax error names file:line:column" bash -c "[[ $rc == 1 ]] && grep -qE 'syntax.yaml:[0-9]+:[0-9]+: ' <<<'$err'"

err=$("$bin" run -c "$work/missing.yaml" 2>&1); rc=$?
check "unreadable config: one error line, exit 1" bash -c "[[ $rc == 1 ]] && grep -qF 'missing.yaml:0:0: cannot read' <<<'$err'"

printf 'sources:\n  a: {type: stdin}\noutputs:\n  o: {type: blackhole, inputs: [a]}\n' >"$work/good.yaml"
check "validate accepts a good config" "$bin" validate -c "$work/good.yaml"
check "the embedded default config is valid" "$bin" validate

# The listener picks its own port and writes it down once it listens: a port chosen first and
# bound later could be taken meanwhile by a test running beside this one.
python3 -c 'import os,socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen()
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)' "$work/taken_port" & pids+=($!)
for _ in $(seq 200); do [[ -s $work/taken_port ]] && break; sleep 0.05; done
port=$(<"$work/taken_port")
cat >"$work/port.yaml" <<YAML
data_dir: $work/data
admin: {address: 127.0.0.1:$port}
sources:
  a: {type: stdin}
outputs:
  o: {type: blackhole, inputs: [a]}
YAML
err=$(timeout 10 "$bin" run -c "$work/port.yaml" 2>&1 </dev/null); rc=$?
check "admin port in use: clear error, non-zero exit" bash -c "[[ $rc == 1 ]] && grep -qF 'cannot listen on 127.0.0.1:$port' <<<'$err'"
[[ $rc == 1 ]] || echo "     (listener port '$port'; logship run exited $rc: $err)"

for cmd in run validate reference convert; do
  check "$cmd --help" bash -c "'$bin' $cmd --help | grep -q '^usage: logship $cmd'"
done
check "--version" bash -c "'$bin' --version | grep -qE '^logship [0-9]+\.[0-9]+\.[0-9]+'"
check "unknown command exits 2" bash -c "'$bin' frobnicate 2>/dev/null; [[ \$? == 2 ]]"
check "reference lists the file source options" bash -c "'$bin' reference | grep -qF '| \`max_line_bytes\` | size | 1MiB |'"
finish
