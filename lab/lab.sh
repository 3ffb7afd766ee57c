#!/usr/bin/env bash
# dvrlab's lab: three simulated hosts on one machine (see lab/README.md).
#
#   lab.sh up                 build what is missing (idempotent; repairs half-built hosts)
#   lab.sh down               remove every namespace, link, mount, process and run file of the lab
#   lab.sh status [--json]    one row per host; exit 0 only when every host is healthy
#   lab.sh ssh HOST [CMD…]    ssh into a host the way the provider does
set -euo pipefail
# shellcheck source=lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

log() { echo "lab: $*" >&2; }
now_ms() { date +%s%3N; }

SSH_KEY=$LAB_DIR/ssh/id_ed25519
KNOWN_HOSTS=$LAB_DIR/known_hosts
# A cache, not run-time state: shared by every lab on the machine (as the guest image is).
CAPS_SEED=${DVRLAB_CACHE:-$HOME/.cache/dvrlab}/qemu-capabilities
CREATED=$LAB_DIR/created # mount points / dirs the lab had to create in the root namespace

# ---------------------------------------------------------------------------------------------
# Running things inside a host

# hx CMD…: run CMD inside host $H with a clean environment (no caller's PATH, no ~/.bashrc).
hx() (
  # Daemons started here must not inherit the caller's descriptors (our lock, a test
  # runner's pipes): a daemon holding them would keep the lock or the pipe open forever.
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    ((fd > 2)) && [[ $fd != 255 ]] && eval "exec $fd>&-"
  done
  nsenter --mount="$H_MNT" --uts="$H_UTS" --net=/run/netns/"$H_NETNS" --wd=/ -- \
    env -i PATH="$HOST_PATH" HOME=/root LANG=C.UTF-8 "$@"
)

