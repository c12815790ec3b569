#!/usr/bin/env bash
# Installs, reinstalls, removes and purges a logship .deb with the real dpkg and the real
# maintainer scripts, in a copy-on-write overlay of / inside a private mount namespace: the
# system's own files, users and dpkg database are never written.
#   unshare -m --propagation private bash deb_scratch_root.sh PACKAGE.deb REPO_DIR SCRATCH_DIR
# Prints one "ok   - ..." or "FAIL - ..." line per check.
set -u
deb=$1
repo=$2
ok() { echo "ok   - $1"; }
no() { echo "FAIL - $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else no "$what"; fi; }

scratch=${3:?usage: deb_scratch_root.sh PACKAGE.deb REPO_DIR SCRATCH_DIR}
mount -t tmpfs tmpfs "$scratch" || { no "tmpfs for the scratch root"; exit 1; }
mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
if ! mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" \
    "$scratch/root"; then
  no "overlay of / for the scratch root"
  exit 1
fi
root=$scratch/root
mount --bind /dev "$root/dev"
mount -t proc proc "$root/proc"
# Nothing in the scratch root may talk to a service manager of the host.
mount -t tmpfs tmpfs "$root/run"
in_root() { chroot "$root" "$@"; }
dpkg_root() { dpkg --root="$root" --force-not-root "$@"; }

host_had_user=no
getent passwd logship >/dev/null && host_had_user=yes

dpkg_root -i "$deb" >"$scratch/install.log" 2>&1
check "dpkg --root -i installs the package" test $? = 0
[[ -s $scratch/install.log ]] && grep -iE 'warn|error' "$scratch/install.log" | sed 's/^/    /'
status=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' logship 2>/dev/null)
check "package state is 'install ok installed'" test "$status" = "install ok installed"
check "/usr/bin/logship runs" bash -c "chroot '$root' /usr/bin/logship --version >/dev/null"
check "unit in /lib/systemd/system" cmp -s "$root/lib/systemd/system/logship.service" \
  "$repo/packaging/systemd/logship.service"
check "/etc/logship/logship.yaml is conf/default.yaml" cmp -s "$root/etc/logship/logship.yaml" \
  "$repo/conf/default.yaml"
conffiles=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Conffiles}' logship)
check "dpkg records /etc/logship/logship.yaml as a conffile" \
  grep -qE '^ /etc/logship/logship.yaml [0-9a-f]{32}$' <<<"$conffiles"

passwd=$(in_root getent passwd logship)
IFS=: read -r _ _ uid gid _ home shell <<<"$passwd"
check "system user logship created" bash -c "[[ -n '$uid' ]] && (( $uid < 1000 ))"
check "its group is logship" test "$(in_root getent group logship | cut -d: -f3)" = "$gid"
check "its home is /var/lib/logship, its shell nologin" \
  bash -c "[[ '$home' == /var/lib/logship && '$shell' == */nologin ]]"
groups=" $(in_root id -nG logship) "
for g in adm systemd-journal; do
  if in_root getent group "$g" >/dev/null; then
    check "logship is in group $g" bash -c "[[ '$groups' == *' $g '* ]]"
  fi
done
check "/var/lib/logship owned by logship, mode 750" \
  test "$(in_root stat -c '%U:%G %a' /var/lib/logship)" = "logship:logship 750"
check "the installed configuration validates as user logship" \
  bash -c "chroot --userspec=logship:logship '$root' /usr/bin/logship validate -c /etc/logship/logship.yaml >/dev/null 2>&1"

# A local change to the conffile survives reinstalling; postinst runs again without harm.
echo "# local change" >>"$root/etc/logship/logship.yaml"
dpkg_root -i "$deb" >"$scratch/reinstall.log" 2>&1
check "reinstalling succeeds (postinst is idempotent)" test $? = 0
check "the local change to the conffile is kept" grep -q '^# local change$' "$root/etc/logship/logship.yaml"

dpkg_root -r logship >"$scratch/remove.log" 2>&1
check "dpkg -r succeeds" test $? = 0
check "remove deletes the binary and the unit" \
  bash -c "[[ ! -e '$root/usr/bin/logship' && ! -e '$root/lib/systemd/system/logship.service' ]]"
check "remove keeps the conffile, the user and the state" \
  bash -c "[[ -f '$root/etc/logship/logship.yaml' && -d '$root/var/lib/logship' ]] && chroot '$root' getent passwd logship >/dev/null"
status=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' logship 2>/dev/null)
check "package state is 'deinstall ok config-files'" test "$status" = "deinstall ok config-files"

echo "checkpoint" >"$root/var/lib/logship/checkpoints.json"
dpkg_root -P logship >"$scratch/purge.log" 2>&1
check "dpkg -P succeeds" test $? = 0
check "purge deletes /etc/logship" test ! -e "$root/etc/logship"
check "purge deletes /var/lib/logship" test ! -e "$root/var/lib/logship"
check "purge deletes the user and the group" \
  bash -c "! chroot '$root' getent passwd logship >/dev/null && ! chroot '$root' getent group logship >/dev/null"
check "dpkg no longer knows the package" \
  bash -c "! dpkg-query --admindir='$root/var/lib/dpkg' -W logship >/dev/null 2>&1"
for g in adm systemd-journal; do
  if in_root getent group "$g" >/dev/null; then
    check "logship no longer listed in group $g" bash -c "! chroot '$root' getent group $g | grep -qw logship"
  fi
done

now_has_user=no
getent passwd logship >/dev/null && now_has_user=yes
check "the system's own users are untouched" test "$host_had_user" = "$now_has_user"
