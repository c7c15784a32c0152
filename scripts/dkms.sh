#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dkms.sh install [KERNELRELEASE]: what `make dkms-install` runs (root):
#   copies the module sources to /usr/src/alpc-<version>, then dkms add,
#   build and install for KERNELRELEASE (default: the running kernel).
# dkms.sh remove: dkms remove --all, and the sources.
# dkms.sh stage DIR: lays out the DKMS source tree in DIR (no root).
set -euo pipefail
. "$(dirname "$0")/common.sh"

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ALPC_TOP/dkms.conf")
[ -n "$version" ] || die "no PACKAGE_VERSION in dkms.conf"

stage() { # DIR
	rm -rf "$1"
	mkdir -p "$1/kmod" "$1/include/uapi/linux"
	cp "$ALPC_TOP"/kmod/{*.c,*.h,Kbuild,Makefile} "$1/kmod/"
	cp "$ALPC_TOP/include/uapi/linux/alpc.h" "$1/include/uapi/linux/"
	cp "$ALPC_TOP/dkms.conf" "$1/"
}

case ${1:-} in
stage)
	[ $# = 2 ] || die "usage: dkms.sh stage DIR"
	stage "$2"
	;;
install)
	[ "$(id -u)" = 0 ] || die "dkms-install needs root: sudo make dkms-install"
	command -v dkms >/dev/null || die "dkms is not installed (apt-get install dkms)"
	kver=${2:-$(uname -r)}
	dkms remove -m alpc -v "$version" --all >/dev/null 2>&1 || true
	stage "/usr/src/alpc-$version"
	dkms add -m alpc -v "$version"
	dkms build -m alpc -v "$version" -k "$kver"
	dkms install -m alpc -v "$version" -k "$kver"
	log "alpc $version installed for $kver; load it with: modprobe alpc"
	;;
remove)
	[ "$(id -u)" = 0 ] || die "dkms-remove needs root"
	dkms remove -m alpc -v "$version" --all || true
	rm -rf "/usr/src/alpc-$version"
	;;
*)
	die "usage: dkms.sh install [KERNELRELEASE] | remove | stage DIR"
	;;
esac
