#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots a kernel line in QEMU with alpc.ko and the test binaries in a
# busybox initramfs.
#
#   vm.sh check LINE   run build/vm/manifest, print a line per result,
#                      write build/results/LINE.results
#   vm.sh shell LINE   interactive shell with the module loaded
#   vm.sh MODE LINE    run /tests/MODE.sh in the VM (demo, bench)
#
# VM_APPEND adds to the guest kernel command line (init_on_alloc=0, ...);
# ALPC_ACCEL=tcg|kvm skips the KVM probe (common.sh's kvm_usable);
# VM_QEMU_ARGS adds QEMU options (below);
# VM_MEM, VM_CPUS and VM_TIMEOUT size and bound the VM.
#
# Results come back on the VM's second serial port; the console log is
# kept in build/vm/LINE/console.log and scanned for splats as a backstop.
set -euo pipefail
. "$(dirname "$0")/common.sh"

mode=$1 line=$2
B=$ALPC_TOP/build
env=$(line_env "$line") || die "kernel line $line is not set up (make setup, or make check-debug for debug)"
eval "$env"
ko=$B/$line/kmod/alpc.ko
[ -f "$ko" ] || die "no module at $ko"
vmdir=$B/vm/$line
root=$vmdir/root
rm -rf "$root"
mkdir -p "$root"/{bin,lib,tests,proc,sys,dev,tmp} "$B/results"

cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 755 "$ALPC_TOP/scripts/guest/init" "$root/init"
cp "$ko" "$root/lib/alpc.ko"
[ -n "$MODDIR" ] && for m in "$MODDIR"/kernel/drivers/android/binder_linux.ko*; do
	[ -f "$m" ] || continue
	case $m in
	*.xz) xz -dc "$m" >"$root/lib/binder_linux.ko" ;;
	*) cp "$m" "$root/lib/binder_linux.ko" ;;
	esac
done
cp -a "$B/vm/tests/." "$root/tests/"

# Shared libraries of every test binary, at the paths the loader expects.
for f in "$root"/tests/*; do
	[ -x "$f" ] && [ "$(head -c4 "$f" | tail -c3)" = ELF ] || continue
	ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || true
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$vmdir/initrd.gz"

if kvm_usable "$VMLINUZ" 2>/dev/null; then
	accel=(-accel kvm -cpu host) accel_name=kvm
else
	accel=(-accel tcg -cpu max) accel_name=tcg
fi
cmdline="console=ttyS0 panic=-1 oops=panic loglevel=7 alpc.mode=$mode alpc.accel=$accel_name${VM_APPEND:+ $VM_APPEND}"
qemu=(qemu-system-x86_64 -m "${VM_MEM:-2048}" -smp "${VM_CPUS:-2}" "${accel[@]}"
	-no-reboot -kernel "$VMLINUZ"
	-initrd "$vmdir/initrd.gz" -append "$cmdline" -display none
	-monitor none -net none)
# VM_QEMU_ARGS: more QEMU options, word-split (e.g. "-icount shift=0,sleep=off"
# with VM_CPUS=1 and ALPC_ACCEL=tcg: the guest clock counts instructions).
read -r -a extra <<<"${VM_QEMU_ARGS:-}"
qemu+=("${extra[@]}")

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio -serial null
fi

console=$vmdir/console.log results=$vmdir/results.log
: >"$console"
: >"$results"
timeout=${VM_TIMEOUT:-1800}
timeout -s KILL "$timeout" "${qemu[@]}" -serial "file:$console" \
	-serial "file:$results" 2>"$vmdir/qemu.err" &
qpid=$!

# Print results as they arrive.
out=$B/results/$line.results
: >"$out"
seen=0
show() {
	local n l
	n=$(wc -l <"$results")
	[ "$n" -gt "$seen" ] || return 0
	sed -n "$((seen + 1)),${n}p" "$results" | tr -d '\r' | while IFS= read -r l; do
		case $l in
		PASS*|FAIL*|SKIP*) echo "$l" >>"$out"; printf '%s [%s] %s\n' "${l%% *}" "$line" "${l#* }" ;;
		LOG*) printf '     [%s] %s\n' "$line" "${l#LOG }" ;;
		GCDA*) ;;	# coverage data (make fuzz): kept in results.log only
		INFO*|DONE) echo "$l" >>"$out"; [ "$mode" = check ] || printf '%s\n' "$l" ;;
		*) printf '%s\n' "$l" ;;
		esac
	done
	seen=$n
}
while kill -0 "$qpid" 2>/dev/null; do
	show
	sleep 1
done
wait "$qpid" && qrc=0 || qrc=$?
show

echo "INFO accel=$accel_name" >>"$out"

fail() { echo "FAIL $1" >>"$out"; printf 'FAIL [%s] %s\n' "$line" "$1"; }
if ! grep -qx DONE "$out"; then
	if [ "$qrc" = 137 ]; then
		fail "vm: timed out after ${timeout}s"
	else
		fail "vm: ended before the tests finished (panic?)"
	fi
	tail -60 "$console" | sed "s/^/     [$line] /"
	# A fuzzer run names its seed in the kernel log: show it with the panic.
	grep -h 'reproduce: ' "$console" | tail -1 | sed "s/^/     [$line] /"
elif [ "$qrc" = 137 ]; then
	fail "vm: did not power off"
fi

# Backstop: a splat the guest could not report (it died first). (With
# pipefail, a pipeline must not end in grep -q: the writer can die of
# SIGPIPE when grep exits at the first match, failing the pipeline, and a
# found splat would read as none.)
splat=0
if ! grep -q '^FAIL .*kernel splat' "$out" &&
	sed -n '/alpc-runner: tests begin/,$p' "$console" |
	grep -E 'BUG:|WARNING:|Oops|KASAN|Kernel panic|Call Trace:|INFO: task .* blocked|soft lockup' \
		>/dev/null; then
	splat=1
	fail "vm: kernel splat in the console log"
	sed -n '/alpc-runner: tests begin/,$p' "$console" | grep -m1 -A40 -E 'BUG:|WARNING:|Oops|KASAN|Kernel panic|Call Trace:' |
		sed "s/^/     [$line] /" || true
fi
# Modes other than check (demo, bench) fail on any failure their script
# reported ("FAIL ..." or "... FAIL" lines), a splat, or an unfinished run.
if [ "$mode" != check ]; then
	[ "$splat" = 0 ] && grep -qx DONE "$out" && [ "$qrc" != 137 ] &&
		! tr -d '\r' <"$results" | grep -E '^FAIL|^[A-Z]+ FAIL$' >/dev/null || exit 1
fi
exit 0
