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

# kvm_usable VMLINUZ: whether KVM boots that kernel. A guest that merely
# starts is not proof: on some hosts /dev/kvm opens and QEMU aborts setting
# MSRs, and on others (nested virtualization) firmware runs but Linux
# stalls before its first line. So the kernel must print its banner within
# 15 s (a KVM boot prints it in well under one). The answer is kept per
# host boot and kernel. ALPC_ACCEL=tcg or kvm overrides the probe.
kvm_usable() {
	local vmlinuz=$1 boot key f out p i
	case ${ALPC_ACCEL:-} in
	tcg) return 1 ;;
	kvm) return 0 ;;
	esac
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	key=$(printf '%s %s' "$boot" "$vmlinuz" | sha256sum | cut -c1-16)
	f=$ALPC_CACHE/kvm-probe-$key
	if [ ! -f "$f" ]; then
		out=$(mktemp)
		qemu-system-x86_64 -accel kvm -cpu host -m 256 -display none -monitor none \
			-nodefaults -no-reboot -kernel "$vmlinuz" \
			-append "console=ttyS0 panic=-1" -serial "file:$out" >/dev/null 2>&1 &
		p=$!
		echo no >"$f.tmp"
		for i in $(seq 30); do
			grep -q 'Linux version' "$out" 2>/dev/null && { echo yes >"$f.tmp"; break; }
			kill -0 "$p" 2>/dev/null || break
			sleep 0.5
		done
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		rm -f "$out"
		mv "$f.tmp" "$f"
	fi
	[ "$(cat "$f")" = yes ]
}
