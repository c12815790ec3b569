#!/usr/bin/env bash
# The Debian package: built by CPack from the already-built binary (no rebuild), checked as an
# archive (files, conffiles, maintainer scripts, computed Depends), then installed, reinstalled,
# removed and purged with dpkg in a scratch root (deb_scratch_root.sh).
#   deb_package_test.sh PATH/TO/logship BUILD_DIR
source "$(dirname "$0")/../integration/lib.sh"
build=$(readlink -f "${2:?usage: $0 PATH/TO/logship BUILD_DIR}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
done_() { echo "$pass passed, $fail failed, $skipped skipped"; ((fail == 0)); exit $?; }

for tool in cpack dpkg-deb dpkg-shlibdeps file; do
  command -v "$tool" >/dev/null || { no "$tool available (apt-get install cmake dpkg-dev file)"; done_; }
done
[[ -f $build/CPackConfig.cmake ]] || { no "CPackConfig.cmake in $build"; done_; }

# Stage exactly what `cmake --install` puts in a package, then let CPack package that directory
# with the project's settings (CPackConfig.cmake) but without its default "build everything" step.
stage=$work/stage
DESTDIR=$stage cmake --install "$build" --prefix /usr --strip >"$work/install.log" 2>&1
check "cmake --install stages the files" test $? = 0
check "the staged binary is the one under test" \
  bash -c "[[ \$(readlink -f '$build/logship') == '$bin' ]]"
cat >"$work/cpack.cmake" <<CMAKE
include("$build/CPackConfig.cmake")
set(CPACK_INSTALL_CMAKE_PROJECTS "")
set(CPACK_INSTALLED_DIRECTORIES "$stage;/")
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
set(CPACK_PACKAGE_DIRECTORY "$work/out")
CMAKE
cpack --config "$work/cpack.cmake" -G DEB >"$work/cpack.log" 2>&1
rc=$?
check "cpack -G DEB builds the package" test "$rc" = 0
debs=("$work"/out/logship_*.deb)
deb=${debs[0]}
if [[ $rc != 0 || ! -f $deb ]]; then
  sed 's/^/    /' "$work/cpack.log" | tail -20
  done_
fi
echo "    $(basename "$deb"), $(stat -c %s "$deb") bytes"

dpkg-deb -c "$deb" >"$work/contents.txt"
has_file() { grep -qE "^-.* root/root .* \./$1\$" "$work/contents.txt"; }
check "binary at /usr/bin/logship" has_file usr/bin/logship
check "unit at /lib/systemd/system/logship.service" has_file lib/systemd/system/logship.service
check "configuration at /etc/logship/logship.yaml" has_file etc/logship/logship.yaml
check "README in /usr/share/doc/logship" has_file usr/share/doc/logship/README.md
check "log_to_metric example in /usr/share/doc/logship/examples" \
  has_file usr/share/doc/logship/examples/security-metrics.yaml
check "Prometheus rules in /usr/share/logship/prometheus" \
  has_file usr/share/logship/prometheus/security-rules.yaml
check "Grafana dashboards in /usr/share/logship/grafana" \
  has_file usr/share/logship/grafana/logship-agent.json
check "the detection rule pack in /usr/share/logship/detections" \
  has_file usr/share/logship/detections/ssh.yaml
check "with its tests" has_file usr/share/logship/detections/tests/ssh.test.yaml
check "the presets in /usr/share/logship/presets" has_file usr/share/logship/presets/cere-node.yaml
check "every file is owned by root" bash -c "! grep -v ' root/root ' '$work/contents.txt'"

field() { dpkg-deb -f "$deb" "$1"; }
check "Package: logship" test "$(field Package)" = logship
check "Architecture: $(dpkg --print-architecture)" test "$(field Architecture)" = "$(dpkg --print-architecture)"
depends=$(field Depends)
echo "    Depends: $depends"
check "Depends lists adduser" grep -qE '(^|, )adduser(,|$)' <<<"$depends"
check "Depends computed from the binary's libraries (libc6, libstdc++6, libyaml-cpp)" \
  bash -c "grep -q 'libc6 (>= ' <<<'$depends' && grep -q 'libstdc++6' <<<'$depends' && grep -q 'libyaml-cpp' <<<'$depends'"

dpkg-deb -e "$deb" "$work/control"
check "conffiles lists /etc/logship/logship.yaml" \
  test "$(cat "$work/control/conffiles" 2>/dev/null)" = /etc/logship/logship.yaml
for script in postinst prerm postrm; do
  check "$script is executable and parses" \
    bash -c "[[ -x '$work/control/$script' ]] && sh -n '$work/control/$script'"
done
check "postinst creates the system user with adduser --system --group" \
  grep -q 'adduser --system --group' "$work/control/postinst"
check "postrm purge removes the user" grep -q 'deluser --system' "$work/control/postrm"

dpkg-deb -x "$deb" "$work/x"
check "packaged binary runs" bash -c "'$work/x/usr/bin/logship' --version >/dev/null"
check "packaged binary is stripped" bash -c "file '$work/x/usr/bin/logship' | grep -q ', stripped'"

# The real install, in a scratch root. It needs root and mount namespaces (overlayfs).
if ((EUID != 0)); then
  skip "install/remove/purge in a scratch root: needs root (mount namespace and overlayfs)"
elif ! unshare -m --propagation private true 2>/dev/null; then
  skip "install/remove/purge in a scratch root: unshare -m is not permitted here"
else
  mkdir "$work/scratch"
  unshare -m --propagation private \
    bash "$repo/tests/packaging/deb_scratch_root.sh" "$deb" "$repo" "$work/scratch" \
    >"$work/scratch.out" 2>&1
  rc=$?
  cat "$work/scratch.out"
  pass=$((pass + $(grep -c '^ok ' "$work/scratch.out")))
  fail=$((fail + $(grep -c '^FAIL ' "$work/scratch.out")))
  check "scratch-root run completed" test "$rc" = 0
fi
done_
