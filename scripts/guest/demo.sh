#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo (make demo), run inside the VM with the module loaded: an echo
# server, three clients in parallel, one the server refuses, two the
# kernel denies (another uid; a secure connect expecting another owner),
# and one killed with SIGKILL while connected, which the server must see
# die; alpcctl lists them; then a file sent through a section.
# Prints what happened, then DEMO PASS or DEMO FAIL.
T=/tests
D=/tmp/demo
mkdir -p $D
cd $D || exit 1
# The shell's own job notices ("Killed") go here; shown on failure.
exec 2>$D/sh.err
ok=1
fail() {
	echo "demo: FAILED: $*"
	ok=0
}
# wait_for FILE PATTERN: up to 10 s for PATTERN to show up in FILE.
wait_for() {
	n=0
	until grep -q "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 100 ] && return 1
		sleep 0.1
	done
}

echo "demo: echo server on port \"echo\"; 3 clients, 1 refused, 1 killed"
# Four rundowns end the server: three clients close, one dies.
$T/echo_server -n echo -r 4 -t 25 >server.log 2>&1 &
server=$!
wait_for server.log listening || fail "the server did not start"

# The victim asks slowly, so the kill lands while it is connected.
$T/echo_client -d victim -c 100000 -w 20 >victim.log 2>&1 &
victim=$!
wait_for server.log '"victim" connected' || fail "the victim did not connect"

clients=
for c in 1:1 2:64 3:200; do # number:payload size
	$T/echo_client -d "client-${c%:*}" -c 300 -s "${c#*:}" >"c${c%:*}.log" 2>&1 &
	clients="$clients $!"
done
$T/echo_client -d reject-me -R >refused.log 2>&1 || fail "the refused client"
# The port is mode 0600, root's: uid 1000 never reaches the server, and a
# client that insists on an owner of uid 1000 refuses to talk to root's.
$T/echo_client -d intruder -u 1000 -D >denied.log 2>&1 || fail "uid 1000 was not denied"
$T/echo_client -d careful -S 1000 -D >>denied.log 2>&1 || fail "the secure connect was not refused"
echo "demo: alpcctl, while the clients are connected"
{ $T/alpcctl ports && $T/alpcctl connections; } >alpcctl.log 2>&1 || fail "alpcctl exited with status $?"

sleep 0.5
kill -9 $victim
wait $victim
[ $? = 137 ] || fail "the victim was not killed"
echo "demo: killed the victim (pid $victim) with SIGKILL while it was connected"
for pid in $clients; do
	wait "$pid" || fail "a client (pid $pid) exited with status $?"
done
wait $server || fail "the server exited with status $?"

# A 32 MiB file through a section, its hash checked on the other side.
head -c $((32 << 20)) /dev/urandom >blob
$T/file_transfer loop blob >ft.log 2>&1 || fail "file_transfer exited with status $?"

# A thread pool on one completion port; a client multiplexing connections.
echo "demo: pool_server (4 threads, one completion port), event_client (4 async connections, one epoll loop)"
$T/pool_server -n pool -j 4 -r 4 -t 25 >pool.log 2>&1 &
pool=$!
wait_for pool.log listening || fail "pool_server did not start"
$T/event_client -n pool -k 4 -c 500 -w 8 >event.log 2>&1 || fail "event_client exited with status $?"
wait $pool || fail "pool_server exited with status $?"

cat alpcctl.log server.log c1.log c2.log c3.log refused.log denied.log ft.log
grep 'pool_server: [0-9]* threads,' pool.log
grep 'event_client: [0-9]* connections,' event.log
grep -q 'client #[0-9]* "victim" DIED' server.log || fail "the server did not see the victim die"
grep -q 'refused pid' server.log || fail "the server did not log the refusal"
grep -q 'intruder\|careful' server.log && fail "a denied client reached the server"
grep -Eq '^ *[0-9]+ +echo +0 +0 +0600 ' alpcctl.log || fail "alpcctl did not list the echo port"
grep -q ' 3 closed, 1 died,' server.log || fail "the server's totals are off"

# A short benchmark, in this VM: the full one is make bench.
echo "demo: a short benchmark in this VM (software-emulated: compare, don't quote)"
$T/alpc_bench --sizes 64,1M --placement unpinned --scale 0.3 \
	--transports alpc-inline,alpc-section,alpc-batched,alpc-dgrams,pipe,unix-stream,binder \
	--binder-module /lib/binder_linux.ko >bench.log 2>&1 || fail "alpc_bench exited with status $?"
grep -v '^bench:' bench.log

if [ $ok = 1 ]; then
	echo "DEMO PASS"
	exit 0
fi
cat victim.log sh.err pool.log event.log
echo "DEMO FAIL"
exit 1
