// SPDX-License-Identifier: GPL-2.0
// The measurement, common to every transport.
//
// The parent builds the transport, forks the server, then the client, and
// waits for both (an alarm bounds the wait). Each child pins itself if
// asked (client on CPU 0, server on CPU 1), sets up its side, runs the
// loop and writes its numbers into a shared control block. A failed check
// in either child fails the run, and the parent kills the other.
//
// Ping-pong: the client times every round trip with CLOCK_MONOTONIC and
// keeps those after the warm-up. System calls and context switches are
// counted over all round trips on both sides (the warm-up's cost the
// same), so a server loop that answers one request and receives the next
// in one call is counted exactly.
//
// One-way: after the warm-up messages, the client waits until the server
// has consumed them, so the queue is empty when the clock starts; the
// rate is the measured messages over the time from the client's first
// send to the server's last receive.
#include "runner.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <new>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bench {

const char* name(Pattern p) {
    return p == Pattern::pingpong ? "pingpong" : "oneway";
}
const char* name(Placement p) {
    return p == Placement::pinned ? "pinned" : "unpinned";
}

Payload::Payload(std::size_t max_size) : buf_(max_size + 4093 * 16) {
    std::uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (std::size_t i = 0; i + 8 <= buf_.size(); i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::memcpy(&buf_[i], &x, 8);
    }
}

void Payload::check(const std::byte* got, std::size_t len, std::uint64_t i, int dir) const {
    const std::byte* want = message(i, dir);
    if (std::memcmp(got, want, len) == 0)
        return;
    std::size_t at = 0;
    while (got[at] == want[at])
        at++;
    failf("%s %llu: byte %zu of %zu is %#x, expected %#x", dir ? "reply" : "message",
          (unsigned long long)i, at, len, unsigned(got[at]), unsigned(want[at]));
}

namespace {

enum Role { server, client };

struct Control {
    std::atomic<std::uint32_t> server_ready, warm_done, server_done;
    std::int64_t t0_ns, t1_ns;
    std::uint64_t syscalls[2];
    std::int64_t vcsw[2], ivcsw[2];
    std::int64_t p50, p90, p99;
    char error[2][480];
};

void signal_flag(std::atomic<std::uint32_t>& f) {
    f.store(1);
    futex_wake_all(reinterpret_cast<std::uint32_t*>(&f));
}

void wait_flag(std::atomic<std::uint32_t>& f) {
    while (!f.load())
        futex_wait_value(reinterpret_cast<std::uint32_t*>(&f), 0);
}

// Voluntary and involuntary context switches of this process so far.
struct Csw {
    std::int64_t vol, invol;
};

Csw ctxsw() {
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return {ru.ru_nvcsw, ru.ru_nivcsw};
}

void store_ctxsw(Control& c, int role, const Csw& start) {
    Csw end = ctxsw();
    c.vcsw[role] = end.vol - start.vol;
    c.ivcsw[role] = end.invol - start.invol;
}

void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set))
        fail_errno("sched_setaffinity");
}

// Nearest-rank percentile of sorted samples.
std::int64_t percentile(const std::vector<std::int64_t>& v, double q) {
    std::size_t rank = std::size_t(q * v.size() + 0.999999);
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

void serve(Transport& t, const RunSpec& s, const Payload& pl, Control& c) {
    const std::uint64_t total = s.warmup + s.iterations;
    t.server_setup();
    signal_flag(c.server_ready);
    t.server_accept();
    Csw csw0;
    if (s.pattern == Pattern::pingpong) {
        t.reset_syscalls();
        csw0 = ctxsw();
        const std::byte* req = t.reply_recv(nullptr, s.size, true);
        for (std::uint64_t i = 0; i < total; i++) {
            pl.check(req, s.size, i, 0);
            req = t.reply_recv(pl.message(i, 1), s.size, i + 1 < total);
        }
    } else {
        for (std::uint64_t i = 0; i < s.warmup; i++)
            pl.check(t.recv(s.size), s.size, i, 0);
        signal_flag(c.warm_done);
        t.reset_syscalls();
        csw0 = ctxsw();
        for (std::uint64_t i = s.warmup; i < total; i++)
            pl.check(t.recv(s.size), s.size, i, 0);
        c.t1_ns = now_ns();
    }
    store_ctxsw(c, server, csw0);
    c.syscalls[server] = t.syscalls();
    signal_flag(c.server_done);
    t.finish();
}

void call(Transport& t, const RunSpec& s, const Payload& pl, Control& c) {
    const std::uint64_t total = s.warmup + s.iterations;
    wait_flag(c.server_ready);
    t.client_setup();
    Csw csw0;
    if (s.pattern == Pattern::pingpong) {
        std::vector<std::int64_t> lat(s.iterations);
        t.reset_syscalls();
        csw0 = ctxsw();
        for (std::uint64_t i = 0; i < total; i++) {
            std::int64_t a = now_ns();
            const std::byte* rep = t.call(pl.message(i, 0), s.size);
            std::int64_t b = now_ns();
            pl.check(rep, s.size, i, 1);
            if (i >= s.warmup)
                lat[i - s.warmup] = b - a;
        }
        store_ctxsw(c, client, csw0);
        c.syscalls[client] = t.syscalls();
        std::sort(lat.begin(), lat.end());
        c.p50 = percentile(lat, 0.50);
        c.p90 = percentile(lat, 0.90);
        c.p99 = percentile(lat, 0.99);
    } else {
        for (std::uint64_t i = 0; i < s.warmup; i++)
            t.send(pl.message(i, 0), s.size);
        t.flush();
        wait_flag(c.warm_done);
        t.reset_syscalls();
        csw0 = ctxsw();
        c.t0_ns = now_ns();
        for (std::uint64_t i = s.warmup; i < total; i++)
            t.send(pl.message(i, 0), s.size);
        t.flush();
        store_ctxsw(c, client, csw0);
        c.syscalls[client] = t.syscalls();
    }
    // The server may still be receiving: keep this end open until it is done.
    wait_flag(c.server_done);
    t.finish();
}

[[noreturn]] void child(Role role, Transport& t, const RunSpec& s, const Payload& pl, Control& c) {
    signal(SIGPIPE, SIG_IGN);
    try {
        if (s.placement == Placement::pinned)
            pin(role == client ? 0 : 1);
        if (role == server)
            serve(t, s, pl, c);
        else
            call(t, s, pl, c);
        _exit(0);
    } catch (const std::exception& e) {
        std::snprintf(c.error[role], sizeof(c.error[role]), "%s: %s",
                      role == server ? "server" : "client", e.what());
    }
    _exit(1);
}

void on_alarm(int) {}

} // namespace

