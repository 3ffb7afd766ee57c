#!/usr/bin/env bash
# One-time (idempotent, cached) set-up of a fresh Debian 12 machine for dvrlab:
#   Debian packages for the lab (system services are NOT started: the lab runs its own daemons),
#   npm dependencies, the Pulumi engine built offline from the Go module proxy, the guest image.
# First run: ~6–8 min (engine build ~4 min on 2 cores); later runs: a few seconds.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
t0=$(date +%s)
say() { echo "[setup] $*"; }

# --- Debian packages ---------------------------------------------------------------------------
pkgs=(openvswitch-switch dnsmasq-base openssh-server qemu-system-x86 qemu-utils libvirt-daemon
      libvirt-daemon-driver-qemu libvirt-clients busybox-static iptables iproute2 ethtool arping
      tcpdump kmod cpio e2fsprogs xz-utils zstd procps psmisc util-linux
      libxml2-utils # xmllint: virt-xml-validate (libvirt-clients) needs it; the domain XML unit test runs it
      graphviz      # dot: `npm run graph` lays out the network with it
      chromium)     # headless: the graph test renders the page and checks the screenshot (no browser download)
for f in lab/packages.txt lab/guest/packages.txt; do
    [ -f "$f" ] && while read -r p; do [ -n "$p" ] && [ "${p#\#}" = "$p" ] && pkgs+=("$p"); done < "$f"
done
missing=()
for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    # Keep package scripts from starting system services (ovs, libvirtd, sshd): the lab runs its own.
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    trap '[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
    trap - EXIT
else
    say "Debian packages: all present"
fi

# --- Go (to build the engine) -----------------------------------------------------------------
if ! command -v go >/dev/null; then
    [ -x /usr/local/go/bin/go ] && export PATH=/usr/local/go/bin:$PATH
fi
if ! command -v go >/dev/null; then
    say "installing Go from Debian, newer toolchain from the Go module proxy"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends golang-go >/dev/null
    export GOTOOLCHAIN=go1.25.11
fi

# --- npm ----------------------------------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
else
    say "node_modules up to date"
fi

# --- Pulumi engine --------------------------------------------------------------------------------
bin=$(bash scripts/engine/build.sh)
say "pulumi engine: $bin ($("$bin/pulumi" version))"

# --- guest image --------------------------------------------------------------------------------
if [ -f lab/guest/build.sh ]; then
    say "guest image: $(bash lab/guest/build.sh | tail -1)"
fi

say "done in $(( $(date +%s) - t0 )) s"
