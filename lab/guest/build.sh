#!/usr/bin/env bash
# Build the dvrlab guest image from Debian packages and cache it; print the manifest's path.
#
#   lab/guest/build.sh [--force | --prune]
#
# Output, under ${DVRLAB_CACHE:-$HOME/.cache/dvrlab}/guest/<version>/:
#   vmlinuz      Debian's kernel, from the linux-image .deb (never installed on the host)
#   initrd.img   busybox (from busybox-static's .deb) + the virtio/ext4 modules + /init
#   base.qcow2   the root filesystem (ext4, same busybox userland), the base of each domain's
#                overlay: qemu-img create -f qcow2 -F qcow2 -b base.qcow2 overlay.qcow2
#   manifest.json  paths, kernel command line, minimum memory, version
#
# <version> is a hash of this script, lab/guest/files/* and the exact .deb files used, so a
# changed recipe or a kernel update rebuilds into a new directory, while a second run with the
# same inputs only hashes a few files and prints the same path. Packages come from apt (the only
# network this needs); downloaded .debs are kept under the cache's debs/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${DVRLAB_CACHE:-$HOME/.cache/dvrlab}
gdir=$cache/guest
debs=$cache/debs

# The recipe. Everything below is part of the version hash (the script hashes itself).
KERNEL_META=linux-image-amd64
BUSYBOX_PKG=busybox-static
# what the guest needs that Debian builds as modules (dependencies are resolved with modprobe)
MODULES=(virtio_pci virtio_blk virtio_net ext4 crc32c_generic)
# ipv6.disable: no router solicitations or DAD in the lab's captures and learned flows
CMDLINE="console=ttyS0 root=/dev/vda quiet ipv6.disable=1"
# measured: the guest hangs below 96 MiB under TCG (the kernel+initrd must fit while unpacking)
MIN_MEMORY_MIB=96
DISK_MIB=64

force=0 prune=0
case ${1:-} in
--force) force=1 ;;
--prune) prune=1 ;;
'') ;;
*) echo "usage: $0 [--force | --prune]" >&2; exit 2 ;;
esac