# pid_of_host_daemon PIDFILE: the pid in PIDFILE (a path inside the host) if that process is
# alive and belongs to host $H (a stale pid file may name a reused pid), else nothing.
pid_of_host_daemon() {
  local f=$H_FS/run/${1#/run/} pid
  [[ $1 == /run/* ]] || die "pid files live under /run: $1"
  pid=$(cat "$f" 2>/dev/null) || return 0
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  [[ $(readlink "/proc/$pid/ns/uts" 2>/dev/null) == "$(ns_id "$H_UTS")" ]] && echo "$pid"
  return 0
}

# wait_for DESCRIPTION SECONDS CMD…: bounded poll until CMD succeeds.
wait_for() {
  local what=$1 secs=$2 deadline
  shift 2
  deadline=$(($(now_ms) + secs * 1000))
  until "$@" >/dev/null 2>&1; do
    (($(now_ms) < deadline)) || die "$H: timed out after ${secs}s waiting for $what"
    sleep 0.02
  done
}

# ---------------------------------------------------------------------------------------------
# Root namespace: the underlay bridge, key, mount points

ensure_root() {
  mkdir -p "$LAB_DIR/ssh" "$NS_DIR" "$LAB_DIR/hosts"
  [[ -f $SSH_KEY ]] || ssh-keygen -q -t ed25519 -N '' -C dvrlab-lab -f "$SSH_KEY"

  # unshare --mount=FILE refuses a FILE on a shared mount: keep the ns files on a private one.
  mountpoint -q "$NS_DIR" || mount --bind "$NS_DIR" "$NS_DIR"
  mount --make-private "$NS_DIR"

  # A bind mount needs its mount point. Missing ones (/var/lib/libvirt, /var/lib/dvrlab…) are
  # made inside each host, on an overlay of the parent (host_init); only without overlayfs are
  # they made here, in the root namespace, and remembered for down.
  local b target
  for b in "${HOST_BINDS[@]}"; do
    target=${b#*:}
    if [[ ! -d $target ]] && ! grep -qw overlay /proc/filesystems; then
      mkdir -p "$target"
      echo "dir $target" >>"$CREATED"
    fi
  done
  # libvirtd in a host makes /machine in every hierarchy for its guests; if the machine had
  # none, down removes them again (only when empty).
  if ! grep -qs '^cgroup-machine$' "$CREATED" &&
    [[ -z $(find /dev/null $(findmnt -rn -t cgroup,cgroup2 -o TARGET) -maxdepth 1 -name machine -type d 2>/dev/null) ]]; then
    echo "cgroup-machine" >>"$CREATED"
  fi
  if [[ ! -d /run/netns ]]; then
    mkdir -p /run/netns
    echo "netns-dir /run/netns" >>"$CREATED"
  fi

  # libvirt 9 looks up its built-in qemu user before reading qemu.conf (Debian's
  # libvirt-daemon-system would create it; we do not install that package).
  getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
  getent passwd libvirt-qemu >/dev/null ||
    useradd --system --gid libvirt-qemu --no-create-home --home-dir /var/lib/libvirt \
      --shell /usr/sbin/nologin libvirt-qemu

  if ! ip link show dev "$UL_BR" >/dev/null 2>&1; then
    # Refuse a subnet that is already in use outside the lab.
    if ip -4 -o addr show | awk -v br="$UL_BR" '$2 != br {print $4}' | grep -q "^$UNDERLAY\."; then
      die "underlay $UNDERLAY.0/24 is already used on this machine; set DVRLAB_UNDERLAY"
    fi
    ip link add "$UL_BR" type bridge forward_delay 0 stp_state 0 mcast_snooping 0
    echo 1 >"/proc/sys/net/ipv6/conf/$UL_BR/disable_ipv6"
  fi
  # A fixed MAC (same scheme as the hosts' br-phy): a bridge without one takes the lowest of its
  # ports' MACs and changes it when a host's veth is re-created, and the other hosts' ARP entries
  # for the gateway then point nowhere until they expire (a host "unreachable" after another's rebuild).
  ip link set "$UL_BR" address "$(mac_of_ip "$UL_GW")"
  ip addr replace "$UL_GW/24" dev "$UL_BR"
  ip link set "$UL_BR" up
}

# ---------------------------------------------------------------------------------------------
# One host

# Is the host's skeleton (netns, veth, mount + UTS namespaces bound to this netns) intact?
host_infra_ok() {
  [[ -e /run/netns/$H_NETNS ]] || return 1
  ip -o link show dev "$H_VETH" 2>/dev/null | grep -q " master $UL_BR " || return 1
  [[ $(hx cat /run/dvrlab-host 2>/dev/null) == "$H $(ns_id "/run/netns/$H_NETNS")" ]]
}

write_host_files() {
  local d
  rm -rf "$H_FS"
  for d in "${HOST_BINDS[@]}"; do mkdir -p "$H_FS/${d%%:*}"; done
  mkdir -p "$H_DIR/keys" "$H_FS"/run/{openvswitch,libvirt,netns,sshd,lock,dnsmasq} \
    "$H_FS"/log/{openvswitch,libvirt/qemu} "$H_FS/var-cache-libvirt/qemu/capabilities" \
    "$H_FS/var-lib-libvirt/images"
  chmod 1777 "$H_FS/tmp" "$H_FS/run/lock"
  chmod 700 "$H_FS/root"

  # /etc/libvirt seeded from Debian's, plus what libvirt needs to run guests as root here.
  cp -a /etc/libvirt/. "$H_FS/etc-libvirt/"
  cat >"$H_FS/etc-libvirt/qemu.conf" <<'EOF'
# dvrlab lab host: guests run as root without a security driver (no udev, no AppArmor).
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
# A private /dev per guest buys nothing here and costs start-up time.
namespaces = [ ]
EOF
  cat >"$H_FS/etc-libvirt/libvirtd.conf" <<'EOF'
auth_unix_ro = "none"
auth_unix_rw = "none"
unix_sock_rw_perms = "0700"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
  echo 'log_outputs = "3:file:/var/log/libvirt/virtlogd.log"' >"$H_FS/etc-libvirt/virtlogd.conf"

  # A minimal root home: root's real ~/.bashrc on this machine runs heavy shell init.
  mkdir -m 700 "$H_FS/root/.ssh"
  cp "$SSH_KEY.pub" "$H_FS/root/.ssh/authorized_keys"
  chmod 600 "$H_FS/root/.ssh/authorized_keys"
  cat >"$H_FS/root/.bashrc" <<EOF
# dvrlab lab host $H: deliberately minimal.
export PATH=$HOST_PATH
[ -n "\$PS1" ] && PS1='\u@\h:\w\\$ '
EOF
  echo '. ~/.bashrc' >"$H_FS/root/.profile"
}

write_sshd_config() {
  [[ -f $H_DIR/keys/ssh_host_ed25519_key ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "root@$H" -f "$H_DIR/keys/ssh_host_ed25519_key"
  cat >"$H_DIR/sshd_config.new" <<EOF
# dvrlab lab host $H
ListenAddress $H_IP:22
HostKey $H_DIR/keys/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
# No PAM here (no systemd-logind, no pam_env): PATH comes from SetEnv below.
UsePAM no
SetEnv PATH=$HOST_PATH
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
# The provider may run many commands in parallel over one or several connections.
MaxSessions 64
MaxStartups 64:30:128
Subsystem sftp internal-sftp
# The post-quantum default KEX costs ~60 ms per connection here; lab traffic never leaves the machine.
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256
EOF
  # A changed config reaches a running sshd by SIGHUP (it re-executes itself).
  if cmp -s "$H_DIR/sshd_config.new" "$H_DIR/sshd_config"; then
    rm "$H_DIR/sshd_config.new"
  else
    mv "$H_DIR/sshd_config.new" "$H_DIR/sshd_config"
    local pid
    pid=$(pid_of_host_daemon /run/sshd.pid)
    [[ -z $pid ]] || kill -HUP "$pid"
  fi
}

# Create the netns, the underlay veth and the persistent mount + UTS namespaces.
build_host_infra() {
  ip netns add "$H_NETNS"
  ip link add "$H_VETH" type veth peer name eth0 netns "$H_NETNS"
  echo 1 >"/proc/sys/net/ipv6/conf/$H_VETH/disable_ipv6"
  # The userspace datapath reads these veths with AF_PACKET: no checksum offload, else
  # packets leave with unfinished checksums.
  ethtool -K "$H_VETH" tx off >/dev/null
  ip link set "$H_VETH" master "$UL_BR" up
  nsenter --net=/run/netns/"$H_NETNS" -- sh -ec '
    echo 1 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6
    ethtool -K eth0 tx off >/dev/null
    ip link set lo up
    ip link set eth0 up'

  write_host_files
  : >"$H_MNT"
  : >"$H_UTS"
  unshare --mount="$H_MNT" --uts="$H_UTS" --propagation slave -- \
    nsenter --net=/run/netns/"$H_NETNS" -- bash "$LAB_REPO/lab/lab.sh" _host-init "$H"
}

# Runs inside the new mount + UTS namespaces, in the host's netns.
host_init() {
  host_vars "$1"
  hostname "$H"
  local netid b src target fstype opts
  netid=$(ns_id /proc/self/ns/net)
  # Copies of mounts that would pin other namespaces alive: other hosts' ns files and the
  # root's /run/netns entries (the host gets its own /run/netns below).
  mountpoint -q "$NS_DIR" && umount -l "$NS_DIR"
  mountpoint -q /run/netns && umount -l /run/netns
  # The cgroup mounts as the machine has them (v1, v2 or hybrid), read before the fresh
  # sysfs below hides them.
  local cgroups
  cgroups=$(findmnt -rn -o SOURCE,TARGET,FSTYPE,OPTIONS | awk '$2 ~ "^/sys/fs/cgroup(/|$)"')
  # Missing mount points: an overlay on the nearest existing parent, upper layer per host, so
  # the root filesystem is not touched. All overlays before any bind (an overlay would hide
  # binds below it).
  local parent key
  for b in "${HOST_BINDS[@]}"; do
    target=${b#*:}
    [[ ! -d $target ]] || continue
    parent=$(dirname "$target")
    while [[ ! -d $parent ]]; do parent=$(dirname "$parent"); done
    key=${parent//\//_}
    if [[ ! -d $H_FS/.overlay/$key ]]; then
      mkdir -p "$H_FS/.overlay/$key/upper" "$H_FS/.overlay/$key/work"
      mount -t overlay overlay \
        -o "lowerdir=$parent,upperdir=$H_FS/.overlay/$key/upper,workdir=$H_FS/.overlay/$key/work" "$parent"
    fi
    mkdir -p "$target"
  done
  for b in "${HOST_BINDS[@]}"; do mount --bind "$H_FS/${b%%:*}" "${b#*:}"; done
  # A sysfs of this netns, so /sys/class/net shows the host's own devices. (The old /sys and
  # its cgroup mounts go first so they do not linger, hidden, in this namespace.)
  umount -l /sys
  mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
  while read -r src target fstype opts; do
    [[ -n $target ]] || continue
    mkdir -p "$target"
    mount -t "$fstype" -o "$opts" "$src" "$target"
  done <<<"$cgroups"
  echo "$H $netid" >/run/dvrlab-host
}

start_ovs() {
  local log=/var/log/openvswitch
  if [[ -z $(pid_of_host_daemon /run/openvswitch/ovsdb-server.pid) ]]; then
    [[ -s $H_FS/etc-openvswitch/conf.db ]] ||
      hx ovsdb-tool create /etc/openvswitch/conf.db /usr/share/openvswitch/vswitch.ovsschema
    hx ovsdb-server /etc/openvswitch/conf.db \
      --remote=punix:/run/openvswitch/db.sock --remote=db:Open_vSwitch,Open_vSwitch,manager_options \
      --pidfile=/run/openvswitch/ovsdb-server.pid --detach --no-chdir \
      --log-file=$log/ovsdb-server.log -vconsole:off </dev/null
  fi
  # One handler and one revalidator thread: the defaults scale with cores and cost RSS/CPU.
  hx ovs-vsctl --no-wait -- init -- set Open_vSwitch . \
    other_config:n-handler-threads=1 other_config:n-revalidator-threads=1 \
    external_ids:hostname="$H" external_ids:system-id="$H"
  if [[ -z $(pid_of_host_daemon /run/openvswitch/ovs-vswitchd.pid) ]]; then
    hx ovs-vswitchd unix:/run/openvswitch/db.sock \
      --pidfile=/run/openvswitch/ovs-vswitchd.pid --detach --no-chdir \
      --log-file=$log/ovs-vswitchd.log -vconsole:off </dev/null
  fi
  # OVS native tunnelling routes the tunnel endpoint through an OVS bridge: br-phy owns the
  # underlay veth and carries the host's address on its internal port.
  # br-phy's MAC is derived from the host's address, as stable as a real NIC's: a rebuilt host
  # is then reachable at once by peers (and the root namespace) that still cache its old entry.
  local mac
  mac=$(mac_of_ip "$H_IP")
  hx ovs-vsctl --timeout=10 \
    -- --may-exist add-br br-phy \
    -- set Bridge br-phy datapath_type=netdev other-config:hwaddr="\"$mac\"" \
    -- --may-exist add-port br-phy eth0
  hx sh -ec "
    echo 1 >/proc/sys/net/ipv6/conf/br-phy/disable_ipv6
    ip addr replace $H_IP/24 dev br-phy
    ip link set br-phy up"
}

start_libvirt() {
  if [[ -z $(pid_of_host_daemon /run/libvirt/virtlogd.pid) ]]; then
    hx virtlogd -d -p /run/libvirt/virtlogd.pid </dev/null
  fi
  if [[ -z $(pid_of_host_daemon /run/libvirt/libvirtd.pid) ]]; then
    # libvirtd probes qemu (~8 s) the first time it needs capabilities (the first define);
    # a seeded cache makes that instant. libvirt re-probes by itself when qemu or libvirt
    # changed (the cache records their ctimes). On a cold cache the first host probes
    # once and the others wait for its result.
    if [[ $H != "${LAB_HOSTS[0]}" ]]; then
      wait_for "the qemu capabilities cache" 120 compgen -G "$CAPS_SEED/*.xml"
    fi
    cp "$CAPS_SEED"/*.xml "$H_FS/var-cache-libvirt/qemu/capabilities/" 2>/dev/null || true
    hx libvirtd -d -p /run/libvirt/libvirtd.pid </dev/null
  fi
  wait_for "libvirtd" 60 hx virsh -c qemu:///system list --name
  if [[ $H == "${LAB_HOSTS[0]}" ]] && ! compgen -G "$CAPS_SEED/*.xml" >/dev/null; then
    hx virsh -c qemu:///system capabilities >/dev/null
    mkdir -p "$CAPS_SEED.tmp"
    cp "$H_FS/var-cache-libvirt/qemu/capabilities/"*.xml "$CAPS_SEED.tmp/"
    rm -rf "$CAPS_SEED"
    mv "$CAPS_SEED.tmp" "$CAPS_SEED"
  fi
}

start_sshd() {
  write_sshd_config
  if [[ -z $(pid_of_host_daemon /run/sshd.pid) ]]; then
    hx /usr/sbin/sshd -f "$H_DIR/sshd_config" -E /var/log/sshd.log </dev/null
  fi
  ip -o route get "$H_IP" | grep -q " dev $UL_BR " || die "$H_IP is not routed through $UL_BR"
  wait_for "sshd on $H_IP:22" 10 timeout 1 bash -c "</dev/tcp/$H_IP/22"
}

host_up() {
  host_vars "$1"
  if ! host_infra_ok; then
    host_down "$H"
    build_host_infra
  fi
  start_ovs
  start_libvirt
  start_sshd
  # A restarted ovs-vswitchd re-creates br-phy's port: the host answers on the underlay a moment later.
  wait_for "$H_IP on the underlay" 10 ping -n -q -c1 -W1 -I "$UL_BR" "$H_IP"
}

# remove_cgroups /machine/X.libvirt-qemu…: remove those cgroups (and their vcpu/emulator
# children) in every mounted hierarchy. A cgroup is removable only once its killed processes
# are fully gone: retry briefly.
remove_cgroups() {
  local rel root try
  for rel in "$@"; do
    for root in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
      [[ -d $root$rel ]] || continue
      for try in 1 2 3 4 5 6 7 8 9 10; do
        find "$root$rel" -depth -type d -exec rmdir {} + 2>/dev/null || true
        [[ -d $root$rel ]] || break
        sleep 0.05
      done
      [[ ! -d $root$rel ]] || log "$H: could not remove cgroup $root$rel"
    done
  done
}

# Remove host H entirely; safe on a half-built or crashed host.
host_down() {
  host_vars "$1"
  local mnt uts net pids sig deadline
  mnt=$(ns_id "$H_MNT")
  uts=$(ns_id "$H_UTS")
  net=$(ns_id "/run/netns/$H_NETNS")
  for id in "$mnt" "$uts" "$net"; do
    [[ -z $id ]] || [[ $id != "$(readlink /proc/$$/ns/"${id%%:*}")" ]] ||
      die "refusing to tear down $H from inside it"
  done
  # Guests' cgroups (libvirt removes them when it stops a domain; we kill instead). The lab's
  # hosts share the machine's cgroup tree.
  local cgroups
  cgroups=$(for pid in $(lab_pids "$mnt" "$uts" "$net"); do
    sed -n 's#^[0-9]*:[^:]*:\(/machine/[^/]*\.libvirt-qemu\)\(/.*\)\{0,1\}$#\1#p' "/proc/$pid/cgroup" 2>/dev/null
  done | sort -u)
  # Nothing of the host needs a clean shutdown (its state is discarded), and libvirtd takes
  # ~4 s to exit on SIGTERM: TERM, a short grace, then KILL.
  for sig in TERM KILL; do
    deadline=$(($(now_ms) + 1000))
    while pids=$(lab_pids "$mnt" "$uts" "$net") && [[ -n $pids ]]; do
      # shellcheck disable=SC2086
      kill -s "$sig" $pids 2>/dev/null || true
      (($(now_ms) < deadline)) || break
      sleep 0.05
    done
  done
  pids=$(lab_pids "$mnt" "$uts" "$net")
  [[ -z $pids ]] || die "$H: processes survived SIGKILL: $pids"
  remove_cgroups $cgroups
  local f
  for f in "$H_MNT" "$H_UTS"; do
    while mountpoint -q "$f" 2>/dev/null || [[ -n $(ns_id "$f") ]]; do umount "$f" || break; done
    rm -f "$f"
  done
  # (The kernel may be removing the veth by itself as the host's netns goes: not found is fine.)
  if [[ -e /run/netns/$H_NETNS ]]; then ip netns del "$H_NETNS"; fi
  ip link del "$H_VETH" 2>/dev/null || ! ip link show dev "$H_VETH" >/dev/null 2>&1 ||
    die "$H: cannot delete $H_VETH"
  rm -rf "$H_FS" "$H_DIR/sshd_config"
}

# Run FUNC for every host in parallel; print each failing host's output.
for_hosts() {
  local fn=$1 h pids=() rc=0 i=0
  for h in "${LAB_HOSTS[@]}"; do
    mkdir -p "$LAB_DIR/hosts/$h"
    ("$fn" "$h") >"$LAB_DIR/hosts/$h/$fn.log" 2>&1 &
    pids+=($!)
  done
  for h in "${LAB_HOSTS[@]}"; do
    if ! wait "${pids[$i]}"; then
      rc=1
      log "$h: $fn failed:"
      sed 's/^/  /' "$LAB_DIR/hosts/$h/$fn.log" >&2
    fi
    rm -f "$LAB_DIR/hosts/$h/$fn.log"
    i=$((i + 1))
  done
  return $rc
}

write_known_hosts() {
  local h tmp=$KNOWN_HOSTS.new
  : >"$tmp"
  for h in "${LAB_HOSTS[@]}"; do
    host_vars "$h"
    echo "$H_IP $(cut -d' ' -f1,2 "$H_DIR/keys/ssh_host_ed25519_key.pub")" >>"$tmp"
  done
  mv "$tmp" "$KNOWN_HOSTS"
}

cmd_up() {
  local t0
  t0=$(now_ms)
  ensure_root
  for_hosts host_up || die "up failed (run 'lab.sh down' to clean up, or 'lab.sh up' to retry)"
  write_known_hosts
  log "up in $(($(now_ms) - t0)) ms: $(for h in "${LAB_HOSTS[@]}"; do host_vars "$h"; printf '%s=%s ' "$H" "$H_IP"; done)"
}

cmd_down() {
  local t0 rc=0 kind path
  t0=$(now_ms)
  [[ -d $LAB_DIR ]] || mkdir -p "$LAB_DIR"
  for_hosts host_down || rc=1
  if ip link show dev "$UL_BR" >/dev/null 2>&1; then ip link del "$UL_BR"; fi
  while mountpoint -q "$NS_DIR" 2>/dev/null; do umount "$NS_DIR"; done
  rm -rf "$NS_DIR"
  if [[ -f $CREATED && $rc == 0 ]]; then
    # Undo what ensure_root had to create, newest first, only while it is still empty.
    while read -r kind path; do
      case $kind in
        cgroup-machine)
          # Other labs' guests may still be there: rmdir only removes empty ones.
          for path in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
            [[ ! -d $path/machine ]] || rmdir "$path/machine" 2>/dev/null || true
          done
          ;;
        dir)
          # Another lab (other DVRLAB_PREFIX) may still have a host mount there; removing
          # the directory would silently detach that mount.
          if grep -qs " $path " /proc/[0-9]*/mountinfo; then
            log "left $path (another lab's host still mounts it)"
          elif [[ -d $path ]]; then
            rmdir "$path" 2>/dev/null || log "left $path (not empty)"
          fi
          ;;
        netns-dir)
          if [[ -z $(ls -A "$path" 2>/dev/null) ]]; then
            while mountpoint -q "$path"; do umount "$path"; done
            rmdir "$path"
          fi
          ;;
      esac
    done < <(tac "$CREATED")
    rm -f "$CREATED"
  fi
  ((rc == 0)) || die "down incomplete (see above); run it again"
  rm -f "$LAB_DIR/lock" # still held by us: a waiting up/down then proceeds on the unlinked file
  rmdir "$LAB_DIR"/hosts/* "$LAB_DIR/hosts" "$LAB_DIR" 2>/dev/null || true # only if empty
  log "down in $(($(now_ms) - t0)) ms"
}

# ---------------------------------------------------------------------------------------------
# Status

# One JSON object describing host $1 (collected inside the host in one nsenter).
host_status_json() {
  host_vars "$1"
  local daemons="{}" name pidfile pid infra=false inside="{}" ping_ms="" ssh=false
  for name in ovsdb-server:/run/openvswitch/ovsdb-server.pid ovs-vswitchd:/run/openvswitch/ovs-vswitchd.pid \
    libvirtd:/run/libvirt/libvirtd.pid virtlogd:/run/libvirt/virtlogd.pid sshd:/run/sshd.pid; do
    pidfile=${name#*:}
    pid=$(pid_of_host_daemon "$pidfile" 2>/dev/null || true)
    daemons=$(jq -c --arg n "${name%%:*}" --arg p "$pid" '. + {($n): (if $p == "" then null else ($p|tonumber) end)}' <<<"$daemons")
  done
  if host_infra_ok 2>/dev/null; then
    infra=true
    inside=$(hx timeout 10 bash -c '
      bridges=$(for b in $(timeout 3 ovs-vsctl --timeout=2 list-br 2>/dev/null); do
        dp=$(ovs-vsctl --timeout=2 get Bridge "$b" datapath_type)
        flows=$(ovs-ofctl dump-aggregate "$b" 2>/dev/null | sed -n "s/.*flow_count=\([0-9]*\).*/\1/p")
        ports=$(ovs-vsctl --timeout=2 list-ports "$b" | jq -R . | jq -sc .)
        jq -nc --arg b "$b" --arg dp "${dp//\"/}" --arg f "${flows:-}" --argjson p "$ports" \
          "{name:\$b, datapath:(if \$dp == \"\" then \"system\" else \$dp end), ports:\$p, flows:(if \$f == \"\" then null else (\$f|tonumber) end)}"
      done | jq -sc .)
      domains=$(timeout 5 virsh -q -c qemu:///system list --all 2>/dev/null |
        awk "NF { n=\$2; \$1=\"\"; \$2=\"\"; sub(/^ +/, \"\"); print n \"\t\" \$0 }" |
        jq -Rc "split(\"\t\") | {name: .[0], state: .[1]}" | jq -sc .)
      netns=$(ip netns list | cut -d" " -f1 | jq -R . | jq -sc .)
      jq -nc --argjson b "${bridges:-[]}" --argjson d "${domains:-[]}" --argjson n "${netns:-[]}" \
        "{bridges:\$b, domains:\$d, netns:\$n}"' 2>/dev/null) || inside='{}'
  fi
  # Probe only through the lab's own bridge: without it the address would be routed off the
  # machine.
  if ip -o route get "$H_IP" 2>/dev/null | grep -q " dev $UL_BR "; then
    ping_ms=$(ping -n -c1 -W1 -I "$UL_BR" "$H_IP" 2>/dev/null | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' || true)
    timeout 1 bash -c "</dev/tcp/$H_IP/22" 2>/dev/null && ssh=true
  fi
  jq -nc --arg h "$H" --arg ip "$H_IP" --arg ns "$H_NETNS" --argjson infra "$infra" \
    --argjson d "$daemons" --arg ping "$ping_ms" --argjson ssh "$ssh" --argjson in "$inside" '
    {host:$h, ip:$ip, netns:$ns, namespaces_ok:$infra, daemons:$d,
     ping_ms:(if $ping == "" then null else ($ping|tonumber) end), ssh_port:$ssh,
     bridges:($in.bridges // []), domains:($in.domains // []), host_netns:($in.netns // [])}
    | .healthy = (.namespaces_ok and ([.daemons[]] | all(. != null)) and .ping_ms != null and .ssh_port)'
}

cmd_status() {
  local json=false h out
  [[ ${1:-} == --json ]] && json=true
  local tmp
  tmp=$(mktemp -d /tmp/dvrlab-status.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  for h in "${LAB_HOSTS[@]}"; do host_status_json "$h" >"$tmp/$h" 2>/dev/null & done
  wait
  out=$(for h in "${LAB_HOSTS[@]}"; do cat "$tmp/$h"; done |
    jq -sc --arg ul "$UL_BR" --arg gw "$UL_GW" --argjson n ${#LAB_HOSTS[@]} '{underlay:{bridge:$ul, gateway:$gw}, hosts:.}
      | if (.hosts | length) != $n then error("status of a host failed") else . end')
  if $json; then
    jq . <<<"$out"
  else
    jq -r '
      def mark(p): if p == null then "-" else "up" end;
      (["HOST", "ADDRESS", "PING", "OVSDB", "VSWITCHD", "LIBVIRTD", "VIRTLOGD", "SSHD", "BRIDGES [ports/flows]", "DOMAINS", "NETNS"] | @tsv),
      (.hosts[] | [
        .host, .ip,
        (if .ping_ms == null then "FAIL" else "\(.ping_ms)ms" end),
        mark(.daemons["ovsdb-server"]), mark(.daemons["ovs-vswitchd"]), mark(.daemons.libvirtd),
        mark(.daemons.virtlogd), (if .daemons.sshd == null then "-" elif .ssh_port then "up" else "noport" end),
        ([.bridges[] | "\(.name)[\(.ports | length)/\(.flows // "?")]"] | join(" ") | if . == "" then "-" else . end),
        ([.domains[] | "\(.name)(\(.state))"] | join(" ") | if . == "" then "-" else . end),
        (.host_netns | length | tostring)
      ] | @tsv)' <<<"$out" | column -t -s $'\t'
    jq -r '"underlay \(.underlay.bridge) \(.underlay.gateway)/24; " +
      (if all(.hosts[]; .healthy) then "all hosts healthy" else "NOT healthy: " + ([.hosts[] | select(.healthy | not) | .host] | join(", ")) end)' <<<"$out"
  fi
  jq -e 'all(.hosts[]; .healthy)' <<<"$out" >/dev/null
}

cmd_ssh() {
  host_vars "${1:?usage: lab.sh ssh HOST [CMD…]}"
  shift
  exec ssh -F /dev/null -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -i "$SSH_KEY" "root@$H_IP" "$@"
}

[[ $EUID == 0 ]] || die "must run as root"
case ${1:-} in
  up | down)
    mkdir -p "$LAB_DIR"
    exec 9>"$LAB_DIR/lock"
    flock -w 300 9 || die "another lab.sh up/down holds $LAB_DIR/lock"
    "cmd_$1"
    ;;
  status) cmd_status "${2:-}" ;;
  ssh) shift; cmd_ssh "$@" ;;
  _host-init) host_init "$2" ;;
  *) sed -n '2,8s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
