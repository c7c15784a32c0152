#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs everything alpc needs from Debian's archive, and caches, for each
# kernel line, the headers and the kernel image the VM boots. Idempotent;
# needs root (apt-get). The Makefile runs it when its stamp is missing.
#
# The 6.1 line uses the installed linux-headers-amd64. The 6.12 line's
# headers package depends on its linux-image package, and this project
# never installs a kernel on the host, so its headers, common files and
# kbuild tools are downloaded and unpacked into the cache instead.
set -euo pipefail
. "$(dirname "$0")/common.sh"

PACKAGES="build-essential bc bison flex libelf-dev libssl-dev dwarves kmod
	xz-utils cpio rsync pkg-config python3 strace clang-format
	linux-headers-amd64 linux-source-6.1 qemu-system-x86 busybox-static
	libnl-3-dev libnl-genl-3-dev nlohmann-json3-dev catch2 gnuplot-nox dkms"

[ "$(id -u)" = 0 ] || die "setup needs root (apt-get): sudo $0"
export DEBIAN_FRONTEND=noninteractive
log "installing packages"
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null

mkdir -p "$ALPC_CACHE/lines" "$ALPC_CACHE/debs"
[ -n "${SUDO_USER:-}" ] && chown "$SUDO_USER" "$ALPC_CACHE"

src=$(src_tree)
if [ ! -f "$src/Makefile" ]; then
	log "unpacking linux-source-$(src_version)"
	rm -rf "$(dirname "$src")"
	mkdir -p "$(dirname "$src")"
	tar -C "$(dirname "$src")" -xf /usr/src/linux-source-6.1.tar.xz
fi

# fetch PACKAGE VERSION DIR: download a .deb (cached) and unpack it in DIR.
fetch() {
	local deb
	deb=$(ls "$ALPC_CACHE/debs/${1}_"*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		(cd "$ALPC_CACHE/debs" && apt-get download -qq "$1=$2" 2>&1 |
			grep -v 'unsandboxed' >&2 || true)
		deb=$(ls "$ALPC_CACHE/debs/${1}_"*.deb 2>/dev/null | head -1)
		[ -n "$deb" ] || die "could not download $1=$2"
	fi
	mkdir -p "$3"
	dpkg-deb -x "$deb" "$3"
}

# image LINE RELEASE VERSION KDIR: cache the kernel image of RELEASE and
# record the line's environment for the build and the VM runner.
image() {
	local line=$1 rel=$2 ver=$3 kdir=$4 dir=$ALPC_CACHE/kernels/$2
	if [ ! -f "$dir/boot/vmlinuz-$rel" ]; then
		log "fetching linux-image-$rel ($ver)"
		rm -rf "$dir"
		fetch "linux-image-$rel" "$ver" "$dir"
	fi
	[ -f "$kdir/Makefile" ] || die "no headers for $rel at $kdir"
	cat >"$ALPC_CACHE/lines/$line.env" <<ENV
KDIR=$kdir
VMLINUZ=$dir/boot/vmlinuz-$rel
MODDIR=$dir/lib/modules/$rel
RELEASE=$rel
ENV
}

# 6.1: the release the installed linux-headers-amd64 points at.
rel61=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	grep -o 'linux-headers-[^ ,]*' | head -1 | sed 's/^linux-headers-//')
ver61=$(dpkg-query -W -f='${Version}' "linux-headers-$rel61")
image 6.1 "$rel61" "$ver61" "/usr/src/linux-headers-$rel61"

# 6.12: the newest plain -amd64 release of the 6.12 line in the archive.
rel612=$(apt-cache depends linux-headers-6.12-amd64 | sed -n 's/^ *Depends: linux-headers-//p' |
	grep -E '^6\.12\.[0-9]+\+deb[0-9]+-amd64$' | sort -V | tail -1)
[ -n "$rel612" ] || die "no linux-headers-6.12 release found in the archive"
ver612=$(apt-cache show "linux-headers-$rel612" | sed -n 's/^Version: //p' | head -1)
hdr=$ALPC_CACHE/headers/$rel612
kdir612=$hdr/usr/src/linux-headers-$rel612
if [ ! -f "$kdir612/.alpc-ok" ]; then
	log "unpacking headers for $rel612"
	rm -rf "$hdr"
	common=${rel612%-amd64}
	fetch "linux-headers-$rel612" "$ver612" "$hdr"
	fetch "linux-headers-$common-common" "$ver612" "$hdr"
	fetch "linux-kbuild-$common" "$ver612" "$hdr"
	# The only absolute path in the tree: its Makefile's include.
	sed -i "s|^include /usr/src/|include $hdr/usr/src/|" "$kdir612/Makefile"
	touch "$kdir612/.alpc-ok"
fi
image 6.12 "$rel612" "$ver612" "$kdir612"

log "setup complete: cache in $ALPC_CACHE"
