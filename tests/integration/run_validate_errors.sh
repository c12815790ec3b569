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

port=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(60)' "$port" & pids+=($!)
# Wait until the port is really taken (python may start slowly on a loaded machine).
python3 -c 'import socket,sys,time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)' "$port"
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

for cmd in run validate reference; do
  check "$cmd --help" bash -c "'$bin' $cmd --help | grep -q '^usage: logship $cmd'"
done
check "--version" bash -c "'$bin' --version | grep -qE '^logship [0-9]+\.[0-9]+\.[0-9]+'"
check "unknown command exits 2" bash -c "'$bin' frobnicate 2>/dev/null; [[ \$? == 2 ]]"
check "reference lists the file source options" bash -c "'$bin' reference | grep -qF '| \`max_line_bytes\` | size | 1MiB |'"
finish