RunResult run(const RunSpec& s, const Payload& pl) {
    RunResult r;
    auto* c = new (map_shared(sizeof(Control))) Control{};
    pid_t pid[2] = {-1, -1};
    try {
        auto t = s.transport->make();
        t->prepare(s.pattern, s.size);
        std::fflush(nullptr);
        for (Role role : {server, client}) {
            pid[role] = fork();
            if (pid[role] < 0)
                fail_errno("fork");
            if (pid[role] == 0)
                child(role, *t, s, pl, *c);
        }
    } catch (const std::exception& e) {
        r.error = e.what();
    }

    struct sigaction sa = {}, old;
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, &old);
    alarm(s.timeout_s);
    int left = (pid[0] > 0) + (pid[1] > 0);
    bool timed_out = false, killed = false;
    std::string died; // a child that ended without saying why
    while (left) {
        int st;
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0 && errno == EINTR)
            timed_out = true;
        else if (p < 0)
            break;
        else {
            Role role = p == pid[server] ? server : client;
            pid[role] = -1;
            left--;
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                continue;
            if (killed && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
                continue;
            if (!c->error[role][0] && died.empty())
                died = std::string(role == server ? "server" : "client") +
                       (WIFSIGNALED(st) ? " killed by signal " + std::to_string(WTERMSIG(st))
                                        : " failed");
        }
        // One side failed or hangs: the other would wait for it forever.
        for (pid_t q : pid)
            if (q > 0)
                kill(q, SIGKILL);
        killed = true;
    }
    alarm(0);
    sigaction(SIGALRM, &old, nullptr);

    // The side that found the problem first says what it was; the other
    // side's complaint (a closed stream, say) is a consequence.
    std::string said;
    for (const char* e : c->error)
        if (e[0])
            said += (said.empty() ? "" : "; then ") + std::string(e);
    if (timed_out)
        r.error = "timed out after " + std::to_string(s.timeout_s) + " s";
    for (const std::string& e : {said, died})
        if (!e.empty())
            r.error += (r.error.empty() ? "" : ": ") + e;

    if (r.error.empty()) {
        const double total = double(s.warmup + s.iterations);
        double ops;
        if (s.pattern == Pattern::pingpong) {
            r.p50_ns = c->p50;
            r.p90_ns = c->p90;
            r.p99_ns = c->p99;
            ops = total;
        } else {
            double secs = (c->t1_ns - c->t0_ns) / 1e9;
            r.msgs_per_s = s.iterations / secs;
            r.bytes_per_s = *r.msgs_per_s * s.size;
            ops = s.iterations;
        }
        r.syscalls_per_op = (c->syscalls[0] + c->syscalls[1]) / ops;
        r.vcsw_per_op = (c->vcsw[0] + c->vcsw[1]) / ops;
        r.ivcsw_per_op = (c->ivcsw[0] + c->ivcsw[1]) / ops;
        r.ctxsw_per_op = r.vcsw_per_op + r.ivcsw_per_op;
    }
    unmap_shared(c, sizeof(Control));
    return r;
}

} // namespace bench
