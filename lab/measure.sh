#!/usr/bin/env bash
# measure.sh [IDLE_SECONDS] [FLOOD_COUNT]: the lab's cost, for lab/README.md.
#   1. idle: CPU (% of one core) and RSS of every process of the three hosts over IDLE_SECONDS;
#   2. flood: a throwaway netdev bridge + VXLAN port on server-233 and server-64, an endpoint
#      namespace on each (dvrl-tep), `ping -f -c FLOOD_COUNT` across the tunnel; CPU seconds the
#      hosts spent, duration, loss, RTT. Everything it creates is removed at the end.
# Needs the lab up (bash lab/lab.sh up).
set -euo pipefail
# shellcheck source=lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
IDLE=${1:-20}
FLOOD=${2:-2000}
TCK=$(getconf CLK_TCK)

# snapshot: "pid comm ticks rss_kb" for every lab process.
snapshot() {
  local h pid
  for h in "${LAB_HOSTS[@]}"; do
    for pid in $(host_pids "$h"); do
      awk -v pid="$pid" -v h="$h" '
        FILENAME ~ /stat$/ { sub(/^.*\) /, ""); split($0, f, " "); ticks = f[12] + f[13] }
        FILENAME ~ /status$/ && /^VmRSS:/ { rss = $2 }
        FILENAME ~ /comm$/ { comm = $1 }
        END { if (comm != "") print h, pid, comm, ticks, rss + 0 }' \
        "/proc/$pid/stat" "/proc/$pid/status" "/proc/$pid/comm" 2>/dev/null || true
    done
  done
}

# report BEFORE AFTER SECONDS: per daemon kind, summed over the hosts.
report() {
  awk -v secs="$3" -v tck="$TCK" '
    FNR == NR { before[$2] = $4; next }
    { kind[$3] = 1; cpu[$3] += ($4 - ($2 in before ? before[$2] : $4)) / tck; rss[$3] += $5; n[$3]++
      tcpu += ($4 - ($2 in before ? before[$2] : $4)) / tck; trss += $5; tn++ }
    END {
      printf "  %-14s %5s %10s %10s %9s\n", "process", "count", "cpu-s", "%core", "RSS-MiB"
      for (k in kind) printf "  %-14s %5d %10.2f %10.2f %9.1f\n", k, n[k], cpu[k], 100 * cpu[k] / secs, rss[k] / 1024
      printf "  %-14s %5d %10.2f %10.2f %9.1f\n", "TOTAL", tn, tcpu, 100 * tcpu / secs, trss / 1024
    }' "$1" "$2"
}

hx() { bash "$(dirname "${BASH_SOURCE[0]}")/hostexec.sh" "$@"; }

vxlan_up() { # HOST N REMOTE_IP
  hx "$1" bash -ec "
    ovs-vsctl --may-exist add-br dvrl-tvx -- set Bridge dvrl-tvx datapath_type=netdev \
      -- --may-exist add-port dvrl-tvx dvrl-tvx-vx \
      -- set Interface dvrl-tvx-vx type=vxlan options:remote_ip=$3 options:key=4242
    ip netns add dvrl-tep
    ip link add dvrl-tep type veth peer name eth0 netns dvrl-tep
    ethtool -K dvrl-tep tx off >/dev/null
    ip netns exec dvrl-tep ethtool -K eth0 tx off >/dev/null
    ip link set dvrl-tep up
    ovs-vsctl add-port dvrl-tvx dvrl-tep
    ip netns exec dvrl-tep sh -ec 'ip link set lo up; ip link set eth0 mtu 1450 up; ip addr add 10.250.0.$2/24 dev eth0'"
}
vxlan_down() {
  hx "$1" sh -c 'ovs-vsctl --if-exists del-br dvrl-tvx; ip link del dvrl-tep 2>/dev/null; ip netns del dvrl-tep 2>/dev/null; true'
}

bash "$(dirname "${BASH_SOURCE[0]}")/lab.sh" status >/dev/null || die "the lab is not healthy: bash lab/lab.sh up"
a=$(mktemp) b=$(mktemp)
trap 'rm -f "$a" "$b"; vxlan_down server-233; vxlan_down server-64' EXIT

echo "idle, ${IDLE} s (three hosts, nothing built on them but br-phy):"
snapshot >"$a"
sleep "$IDLE"
snapshot >"$b"
report "$a" "$b" "$IDLE"

vxlan_up server-233 1 "$UNDERLAY.64"
vxlan_up server-64 2 "$UNDERLAY.233"
hx server-233 ip netns exec dvrl-tep ping -c3 -i0.2 -W1 10.250.0.2 >/dev/null || die "no ping across the VXLAN"
rtt=$(hx server-233 ip netns exec dvrl-tep ping -c20 -i0.05 10.250.0.2 | sed -n 's/^rtt.* = //p')
echo "VXLAN ping server-233 -> server-64 (20 pings, min/avg/max/mdev): $rtt"
snapshot >"$a"
t0=$(date +%s%N)
out=$(hx server-233 ip netns exec dvrl-tep ping -q -f -c "$FLOOD" 10.250.0.2)
secs=$(awk -v t0="$t0" -v t1="$(date +%s%N)" 'BEGIN { printf "%.2f", (t1 - t0) / 1e9 }')
snapshot >"$b"
echo "flood: ping -f -c $FLOOD across the VXLAN took ${secs} s:"
echo "$out" | sed -n 's/^/  /; /packets transmitted/p; /^  rtt/p'
report "$a" "$b" "$secs"
echo "idle with the throwaway VXLAN bridges in place, ${IDLE} s:"
snapshot >"$a"
sleep "$IDLE"
snapshot >"$b"
report "$a" "$b" "$IDLE"
