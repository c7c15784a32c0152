# SPDX-License-Identifier: GPL-2.0
# Sourced by the scripts in this folder: where things live, and how a kernel
# line (6.1, 6.12, debug) maps to headers, a kernel image and its modules.

ALPC_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${ALPC_CACHE:-}" ]; then
	if [ "$(id -u)" = 0 ] || [ -w /var/cache ]; then
		ALPC_CACHE=/var/cache/alpc
	else
		ALPC_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/alpc
	fi
fi
export ALPC_CACHE
ALPC_LINES="6.1 6.12"

die() { echo "alpc: $*" >&2; exit 1; }
log() { echo "alpc: $*" >&2; }

# The kernel tree of Debian's linux-source-6.1, unpacked once per package
# version: kselftest harness, checkpatch, and the debug kernel's sources.
src_version() { dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null; }
src_tree() { echo "$ALPC_CACHE/src/$(src_version)/linux-source-6.1"; }

debug_fragment() { echo "$ALPC_TOP/scripts/debug-kernel.config"; }
debug_hash() {
	{ cat "$(debug_fragment)"; src_version; } | sha256sum | cut -c1-16
}
debug_dir() { echo "$ALPC_CACHE/debug-$(debug_hash)"; }

# Prints KDIR, VMLINUZ, MODDIR and RELEASE for a line as shell assignments.
line_env() {
	local line=$1 f
	case $line in
	debug)
		f=$(debug_dir)
		[ -f "$f/.alpc-built" ] || return 1
		echo "KDIR=$f"
		echo "VMLINUZ=$f/arch/x86/boot/bzImage"
		echo "MODDIR="
		echo "RELEASE=$(cat "$f/include/config/kernel.release")"
		;;
	*)
		f=$ALPC_CACHE/lines/$line.env
		[ -f "$f" ] || return 1
		cat "$f"
		;;
	esac
}

# KVM is usable only if a paused guest survives vCPU setup: on some hosts
# /dev/kvm opens but QEMU then aborts setting MSRs.
kvm_usable() {
	local p
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	qemu-system-x86_64 -accel kvm -cpu host -display none -monitor none \
		-nodefaults -S -m 64 >/dev/null 2>&1 &
	p=$!
	sleep 2
	kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 1; }
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}
