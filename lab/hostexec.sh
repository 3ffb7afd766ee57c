#!/usr/bin/env bash
# hostexec.sh HOST [CMD…]: run CMD (default: a shell) inside lab host HOST: its network,
# mount and UTS namespaces, so `ovs-vsctl show`, `virsh list`, /run, /var/lib/… are the host's.
# For debugging and the lab's own use; the provider always goes through SSH.
set -euo pipefail
# shellcheck source=lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -ge 1 ]] || die "usage: hostexec.sh HOST [CMD…]"
host_vars "$1"
shift
[[ -e $H_MNT && -e /run/netns/$H_NETNS ]] || die "$H is not up (bash lab/lab.sh up)"
[[ $# -gt 0 ]] || set -- bash --norc -i
# HOME=/root is the host's own minimal /root; the root namespace's PATH may point into it.
exec nsenter --mount="$H_MNT" --uts="$H_UTS" --net=/run/netns/"$H_NETNS" -- \
  env PATH="$HOST_PATH" HOME=/root "$@"
