#!/usr/bin/env bash
# dvrlab's lab: three simulated hosts on one machine (see lab/README.md).
#
#   lab.sh up [OPTIONS]       build what is missing (idempotent; repairs half-built hosts)
#   lab.sh down               remove every namespace, link, mount, process and run file of the lab
#   lab.sh status [--json]    one row per host; exit 0 only when every host is healthy
#   lab.sh ssh HOST [CMD…]    ssh into a host the way the provider does (HOST may be bastion)
#   lab.sh restart-ovs HOST   restart a host's OVS on its database: bridges stay, flows are gone
#
# OPTIONS make hosts look like real servers (lab/README.md, "Options"), also read from
# $DVRLAB_LAB_OPTIONS; [HOSTS:] limits one to some hosts (server-64,server-68:debian):
#   --user [HOSTS:]NAME  --sudo-password-user [HOSTS:]NAME  --forward-drop[=HOSTS]
#   --existing-br-int[=HOSTS]  --broken [HOSTS:]PATH  --underlay-mtu [HOSTS:]MTU  --bastion[=HOSTS]
set -euo pipefail
# shellcheck source=lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

log() { echo "lab: $*" >&2; }
now_ms() { date +%s%3N; }

SSH_KEY=$LAB_DIR/ssh/id_ed25519
BASTION_KEY=$LAB_DIR/ssh/bastion_ed25519 # the bastion user's key (--bastion), kept like SSH_KEY
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
  for fd in "/proc/$BASHPID/fd/"*; do
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
# Options of `up`: what makes a host look like a real server (lab/README.md, "Options").
#
# Each applies to every host, or to some: "--user server-64,server-68:debian",
# "--forward-drop=server-64". A host's options are its initial state: they are applied when the
# host is built and recorded in hosts/H/options.json (status, ssh and restart-ovs read them). An
# `up` whose options differ from a host's record rebuilds that host, so `up` always leaves the
# lab with exactly the options it was given (none: the plain lab).

declare -A OPT_USER=() OPT_PWUSER=() OPT_FWDROP=() OPT_BRINT=() OPT_BROKEN=() OPT_MTU=() OPT_BASTION=()
BROKEN_MSG='broken on this lab host (lab.sh up --broken)'
# What a host of the pre-made br-int (--existing-br-int) carries, as a Neutron node's does.
BRINT_PORT=foreign0
BRINT_FLOW="cookie=0xf00d,table=0,priority=2,in_port=$BRINT_PORT,actions=drop"

usage_opts() {
  die "unknown option '$1'. Options of up ([HOSTS:] = some hosts, e.g. server-64,server-68:):
  --user [HOSTS:]NAME                 non-root SSH user with passwordless sudo; PermitRootLogin no
  --sudo-password-user [HOSTS:]NAME   non-root SSH user whose sudo asks for a password
  --forward-drop[=HOSTS]              iptables FORWARD policy DROP
  --existing-br-int[=HOSTS]           a pre-made br-int with a foreign port and flow
  --broken [HOSTS:]PATH               PATH replaced by a stub that exits 127
  --underlay-mtu [HOSTS:]MTU          MTU of the host's underlay (eth0, br-phy, root-side veth)
  --bastion[=HOSTS]                   SSH to these hosts only through the bastion ($UNDERLAY.$BASTION_OCTET)"
}

