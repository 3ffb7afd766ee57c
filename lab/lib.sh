# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
# Shared definitions of the lab: names, addresses, paths. Sourced by lab.sh and hostexec.sh.
#
# Every object the lab makes in the root namespace carries $PFX, so cleanup can match on it
# and can never touch anything else.

LAB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_DIR=${DVRLAB_LAB_DIR:-$LAB_REPO/.lab}
UNDERLAY=${DVRLAB_UNDERLAY:-172.30.124}
PFX=${DVRLAB_PREFIX:-dvrl-}
LAB_HOSTS=(server-233 server-64 server-68)

UL_BR=${PFX}ul0
UL_GW=$UNDERLAY.1
NS_DIR=$LAB_DIR/ns
# The PATH a root login gets on Debian (sshd without PAM would give one without sbin).
HOST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Per-host directories bound over these paths inside the host's mount namespace:
# "<dir under .lab/hosts/H/fs>:<mount point>". /run and /var/log are per host as a whole
# (covers /run/openvswitch, /run/libvirt, /run/netns, /run/sshd, /var/log/{openvswitch,libvirt}).
HOST_BINDS=(
  run:/run
  log:/var/log
  etc-openvswitch:/etc/openvswitch
  var-lib-openvswitch:/var/lib/openvswitch
  etc-libvirt:/etc/libvirt
  var-lib-libvirt:/var/lib/libvirt
  var-cache-libvirt:/var/cache/libvirt
  var-lib-dvrlab:/var/lib/dvrlab
  root:/root
  tmp:/tmp
)

die() { echo "lab: $*" >&2; exit 1; }

[[ $UNDERLAY =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] ||
  die "DVRLAB_UNDERLAY must be the first three octets of a /24, e.g. 172.30.124 (got '$UNDERLAY')"
[[ $PFX =~ ^[a-z][a-z0-9]{0,7}-$ ]] ||
  die "DVRLAB_PREFIX must be 2-9 chars: a lowercase letter, up to 7 more [a-z0-9], then '-' (got '$PFX')"

# The lab's files must be visible at the same path inside the hosts (sshd reads its config and
# host key there), so LAB_DIR must not lie under a path the hosts have their own copy of. A
# checkout under one of them (e.g. a CI clone in /tmp) keeps its default .lab in /var/tmp instead,
# reached through a .lab symlink, so every path the tests and Pulumi.dev.yaml use still works.
# /home counts too: hosts with users (lab.sh up --user, --bastion) have their own.
_under_bind() {
  local b
  for b in "${HOST_BINDS[@]}" home:/home; do case $1/ in "${b#*:}"/*) return 0 ;; esac; done
  return 1
}
if [[ -z ${DVRLAB_LAB_DIR:-} ]] && _under_bind "$LAB_REPO" && [[ ! -e $LAB_DIR || -L $LAB_DIR ]]; then
  _real=/var/tmp/dvrlab-labs/$(printf %s "$LAB_REPO" | sha256sum | cut -c1-12)
  mkdir -p "$_real"
  [[ -L $LAB_DIR && $(readlink "$LAB_DIR") == "$_real" ]] || ln -sfn "$_real" "$LAB_DIR"
  unset _real
fi
# Resolve symlinks (the .lab link above, or any a user made): hosts see only real paths.
LAB_DIR=$(realpath -m "$LAB_DIR")
NS_DIR=$LAB_DIR/ns
for _b in "${HOST_BINDS[@]}"; do
  case $LAB_DIR/ in "${_b#*:}"/*) die "DVRLAB_LAB_DIR ($LAB_DIR) must not be under ${_b#*:} (hosts have their own)" ;; esac
done
unset _b

# The bastion (lab.sh up --bastion): a fourth namespace with only an sshd, the one way in to the
# hosts behind it. Built like a host (netns, mount + UTS namespaces), without OVS or libvirt.
BASTION=bastion
BASTION_OCTET=2
BASTION_USER=jump
# The PATH a non-root SSH session gets on Debian (no sbin: such commands need sudo).
USER_PATH=/usr/local/bin:/usr/bin:/bin

# host_vars H: set the per-host variables for host H (or the bastion).
host_vars() {
  H=$1
  if [[ $H == "$BASTION" ]]; then
    H_OCTET=$BASTION_OCTET
  else
    case " ${LAB_HOSTS[*]} " in *" $H "*) ;; *) die "unknown host '$H' (hosts: ${LAB_HOSTS[*]})" ;; esac
    H_OCTET=${H##*-}
  fi
  H_IP=$UNDERLAY.$H_OCTET
  H_NETNS=$PFX$H
  H_VETH=${PFX}u$H_OCTET # root-side end; the host-side end is eth0 inside the host
  H_DIR=$LAB_DIR/hosts/$H
  H_FS=$H_DIR/fs
  H_MNT=$NS_DIR/$H.mnt
  H_UTS=$NS_DIR/$H.uts
}

# The command prefix that runs a command inside host H (its net, mount and UTS namespaces).
host_enter() {
  host_vars "$1"
  echo nsenter --mount="$H_MNT" --uts="$H_UTS" --net=/run/netns/"$H_NETNS" --
}

# mac_of_ip A.B.C.D: the lab's stable, locally administered MAC for an underlay address
# (02:64 then the four octets): hosts' br-phy and the underlay bridge, so a rebuild never moves one.
mac_of_ip() {
  local o
  IFS=. read -ra o <<<"$1"
  printf '02:64:%02x:%02x:%02x:%02x' "${o[@]}"
}

# ns_id FILE: the namespace id (e.g. "mnt:[4026532301]", as /proc/PID/ns/* links read) behind
# a namespace file, or nothing if FILE is not one. The type comes from the file name's suffix
# (.mnt/.uts) or defaults to net (the /run/netns files). Readlink on an open fd would give the
# mount path for a bind-mounted ns file, hence stat.
ns_id() {
  local type=net
  case $1 in *.mnt) type=mnt ;; *.uts) type=uts ;; /proc/*/ns/*) type=${1##*/} ;; esac
  [[ $(stat -f -L -c %t "$1" 2>/dev/null) == 6e736673 ]] || return 0 # NSFS_MAGIC
  echo "$type:[$(stat -L -c %i "$1")]"
}

# lab_pids MNT UTS NET: pids in any of those namespaces (ids like "mnt:[4026532301]").
# The UTS namespace catches processes that moved to other net/mount namespaces of the host
# (dnsmasq under `ip netns exec`, qemu); none of the lab's ids can be the root's.
lab_pids() {
  # find fails on processes that exit during the walk; that is fine.
  { find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/*' \( -name mnt -o -name uts -o -name net \) \
    -printf '%h %l\n' 2>/dev/null || true; } |
    awk -v a="$1" -v b="$2" -v c="$3" -v self="$$" '
      ($2 == a && a != "") || ($2 == b && b != "") || ($2 == c && c != "") {
        split($1, p, "/"); if (p[3] != self) print p[3] }' | sort -un
}

# host_pids H: every process of lab host H (daemons, sessions, guests, dnsmasq…).
host_pids() {
  host_vars "$1"
  lab_pids "$(ns_id "$H_MNT")" "$(ns_id "$H_UTS")" "$(ns_id "/run/netns/$H_NETNS")"
}