log() { echo "guest-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

mkdir -p "$gdir" "$debs"

recipe_hash=$(cd "$here" && find build.sh files -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)

# Which exact .debs the recipe means today. Asking apt costs ~1 s, so the answer is cached per
# recipe and reused while apt's package lists are unchanged (an `apt-get update` that brings a
# new kernel changes them, and the next build picks the new kernel up).
apt_stamp() { stat -c %Y /var/lib/apt/lists /var/lib/apt/lists/*Packages* 2>/dev/null | sha256sum | cut -c1-16; }
resolve() {
	local kpkg
	kpkg=$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	[ -n "$kpkg" ] || return 1
	# 'URI' file size SHA256:hex
	apt-get download --print-uris "$kpkg" "$BUSYBOX_PKG" 2>/dev/null |
		awk -v k="$kpkg" '{ gsub("\047", "", $1); split($2, f, "_"); print (f[1] == k ? "kernel" : "busybox"), f[1], $2, $4 }' |
		LC_ALL=C sort
}
resolved_file=$gdir/resolved-$recipe_hash
stamp=$(apt_stamp)
if [ "$force" = 1 ] || [ ! -s "$resolved_file" ] || [ "$(head -n1 "$resolved_file")" != "stamp $stamp" ]; then
	if ! res=$(resolve) || [ "$(wc -l <<<"$res")" != 2 ]; then
		if [ "$(id -u)" = 0 ]; then
			log "apt has no candidate for $KERNEL_META/$BUSYBOX_PKG; running apt-get update"
			apt-get update -qq >&2 || true
			stamp=$(apt_stamp)
		fi
		res=$(resolve) && [ "$(wc -l <<<"$res")" = 2 ] ||
			die "cannot resolve $KERNEL_META and $BUSYBOX_PKG with apt (apt-get update?)"
	fi
	printf 'stamp %s\n%s\n' "$stamp" "$res" >"$resolved_file.tmp"
	mv -f "$resolved_file.tmp" "$resolved_file"
fi
# kernel|busybox <package> <file> SHA256:<hex>
read -r _ kernel_pkg kernel_deb kernel_sha < <(grep '^kernel ' "$resolved_file")
read -r _ busybox_pkg busybox_deb busybox_sha < <(grep '^busybox ' "$resolved_file")

version=$(printf '%s\n' "$recipe_hash" "$kernel_deb $kernel_sha" "$busybox_deb $busybox_sha" | sha256sum | cut -c1-16)
out=$gdir/$version
manifest=$out/manifest.json

# --prune: delete every other version (they pile up as the recipe or kernel changes). Overlays
# made from an older base stop working, so only prune with no domain running from one.
prune_others() {
	local d
	for d in "$gdir"/*/; do
		d=${d%/}
		[ "${d##*/}" = "$version" ] || [ -L "$d" ] || { log "removing ${d##*/}"; rm -rf "$d"; }
	done
	find "$gdir" -maxdepth 1 -name 'resolved-*' ! -name "resolved-$recipe_hash" -delete
	find "$debs" -maxdepth 1 -name '*.deb' ! -name "$kernel_deb" ! -name "$busybox_deb" -delete
}

if [ "$force" = 0 ] && [ -s "$manifest" ]; then
	[ "$prune" = 0 ] || prune_others
	echo "$manifest"
	exit 0
fi

# One builder at a time; a second one waiting here finds the finished image.
exec 9>"$gdir/.lock"
flock 9
if [ "$force" = 0 ] && [ -s "$manifest" ]; then
	echo "$manifest"
	exit 0
fi

for tool in dpkg-deb depmod modprobe cpio gzip mke2fs qemu-img sha256sum; do
	command -v "$tool" >/dev/null || die "$tool not found (see lab/guest/packages.txt)"
done

fetch() { # package file sha256
	local pkg=$1 file=$2 sha=${3#SHA256:}
	if [ -s "$debs/$file" ] && [ "$(sha256sum <"$debs/$file" | cut -d' ' -f1)" = "$sha" ]; then
		return 0
	fi
	log "downloading $pkg ($file)"
	# apt's sandbox user cannot write into root's cache: run unsandboxed, quietly
	(cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg") >&2 ||
		die "apt-get download $pkg failed"
	[ -s "$debs/$file" ] || die "apt-get download $pkg did not produce $file (apt lists changed meanwhile? rerun)"
	[ "$(sha256sum <"$debs/$file" | cut -d' ' -f1)" = "$sha" ] || die "$file: checksum mismatch"
}
fetch "$kernel_pkg" "$kernel_deb" "$kernel_sha"
fetch "$busybox_pkg" "$busybox_deb" "$busybox_sha"

work=$(mktemp -d "$gdir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "building $version in $work"

# --- kernel and modules --------------------------------------------------------------------
dpkg-deb -x "$debs/$kernel_deb" "$work/k"
kver=$(ls "$work/k/lib/modules")
[ "$(wc -w <<<"$kver")" = 1 ] || die "expected one kernel in $kernel_deb, found: $kver"
mkdir -p "$work/out"
# Under TCG, decompressing Debian's xz bzImage takes ~4 s before the kernel prints a line. The
# kernel is built with CONFIG_PVH, so the uncompressed ELF inside it boots directly (qemu
# -kernel / libvirt <kernel> take it as is): boot to lease drops from ~7.5 s to ~4.5 s.
kernel_file=vmlinuz
cp "$work/k/boot/vmlinuz-$kver" "$work/out/vmlinuz"
if grep -qx 'CONFIG_PVH=y' "$work/k/boot/config-$kver" && grep -qx 'CONFIG_KERNEL_XZ=y' "$work/k/boot/config-$kver"; then
	xz_at=$(LC_ALL=C grep -m1 -obUaP '\xfd7zXZ\x00' "$work/out/vmlinuz" | cut -d: -f1) || true
	if [ -n "$xz_at" ] &&
		tail -c "+$((xz_at + 1))" "$work/out/vmlinuz" >"$work/vmlinux.xz" &&
		xz -dcq --single-stream "$work/vmlinux.xz" >"$work/out/vmlinux" 2>/dev/null &&
		[ "$(head -c4 "$work/out/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ]; then
		kernel_file=vmlinux
	else
		log "warning: could not unpack the PVH kernel; booting the bzImage (slower)"
		rm -f "$work/out/vmlinux"
	fi
fi
depmod -b "$work/k" "$kver"

# Drop a module's appended signature: verifying it costs ~0.3 s of boot under TCG for ext4
# alone. The kernel then loads it as unsigned (taint E), which matters to nobody in a lab guest.
strip_signature() {
	local f=$1 magic='~Module signature appended~' size tail siglen
	size=$(stat -c %s "$f")
	tail=$(tail -c 28 "$f" | head -c 27)
	[ "$tail" = "$magic" ] || return 0
	# struct module_signature (12 bytes) ends with sig_len, big endian, just before the magic
	siglen=$(tail -c 32 "$f" | head -c 4 | od -An -tu1 | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
	truncate -s $((size - 28 - 12 - siglen)) "$f"
}

moddir=$work/k/lib/modules/$kver
root=$work/root
mkdir -p "$root/lib/modules"
: >"$root/lib/modules/load.order"
for m in "${MODULES[@]}"; do
	# "insmod /path" per module in load order; "builtin name" when it is built in (nothing to do)
	deps=$(modprobe -d "$work/k" -S "$kver" --show-depends "$m") || die "module $m not in $kernel_deb"
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		rel=${path#"$moddir"/}
		ko=${rel%.xz}
		ko=${ko%.zst}
		ko=${ko%.gz}
		grep -qxF "$ko" "$root/lib/modules/load.order" && continue
		mkdir -p "$root/lib/modules/$(dirname "$ko")"
		# busybox insmod takes plain .ko only: decompress here
		case $rel in
		*.xz) xz -dc "$path" >"$root/lib/modules/$ko" ;;
		*.zst) zstd -qdc "$path" >"$root/lib/modules/$ko" ;;
		*.gz) gzip -dc "$path" >"$root/lib/modules/$ko" ;;
		*) cp "$path" "$root/lib/modules/$ko" ;;
		esac
		strip_signature "$root/lib/modules/$ko"
		echo "$ko" >>"$root/lib/modules/load.order"
	done <<<"$deps"
done

# --- userland --------------------------------------------------------------------------------
dpkg-deb -x "$debs/$busybox_deb" "$work/bb"
bb=$work/bb/bin/busybox
[ -x "$bb" ] || die "no bin/busybox in $busybox_deb"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/init.d,proc,sys,dev,run,tmp,root,newroot}
cp "$bb" "$root/bin/busybox"
# busybox-static runs on the host as well: ask it for its applets and where they belong
"$bb" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
install -m 0755 "$here/files/dvrlab-agent" "$root/sbin/dvrlab-agent"
install -m 0755 "$here/files/rcS" "$root/etc/init.d/rcS"
install -m 0755 "$here/files/udhcpc.script" "$root/etc/udhcpc.script"
install -m 0644 "$here/files/inittab" "$root/etc/inittab"
echo 'root::0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo dvrlab-guest >"$root/etc/hostname"
# written from the DHCP lease into tmpfs, so the disk stays untouched by a normal boot
ln -s /run/resolv.conf "$root/etc/resolv.conf"

# --- initramfs: the same tree plus /init and a console node -----------------------------------
cp -a "$root" "$work/initrd"
install -m 0755 "$here/files/init" "$work/initrd/init"
mknod -m 600 "$work/initrd/dev/console" c 5 1
(cd "$work/initrd" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -9n >"$work/out/initrd.img"

# --- root disk: ext4 filled by mke2fs -d, converted to qcow2 as the seed converts cirros -------
mke2fs -q -t ext4 -L dvrlab-root -E root_owner=0:0 -d "$root" "$work/disk.raw" "${DISK_MIB}M" >"$work/mke2fs.log" 2>&1 ||
	{ cat "$work/mke2fs.log" >&2; die "mke2fs failed"; }
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/out/base.qcow2" >&2
rm -f "$work/disk.raw"
# the base is shared by every overlay: nobody writes to it
chmod 0444 "$work/out/base.qcow2"

cat >"$work/out/manifest.json" <<EOF
{
  "version": "$version",
  "kernel": "$out/$kernel_file",
  "kernelCompressed": "$out/vmlinuz",
  "initrd": "$out/initrd.img",
  "baseImage": "$out/base.qcow2",
  "baseImageFormat": "qcow2",
  "cmdline": "$CMDLINE",
  "minMemoryMiB": $MIN_MEMORY_MIB,
  "kernelRelease": "$kver",
  "consoleSerialPort": 0,
  "agentSerialPort": 1,
  "agentProtocol": "DVRLAB1",
  "interface": "eth0",
  "debs": ["$kernel_deb", "$busybox_deb"]
}
EOF

rm -rf "$out"
mv "$work/out" "$out"
ln -sfn "$version" "$gdir/current"
[ "$prune" = 0 ] || prune_others
log "built $version ($(du -sh "$out" | cut -f1))"
echo "$manifest"