# host_list LIST: the hosts of a comma-separated list (each must be a lab host) into SCOPE.
host_list() {
  local h
  SCOPE=()
  IFS=, read -ra SCOPE <<<"$1"
  ((${#SCOPE[@]})) || die "empty host list in '$2'"
  for h in "${SCOPE[@]}"; do
    case " ${LAB_HOSTS[*]} " in *" $h "*) ;; *) die "$2: unknown host '$h' (hosts: ${LAB_HOSTS[*]})" ;; esac
  done
}

# scoped OPTION SPEC: "[HOST[,HOST…]:]VALUE" into SCOPE (hosts; all when none given) and VALUE.
# A value starting with / (a path) has no host part unless one comes first.
scoped() {
  local opt=$1 spec=$2
  SCOPE=("${LAB_HOSTS[@]}")
  VALUE=$spec
  if [[ $spec == *:* && $spec != /* ]]; then
    host_list "${spec%%:*}" "$opt $spec"
    VALUE=${spec#*:}
  fi
  [[ -n $VALUE ]] || die "$opt $spec: no value"
}

# system_user NAME: is NAME an account of this machine below uid 1000 (root, sshd, nobody…)? A
# regular user of the machine with that name (a cloud image's debian or admin) is replaced
# inside the hosts instead (write_users).
system_user() {
  local uid
  uid=$(getent passwd "$1" | cut -d: -f3)
  [[ -n $uid ]] && ((uid < 1000 || uid == 65534))
}

parse_opts() {
  local arg name val has h
  while (($#)); do
    arg=$1
    shift
    name=${arg%%=*} val='' has=false
    if [[ $arg == *=* ]]; then val=${arg#*=} has=true; fi
    case $name in
      --user | --sudo-password-user | --broken | --underlay-mtu)
        if ! $has; then
          (($#)) || die "$name needs a value"
          val=$1
          shift
        fi
        scoped "$name" "$val"
        case $name in
          --user | --sudo-password-user)
            [[ $VALUE =~ ^[a-z_][a-z0-9_-]{0,30}$ ]] || die "$name $val: a user name is [a-z_][a-z0-9_-]{0,30}"
            [[ $VALUE != "$BASTION_USER" ]] || die "$name $val: '$BASTION_USER' is the bastion's user"
            system_user "$VALUE" && die "$name $val: '$VALUE' is a system user of this machine"
            ;;
          --broken)
            [[ $VALUE == /* && -f $VALUE ]] || die "$name $val: not an absolute path to a file on this machine"
            ;;
          --underlay-mtu)
            if ! [[ $VALUE =~ ^[0-9]{3,4}$ ]] || ((VALUE < 576 || VALUE > 9000)); then die "$name $val: an MTU is 576..9000"; fi
            ;;
        esac
        for h in "${SCOPE[@]}"; do
          case $name in
            --user) OPT_USER[$h]=$VALUE ;;
            --sudo-password-user) OPT_PWUSER[$h]=$VALUE ;;
            --broken) OPT_BROKEN[$h]+="$VALUE"$'\n' ;;
            --underlay-mtu) OPT_MTU[$h]=$VALUE ;;
          esac
        done
        ;;
      --forward-drop | --existing-br-int | --bastion)
        [[ $name != --bastion ]] || ! system_user "$BASTION_USER" || die "$arg: '$BASTION_USER' is a system user of this machine"
        if $has; then host_list "$val" "$arg"; else SCOPE=("${LAB_HOSTS[@]}"); fi
        for h in "${SCOPE[@]}"; do
          case $name in
            --forward-drop) OPT_FWDROP[$h]=1 ;;
            --existing-br-int) OPT_BRINT[$h]=1 ;;
            --bastion) OPT_BASTION[$h]=1 ;;
          esac
        done
        ;;
      *) usage_opts "$arg" ;;
    esac
  done
  for h in "${LAB_HOSTS[@]}"; do
    [[ -z ${OPT_USER[$h]:-} || ${OPT_USER[$h]} != "${OPT_PWUSER[$h]:-}" ]] ||
      die "$h: --user and --sudo-password-user name the same user '${OPT_USER[$h]}'"
  done
  if ((${#OPT_USER[@]} + ${#OPT_PWUSER[@]})); then
    if ! command -v sudo >/dev/null || [[ ! -d /etc/sudoers.d ]]; then
      die "--user/--sudo-password-user need sudo on this machine (lab/packages.txt: npm run setup)"
    fi
  fi
  # Hosts with users (and the bastion) have their own /home: the lab's files must not be there
  # (a checkout under /home keeps its default .lab in /var/tmp: lib.sh).
  if ((${#OPT_USER[@]} + ${#OPT_PWUSER[@]} + ${#OPT_BASTION[@]})); then
    case $LAB_DIR/ in
      /home/*) die "with --user, --sudo-password-user or --bastion, DVRLAB_LAB_DIR ($LAB_DIR) must not be under /home (those hosts have their own)" ;;
    esac
  fi
}

# opts_json H: host H's wanted options as canonical JSON ({} for none).
opts_json() {
  local h=$1
  jq -cnS --arg user "${OPT_USER[$h]:-}" --arg pw "${OPT_PWUSER[$h]:-}" --arg fwd "${OPT_FWDROP[$h]:-}" \
    --arg brint "${OPT_BRINT[$h]:-}" --arg broken "${OPT_BROKEN[$h]:-}" --arg mtu "${OPT_MTU[$h]:-}" \
    --arg bastion "${OPT_BASTION[$h]:-}" '
    {} + (if $user != "" then {user: $user} else {} end)
       + (if $pw != "" then {sudoPasswordUser: $pw} else {} end)
       + (if $fwd != "" then {forwardDrop: true} else {} end)
       + (if $brint != "" then {existingBrInt: true} else {} end)
       + (if $broken != "" then {broken: ($broken | split("\n") | map(select(. != "")) | unique)} else {} end)
       + (if $mtu != "" then {underlayMtu: ($mtu | tonumber)} else {} end)
       + (if $bastion != "" then {bastion: true} else {} end)'
}

# recorded_opts H: the options host H was built with ({} for none, or a host not built).
recorded_opts() {
  local f=$LAB_DIR/hosts/$1/options.json
  if [[ -s $f ]]; then jq -cS . "$f"; else echo '{}'; fi
}

# set_opts JSON: the O_* variables of one host from its options.
set_opts() {
  O_USER='' O_PWUSER='' O_FWDROP='' O_BRINT='' O_MTU='' O_BASTION='' O_BROKEN=()
  [[ $1 != '{}' ]] || return 0
  eval "$(jq -r '@sh "O_USER=\(.user // "") O_PWUSER=\(.sudoPasswordUser // "") O_FWDROP=\(.forwardDrop // "")
    O_BRINT=\(.existingBrInt // "") O_MTU=\(.underlayMtu // "") O_BASTION=\(.bastion // "") O_BROKEN=(\(.broken // []))"' <<<"$1")"
}

# Is anything of the bastion there (a plain lab's up and down skip it)?
bastion_exists() {
  [[ -e /run/netns/$PFX$BASTION || -e $NS_DIR/$BASTION.mnt || -e $NS_DIR/$BASTION.uts || -d $LAB_DIR/hosts/$BASTION/fs ]] ||
    ip link show dev "$PFX"u$BASTION_OCTET >/dev/null 2>&1
}

# Is any host (recorded) behind the bastion?
bastion_recorded() {
  local h
  for h in "${LAB_HOSTS[@]}"; do
    [[ $(recorded_opts "$h") != *'"bastion":true'* ]] || return 0
  done
  return 1
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
  local hierarchies
  mapfile -t hierarchies < <(findmnt -rn -t cgroup,cgroup2 -o TARGET)
  if ! grep -qs '^cgroup-machine$' "$CREATED" &&
    [[ -z $(find /dev/null "${hierarchies[@]}" -maxdepth 1 -name machine -type d 2>/dev/null) ]]; then
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

# free_id [TAKEN…]: the first id >= 1000 that is neither a uid nor a gid on this machine (nor TAKEN).
free_id() {
  local id=1000
  while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null || [[ " $* " == *" $id "* ]]; do
    id=$((id + 1))
  done
  echo "$id"
}

# drop_member NAME FILE FIELD…: NAME out of the comma-separated member lists in those fields.
drop_member() {
  local n=$1 f=$2 tmp
  shift 2
  tmp=$(awk -F: -v OFS=: -v n="$n" -v fields="$*" '
    BEGIN { split(fields, fs, " ") }
    { for (k in fs) { c = split($fs[k], a, ","); o = ""
        for (i = 1; i <= c; i++) if (a[i] != n) o = o (o == "" ? "" : ",") a[i]
        $fs[k] = o }
      print }' "$f")
  printf '%s\n' "$tmp" >"$f" # in place: keeps the file's owner and mode
}

# write_users "NAME KIND PUBKEY"…: the host's own /etc/passwd, group, shadow, gshadow (the
# machine's, with these users added), /etc/hosts (with the host's name), /etc/sudoers (Debian
# 12's) and /etc/sudoers.d (ours only: the machine's sudo rules do not reach the hosts), and
# /home with the users' homes, PUBKEY authorised; all bound in the host's mount namespace, the
# machine's own files are not touched. KIND: nopasswd = passwordless sudo (as cloud images set up
# their default user), password = in the sudo group (as Debian's installer does: sudo asks for the
# password, and none is set), plain = no sudo.
write_users() {
  local spec name kind pub id ids=() day
  day=$(($(date +%s) / 86400))
  mkdir -p "$H_FS/etc" "$H_FS/home" "$H_FS/etc-sudoers.d"
  cp -a /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/hosts "$H_FS/etc/"
  # As Debian's installer writes it; without it sudo warns, after a DNS lookup, on every call.
  printf '127.0.1.1\t%s\n' "$H" >>"$H_FS/etc/hosts"
  cat >"$H_FS/etc/sudoers" <<'EOF'
# Debian 12's /etc/sudoers (dvrlab lab host)
Defaults	env_reset
Defaults	mail_badpass
Defaults	secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Defaults	use_pty
root	ALL=(ALL:ALL) ALL
%sudo	ALL=(ALL:ALL) ALL
@includedir /etc/sudoers.d
EOF
  chmod 0440 "$H_FS/etc/sudoers"
  for spec in "$@"; do
    read -r name kind pub <<<"$spec"
    # A machine's user of that name exists here only as ours (names are [a-z0-9_-]: safe in sed).
    sed -i "/^$name:/d" "$H_FS/etc/passwd" "$H_FS/etc/shadow" "$H_FS/etc/group" "$H_FS/etc/gshadow"
    drop_member "$name" "$H_FS/etc/group" 4
    drop_member "$name" "$H_FS/etc/gshadow" 3 4
    id=$(free_id "${ids[@]}")
    ids+=("$id")
    echo "$name:x:$id:$id::/home/$name:/bin/bash" >>"$H_FS/etc/passwd"
    echo "$name:x:$id:" >>"$H_FS/etc/group"
    # '*': no password, but not locked ('!' would make sshd refuse the key too).
    echo "$name:*:$day:0:99999:7:::" >>"$H_FS/etc/shadow"
    echo "$name:!::" >>"$H_FS/etc/gshadow"
    case $kind in
      nopasswd) echo "$name ALL=(ALL:ALL) NOPASSWD:ALL" >>"$H_FS/etc-sudoers.d/90-dvrlab-lab" ;;
      password) sed -i "/^sudo:/{s/:\$/:$name/;t;s/\$/,$name/}" "$H_FS/etc/group" "$H_FS/etc/gshadow" ;;
    esac
    if [[ -d /etc/skel ]]; then cp -a /etc/skel "$H_FS/home/$name"; else mkdir "$H_FS/home/$name"; fi
    mkdir -p "$H_FS/home/$name/.ssh"
    cp "$pub" "$H_FS/home/$name/.ssh/authorized_keys"
    chown -R "$id:$id" "$H_FS/home/$name"
    chmod 700 "$H_FS/home/$name" "$H_FS/home/$name/.ssh"
    chmod 600 "$H_FS/home/$name/.ssh/authorized_keys"
  done
  [[ ! -f $H_FS/etc-sudoers.d/90-dvrlab-lab ]] || chmod 0440 "$H_FS/etc-sudoers.d/90-dvrlab-lab"
}

# host_binds: what host_init binds inside host $H, one "dir|file<TAB>SOURCE<TAB>MOUNT POINT" a line.
host_binds() {
  local b p binds=("${HOST_BINDS[@]}")
  [[ $H != "$BASTION" ]] || binds=(run:/run log:/var/log root:/root tmp:/tmp)
  if [[ -d $H_FS/etc ]]; then
    binds+=(home:/home etc-sudoers.d:/etc/sudoers.d)
    for p in passwd group shadow gshadow hosts sudoers; do printf 'file\t%s\t%s\n' "$H_FS/etc/$p" "/etc/$p"; done
  fi
  for b in "${binds[@]}"; do printf 'dir\t%s\t%s\n' "$H_FS/${b%%:*}" "${b#*:}"; done
  # The file the path resolves to (a bind mount follows symlinks): every name of it breaks.
  for p in "${O_BROKEN[@]}"; do printf 'file\t%s\t%s\n' "$H_FS/broken-stub" "$(realpath "$p")"; done
}

write_host_files() {
  local d
  rm -rf "$H_FS"
  if [[ $H == "$BASTION" ]]; then
    mkdir -p "$H_DIR/keys" "$H_FS"/{run/sshd,log,root,tmp}
    chmod 1777 "$H_FS/tmp"
    chmod 700 "$H_FS/root"
    write_users "$BASTION_USER plain $BASTION_KEY.pub"
    host_binds >"$H_FS/binds"
    return
  fi
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

  local users=()
  [[ -z $O_USER ]] || users+=("$O_USER nopasswd $SSH_KEY.pub")
  [[ -z $O_PWUSER ]] || users+=("$O_PWUSER password $SSH_KEY.pub")
  ((${#users[@]} == 0)) || write_users "${users[@]}"
  if ((${#O_BROKEN[@]})); then
    # shellcheck disable=SC2016 # $0 is the stub's own
    printf '#!/bin/sh\necho "$0: %s" >&2\nexit 127\n' "$BROKEN_MSG" >"$H_FS/broken-stub"
    chmod 755 "$H_FS/broken-stub"
  fi
  host_binds >"$H_FS/binds"
}

write_sshd_config() {
  [[ -f $H_DIR/keys/ssh_host_ed25519_key ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "root@$H" -f "$H_DIR/keys/ssh_host_ed25519_key"
  cat >"$H_DIR/sshd_config.new" <<EOF
# dvrlab lab host $H
ListenAddress $H_IP:22
HostKey $H_DIR/keys/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin $(if [[ -n $O_USER || $H == "$BASTION" ]]; then echo no; else echo prohibit-password; fi)
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
  if [[ -d $H_FS/etc ]]; then
    # Match blocks go last. ProxyJump needs TCP forwarding (the default; said here for the reader).
    [[ $H != "$BASTION" ]] || printf 'AllowUsers %s\nAllowTcpForwarding yes\n' "$BASTION_USER" >>"$H_DIR/sshd_config.new"
    printf '%s\nMatch User *,!root\n  SetEnv PATH=%s\n' \
      "# Non-root users get Debian's PATH without sbin: what needs root goes through sudo." \
      "$USER_PATH" >>"$H_DIR/sshd_config.new"
  fi
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
  [[ -z $O_MTU ]] || ip link set "$H_VETH" mtu "$O_MTU"
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
  local nsx=(nsenter --net=/run/netns/"$H_NETNS" --)
  [[ -z $O_MTU ]] || "${nsx[@]}" ip link set eth0 mtu "$O_MTU"
  # The bastion has no OVS: its address is on eth0.
  [[ $H != "$BASTION" ]] || "${nsx[@]}" ip addr add "$H_IP/24" dev eth0
  # Docker, ufw, firewalld and RHEL's iptables-services leave the FORWARD policy at DROP.
  [[ -z $O_FWDROP ]] || "${nsx[@]}" iptables -P FORWARD DROP
  if [[ -n $O_BASTION ]]; then
    "${nsx[@]}" iptables -A INPUT -p tcp --dport 22 ! -i lo ! -s "$UNDERLAY.$BASTION_OCTET" \
      -m comment --comment "dvrlab lab: ssh only through the bastion" -j DROP
  fi

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
  local parent key kind binds=() files=()
  while IFS=$'\t' read -r kind src target; do
    if [[ $kind == dir ]]; then binds+=("$src"$'\t'"$target"); else files+=("$src"$'\t'"$target"); fi
  done <"$H_FS/binds"
  for b in "${binds[@]}"; do
    target=${b#*$'\t'}
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
  # Files last: one may lie under a bound directory.
  for b in "${binds[@]}" "${files[@]}"; do mount --bind "${b%%$'\t'*}" "${b#*$'\t'}"; done
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
  local mtu=()
  [[ -z $O_MTU ]] || mtu=(-- set Interface br-phy mtu_request="$O_MTU")
  hx ovs-vsctl --timeout=10 \
    -- --may-exist add-br br-phy \
    -- set Bridge br-phy datapath_type=netdev other-config:hwaddr="\"$mac\"" \
    -- --may-exist add-port br-phy eth0 "${mtu[@]}"
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
  if [[ -n $O_BASTION ]]; then
    wait_for "sshd on $H_IP:22 (from the bastion)" 10 \
      nsenter --net="/run/netns/$PFX$BASTION" -- timeout 1 bash -c "</dev/tcp/$H_IP/22"
  else
    wait_for "sshd on $H_IP:22" 10 timeout 1 bash -c "</dev/tcp/$H_IP/22"
  fi
}

# The pre-made br-int of a Neutron/OVN node (--existing-br-int): the settings dvrlab would give
# it, a port and a flow of someone else, and no dvrlab-owner mark.
make_existing_br_int() {
  hx ovs-vsctl --timeout=10 -- add-br br-int \
    -- set Bridge br-int datapath_type=netdev fail_mode=secure protocols=OpenFlow10,OpenFlow13,OpenFlow14 \
    -- add-port br-int "$BRINT_PORT" -- set Interface "$BRINT_PORT" type=internal
  hx ovs-ofctl add-flow br-int "$BRINT_FLOW"
}

host_up() {
  host_vars "$1"
  local want built=false
  want=$(opts_json "$H")
  set_opts "$want"
  # Options are a host's initial state: other options than it was built with mean a rebuild.
  if ! host_infra_ok || [[ $(recorded_opts "$H") != "$want" ]]; then
    host_down "$H"
    build_host_infra
    built=true
  fi
  start_ovs
  ! { $built && [[ -n $O_BRINT ]]; } || make_existing_br_int
  start_libvirt
  start_sshd
  # A restarted ovs-vswitchd re-creates br-phy's port: the host answers on the underlay a moment later.
  wait_for "$H_IP on the underlay" 10 ping -n -q -c1 -W1 -I "$UL_BR" "$H_IP"
  if [[ $want != '{}' ]]; then echo "$want" >"$H_DIR/options.json"; fi
}

# The bastion (--bastion): a namespace on the underlay with only an sshd and the user jump.
bastion_up() {
  host_vars "$BASTION"
  set_opts '{}'
  [[ -f $BASTION_KEY ]] || ssh-keygen -q -t ed25519 -N '' -C dvrlab-lab-bastion -f "$BASTION_KEY"
  if ! host_infra_ok; then
    host_down "$H"
    build_host_infra
  fi
  start_sshd
}

# remove_cgroups /machine/X.libvirt-qemu…: remove those cgroups (and their vcpu/emulator
# children) in every mounted hierarchy. A cgroup is removable only once its killed processes
# are fully gone: retry briefly.
remove_cgroups() {
  local rel root
  for rel in "$@"; do
    for root in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
      [[ -d $root$rel ]] || continue
      for _ in 1 2 3 4 5 6 7 8 9 10; do
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
  # shellcheck disable=SC2086 # one cgroup a word
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
  rm -rf "$H_FS" "$H_DIR/sshd_config" "$H_DIR/options.json"
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
  for h in "${LAB_HOSTS[@]}" "$BASTION"; do
    [[ $h != "$BASTION" ]] || ((${#OPT_BASTION[@]})) || continue
    host_vars "$h"
    echo "$H_IP $(cut -d' ' -f1,2 "$H_DIR/keys/ssh_host_ed25519_key.pub")" >>"$tmp"
  done
  mv "$tmp" "$KNOWN_HOSTS"
}

cmd_up() {
  local t0 env_opts=() h o
  t0=$(now_ms)
  read -ra env_opts <<<"${DVRLAB_LAB_OPTIONS:-}"
  parse_opts "${env_opts[@]}" "$@"
  ensure_root
  # The bastion first: the hosts behind it are probed through it.
  if ((${#OPT_BASTION[@]})); then
    bastion_up >"$LAB_DIR/bastion_up.log" 2>&1 || { sed 's/^/  /' "$LAB_DIR/bastion_up.log" >&2; die "the bastion failed"; }
    rm -f "$LAB_DIR/bastion_up.log"
  elif bastion_exists; then
    host_down "$BASTION"
  fi
  for_hosts host_up || die "up failed (run 'lab.sh down' to clean up, or 'lab.sh up' to retry)"
  write_known_hosts
  log "up in $(($(now_ms) - t0)) ms: $(for h in "${LAB_HOSTS[@]}"; do
    host_vars "$h"
    o=$(opts_json "$h")
    printf '%s=%s%s ' "$H" "$H_IP" "$([[ $o == '{}' ]] || echo "$o")"
  done)"
}

cmd_down() {
  local t0 rc=0 kind path
  t0=$(now_ms)
  [[ -d $LAB_DIR ]] || mkdir -p "$LAB_DIR"
  for_hosts host_down || rc=1
  ! bastion_exists || (host_down "$BASTION") || rc=1
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
  local daemons="{}" name pidfile pid infra=false inside="{}" ping_ms="" ssh=false opts
  opts=$(recorded_opts "$H")
  set_opts "$opts"
  for name in ovsdb-server:/run/openvswitch/ovsdb-server.pid ovs-vswitchd:/run/openvswitch/ovs-vswitchd.pid \
    libvirtd:/run/libvirt/libvirtd.pid virtlogd:/run/libvirt/virtlogd.pid sshd:/run/sshd.pid; do
    pidfile=${name#*:}
    pid=$(pid_of_host_daemon "$pidfile" 2>/dev/null || true)
    daemons=$(jq -c --arg n "${name%%:*}" --arg p "$pid" '. + {($n): (if $p == "" then null else ($p|tonumber) end)}' <<<"$daemons")
  done
  if host_infra_ok 2>/dev/null; then
    infra=true
    # shellcheck disable=SC2016 # a script for the host's bash
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
    # A host behind the bastion takes SSH only from there.
    local from=()
    [[ -z $O_BASTION ]] || from=(nsenter --net="/run/netns/$PFX$BASTION" --)
    "${from[@]}" timeout 1 bash -c "</dev/tcp/$H_IP/22" 2>/dev/null && ssh=true
  fi
  jq -nc --arg h "$H" --arg ip "$H_IP" --arg ns "$H_NETNS" --argjson infra "$infra" \
    --argjson d "$daemons" --arg ping "$ping_ms" --argjson ssh "$ssh" --argjson in "$inside" --argjson o "$opts" '
    {host:$h, ip:$ip, netns:$ns, namespaces_ok:$infra, daemons:$d,
     ping_ms:(if $ping == "" then null else ($ping|tonumber) end), ssh_port:$ssh,
     bridges:($in.bridges // []), domains:($in.domains // []), host_netns:($in.netns // []), options:$o}
    | .healthy = (.namespaces_ok and ([.daemons[]] | all(. != null)) and .ping_ms != null and .ssh_port)'
}

# The bastion's JSON (null when no host is behind it and it does not exist).
bastion_status_json() {
  host_vars "$BASTION"
  if ! bastion_recorded && [[ ! -e /run/netns/$H_NETNS ]]; then
    echo null
    return
  fi
  local infra=false sshd ping_ms="" ssh=false
  ! host_infra_ok 2>/dev/null || infra=true
  sshd=$(pid_of_host_daemon /run/sshd.pid 2>/dev/null || true)
  if ip -o route get "$H_IP" 2>/dev/null | grep -q " dev $UL_BR "; then
    ping_ms=$(ping -n -c1 -W1 -I "$UL_BR" "$H_IP" 2>/dev/null | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' || true)
    timeout 1 bash -c "</dev/tcp/$H_IP/22" 2>/dev/null && ssh=true
  fi
  jq -nc --arg ip "$H_IP" --arg ns "$H_NETNS" --arg u "$BASTION_USER" --argjson infra "$infra" --arg sshd "$sshd" \
    --arg ping "$ping_ms" --argjson ssh "$ssh" '
    {ip:$ip, netns:$ns, user:$u, namespaces_ok:$infra, daemons:{sshd:(if $sshd == "" then null else ($sshd|tonumber) end)},
     ping_ms:(if $ping == "" then null else ($ping|tonumber) end), ssh_port:$ssh}
    | .healthy = (.namespaces_ok and .daemons.sshd != null and .ping_ms != null and .ssh_port)'
}

cmd_status() {
  local json=false h out
  [[ ${1:-} == --json ]] && json=true
  local tmp
  tmp=$(mktemp -d /tmp/dvrlab-status.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  for h in "${LAB_HOSTS[@]}"; do host_status_json "$h" >"$tmp/$h" 2>/dev/null & done
  bastion_status_json >"$tmp/$BASTION" 2>/dev/null &
  wait
  out=$(for h in "${LAB_HOSTS[@]}"; do cat "$tmp/$h"; done |
    jq -sc --arg ul "$UL_BR" --arg gw "$UL_GW" --argjson n ${#LAB_HOSTS[@]} --slurpfile b "$tmp/$BASTION" '
      {underlay:{bridge:$ul, gateway:$gw}, hosts:.}
      | if (.hosts | length) != $n or ($b | length) != 1 then error("status of a host failed") else . end
      | if $b[0] != null then .bastion = $b[0] else . end')
  if $json; then
    jq . <<<"$out"
  else
    # The OPTIONS column only when a host has some: the plain lab's table stays as it was.
    jq -r '
      def mark(p): if p == null then "-" else "up" end;
      def opts: [.options | to_entries[] |
        {user: "user", sudoPasswordUser: "sudo-password-user", forwardDrop: "forward-drop",
         existingBrInt: "existing-br-int", broken: "broken", underlayMtu: "underlay-mtu", bastion: "bastion"}[.key] as $k
        | if .value == true then $k elif (.value | type) == "array" then (.value[] | "\($k)=\(.)") else "\($k)=\(.value)" end]
        | join(",") | if . == "" then "-" else . end;
      ([.hosts[].options | length] | add > 0) as $o |
      (["HOST", "ADDRESS", "PING", "OVSDB", "VSWITCHD", "LIBVIRTD", "VIRTLOGD", "SSHD", "BRIDGES [ports/flows]", "DOMAINS", "NETNS"]
        + (if $o then ["OPTIONS"] else [] end) | @tsv),
      (.hosts[] | [
        .host, .ip,
        (if .ping_ms == null then "FAIL" else "\(.ping_ms)ms" end),
        mark(.daemons["ovsdb-server"]), mark(.daemons["ovs-vswitchd"]), mark(.daemons.libvirtd),
        mark(.daemons.virtlogd), (if .daemons.sshd == null then "-" elif .ssh_port then "up" else "noport" end),
        ([.bridges[] | "\(.name)[\(.ports | length)/\(.flows // "?")]"] | join(" ") | if . == "" then "-" else . end),
        ([.domains[] | "\(.name)(\(.state))"] | join(" ") | if . == "" then "-" else . end),
        (.host_netns | length | tostring)
      ] + (if $o then [opts] else [] end) | @tsv)' <<<"$out" | column -t -s $'\t'
    jq -r 'if .bastion then "bastion \(.bastion.ip): sshd \(if .bastion.healthy then "up" else "NOT healthy" end) (user \(.bastion.user)); SSH only through it: " +
      ([.hosts[] | select(.options.bastion) | .host] | join(", ")) else empty end' <<<"$out"
    jq -r '"underlay \(.underlay.bridge) \(.underlay.gateway)/24; " +
      (if all(.hosts[]; .healthy) then "all hosts healthy" else "NOT healthy: " + ([.hosts[] | select(.healthy | not) | .host] | join(", ")) end)' <<<"$out"
  fi
  jq -e 'all(.hosts[]; .healthy) and (.bastion == null or .bastion.healthy)' <<<"$out" >/dev/null
}

cmd_ssh() {
  host_vars "${1:?usage: lab.sh ssh HOST|bastion [CMD…]}"
  shift
  local ssh=(ssh -F /dev/null -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes)
  if [[ $H == "$BASTION" ]]; then
    exec "${ssh[@]}" -i "$BASTION_KEY" "$BASTION_USER@$H_IP" "$@"
  fi
  # As the host's user (--user), through the bastion (--bastion), as the provider would.
  set_opts "$(recorded_opts "$H")"
  if [[ -n $O_BASTION ]]; then
    ssh+=(-o "ProxyCommand=$(printf '%q ' "${ssh[@]}" -i "$BASTION_KEY" -W '%h:%p')$BASTION_USER@$UNDERLAY.$BASTION_OCTET")
  fi
  exec "${ssh[@]}" -i "$SSH_KEY" "${O_USER:-root}@$H_IP" "$@"
}

# restart-ovs HOST: what `systemctl restart openvswitch-switch` does on a real host: both daemons
# stop and start again on the same database, so bridges, ports and their settings stay and every
# OpenFlow flow is gone. (Here the datapath is netdev: internal ports' devices go with
# ovs-vswitchd and come back without their addresses; the lab re-adds br-phy's, as the host's
# network configuration would.)
cmd_restart_ovs() {
  host_vars "${1:?usage: lab.sh restart-ovs HOST}"
  [[ $H != "$BASTION" ]] || die "the bastion has no OVS"
  host_infra_ok || die "$H is not up (lab.sh up)"
  set_opts "$(recorded_opts "$H")"
  local t0 d pid deadline
  t0=$(now_ms)
  for d in ovs-vswitchd ovsdb-server; do
    pid=$(pid_of_host_daemon "/run/openvswitch/$d.pid")
    [[ -n $pid ]] || continue
    kill -TERM "$pid"
    deadline=$(($(now_ms) + 5000))
    # Gone, or a zombie waiting for init.
    while [[ -e /proc/$pid && $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; do
      if (($(now_ms) > deadline)); then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.02
    done
  done
  # (The daemons say "opened log file" on stderr before they detach: shown only on failure.)
  if ! (start_ovs && wait_for "$H_IP on the underlay" 10 ping -n -q -c1 -W1 -I "$UL_BR" "$H_IP") >"$H_DIR/restart-ovs.log" 2>&1; then
    sed 's/^/  /' "$H_DIR/restart-ovs.log" >&2
    rm -f "$H_DIR/restart-ovs.log"
    die "$H: restart-ovs failed"
  fi
  rm -f "$H_DIR/restart-ovs.log"
  log "restart-ovs $H in $(($(now_ms) - t0)) ms"
}

[[ $EUID == 0 ]] || die "must run as root"
case ${1:-} in
  up | down | restart-ovs)
    [[ $1 != down || $# == 1 ]] || die "down takes no options (it removes whatever the lab has)"
    mkdir -p "$LAB_DIR"
    exec 9>"$LAB_DIR/lock"
    flock -w 300 9 || die "another lab.sh up/down holds $LAB_DIR/lock"
    cmd=cmd_${1//-/_}
    shift
    "$cmd" "$@"
    ;;
  status) cmd_status "${2:-}" ;;
  ssh) shift; cmd_ssh "$@" ;;
  _host-init) host_init "$2" ;;
  *) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
esac
