// SPDX-License-Identifier: GPL-2.0
// alpc_bench: alpc against pipes, UNIX sockets, futexes and binder.
//
// For every transport, pattern (pingpong: round-trip latency; oneway:
// throughput), message size and placement (client and server pinned to
// CPUs 0 and 1, or left to the scheduler) it forks a server and a client,
// verifies every byte received, and prints a table row; --json writes the
// records, --tap one TAP line per run (the smoke run of `make check`).
#include "runner.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace bench {
namespace {

const std::vector<std::size_t> full_sizes = {16, 64, 240, 4096, 65536, 1 << 20, 16 << 20};
const std::vector<std::size_t> quick_sizes = {64, 4096};

struct Options {
    bool quick = false, tap = false;
    std::string json, accel = "unknown", binder_module;
    std::vector<std::string> transports;
    bool transports_named = false;
    std::vector<std::size_t> sizes;
    std::vector<Pattern> patterns = {Pattern::pingpong, Pattern::oneway};
    std::vector<Placement> placements;
    double scale = 1;
    std::uint64_t iterations = 0;
    unsigned timeout_s = 300;
};

[[noreturn]] void usage(int rc) {
    std::fprintf(rc ? stderr : stdout, R"(usage: alpc_bench [options]
  --quick                  smoke run: 64 B and 4 KiB, few iterations, unpinned
  --tap                    one TAP line per run (with --quick: make check)
  --json PATH              write the records as a JSON array, one per line
  --transports a,b         of: %s
  --patterns a,b           pingpong, oneway (default both)
  --sizes 64,4K,1M         message sizes (default 16,64,240,4K,64K,1M,16M)
  --placement P            pinned, unpinned or both (default both; --quick: unpinned)
  --scale F                multiply the iteration counts by F
  --iterations N           measured iterations of every run
  --timeout S              per run (default 300)
  --accel NAME             recorded as the accelerator (kvm, tcg; default unknown)
  --binder-module PATH     load this binder_linux.ko (devices=binder) if /dev/binder is missing
)",
                 [] {
                     std::string s;
                     for (auto& t : transport_table())
                         s += (s.empty() ? "" : ", ") + std::string(t.name);
                     return s;
                 }()
                     .c_str());
    std::exit(rc);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        std::size_t end = s.find(',', pos);
        if (end == std::string::npos)
            end = s.size();
        if (end > pos)
            out.push_back(s.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

std::size_t parse_size(const std::string& s) {
    char* end;
    unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    std::string unit = end;
    if (unit == "K" || unit == "KiB" || unit == "k")
        v <<= 10;
    else if (unit == "M" || unit == "MiB")
        v <<= 20;
    else if (!unit.empty() && unit != "B")
        usage(2);
    if (!v)
        usage(2);
    return v;
}

Options parse(int argc, char** argv) {
    Options o;
    std::string placement;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto arg = [&]() -> std::string {
            if (i + 1 >= argc)
                usage(2);
            return argv[++i];
        };
        if (a == "--quick")
            o.quick = true;
        else if (a == "--tap")
            o.tap = true;
        else if (a == "--json")
            o.json = arg();
        else if (a == "--transports")
            o.transports = split(arg()), o.transports_named = true;
        else if (a == "--patterns") {
            o.patterns.clear();
            for (auto& p : split(arg())) {
                if (p != "pingpong" && p != "oneway")
                    usage(2);
                o.patterns.push_back(p == "pingpong" ? Pattern::pingpong : Pattern::oneway);
            }
        } else if (a == "--sizes") {
            for (auto& s : split(arg()))
                o.sizes.push_back(parse_size(s));
        } else if (a == "--placement")
            placement = arg();
        else if (a == "--scale")
            o.scale = std::atof(arg().c_str());
        else if (a == "--iterations")
            o.iterations = std::strtoull(arg().c_str(), nullptr, 10);
        else if (a == "--timeout")
            o.timeout_s = std::atoi(arg().c_str());
        else if (a == "--accel")
            o.accel = arg();
        else if (a == "--binder-module")
            o.binder_module = arg();
        else if (a == "--help" || a == "-h")
            usage(0);
        else
            usage(2);
    }
    if (!o.transports_named)
        for (auto& t : transport_table())
            o.transports.push_back(t.name);
    for (auto& n : o.transports)
        if (std::none_of(transport_table().begin(), transport_table().end(),
                         [&](auto& t) { return n == t.name; })) {
            std::fprintf(stderr, "alpc_bench: unknown transport %s\n", n.c_str());
            usage(2);
        }
    if (o.sizes.empty())
        o.sizes = o.quick ? quick_sizes : full_sizes;
    if (placement.empty())
        placement = o.quick ? "unpinned" : "both";
    if (placement == "pinned" || placement == "both")
        o.placements.push_back(Placement::pinned);
    if (placement == "unpinned" || placement == "both")
        o.placements.push_back(Placement::unpinned);
    if (o.placements.empty() || o.scale <= 0)
        usage(2);
    return o;
}

// Iterations by size: a byte budget (32 MiB each way for ping-pong, 64 MiB
// one-way) between a floor of 5 and a ceiling (2000 round trips: small
// messages under emulation are ~100 us each). Under emulation the kernel
// copies only some 10-100 MB/s, which is what bounds the large sizes.
void iterations(const Options& o, Pattern p, std::size_t size, std::uint64_t& warm,
                std::uint64_t& n) {
    if (o.quick) {
        n = p == Pattern::pingpong ? 30 : 100;
        warm = 5;
    } else if (p == Pattern::pingpong) {
        n = std::clamp<std::uint64_t>((32u << 20) / size, 5, 2000);
        warm = std::clamp<std::uint64_t>(n / 10, 1, 100);
    } else {
        n = std::clamp<std::uint64_t>((64u << 20) / size, 5, 20000);
        warm = std::clamp<std::uint64_t>(n / 10, 1, 1000);
    }
    n = std::max<std::uint64_t>(1, std::uint64_t(n * o.scale));
    if (o.iterations)
        n = o.iterations;
}

std::string size_name(std::size_t s) {
    if (s >= (1 << 20) && s % (1 << 20) == 0)
        return std::to_string(s >> 20) + "MiB";
    if (s >= 1024 && s % 1024 == 0)
        return std::to_string(s >> 10) + "KiB";
    return std::to_string(s) + "B";
}

std::string us(const std::optional<std::int64_t>& ns) {
    char b[32];
    if (!ns)
        return "-";
    std::snprintf(b, sizeof(b), "%.1f", *ns / 1e3);
    return b;
}

std::string fmt(const std::optional<double>& v, double div, const char* f) {
    char b[32];
    if (!v)
        return "-";
    std::snprintf(b, sizeof(b), f, *v / div);
    return b;
}

std::string json_num(const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : "null";
}

std::string json_num(const std::optional<double>& v, const char* f = "%.1f") {
    char b[48];
    if (!v)
        return "null";
    std::snprintf(b, sizeof(b), f, *v);
    return b;
}

std::string json_str(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\')
            out += '\\';
        if (static_cast<unsigned char>(ch) >= 0x20)
            out += ch;
    }
    return out + "\"";
}

struct Env {
    std::string kernel, accel;
    long cpus;
    std::int64_t clock_ns; // what one clock_gettime costs here
};

// The median cost of reading CLOCK_MONOTONIC: under emulation without a
// usable TSC it is a system call and a timer read, part of every sample.
std::int64_t clock_cost() {
    std::vector<std::int64_t> v;
    for (int i = 0; i < 101; i++) {
        std::int64_t a = now_ns();
        std::int64_t b = now_ns();
        v.push_back(b - a);
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::string record(const RunSpec& s, const RunResult& r, const Env& env) {
    std::string j = "{";
    j += "\"transport\":" + json_str(s.transport->name);
    j += ",\"pattern\":" + json_str(name(s.pattern));
    j += ",\"size\":" + std::to_string(s.size);
    j += ",\"iterations\":" + std::to_string(s.iterations);
    j += ",\"p50_ns\":" + json_num(r.p50_ns);
    j += ",\"p90_ns\":" + json_num(r.p90_ns);
    j += ",\"p99_ns\":" + json_num(r.p99_ns);
    j += ",\"msgs_per_s\":" + json_num(r.msgs_per_s);
    j += ",\"bytes_per_s\":" + json_num(r.bytes_per_s, "%.0f");
    j += ",\"placement\":" + json_str(name(s.placement));
    j += ",\"kernel\":" + json_str(env.kernel);
    j += ",\"syscalls_per_op\":" + json_num(r.syscalls_per_op, "%.3f");
    j += ",\"ctxsw_per_op\":" + json_num(r.ctxsw_per_op, "%.3f");
    j += ",\"vcsw_per_op\":" + json_num(r.vcsw_per_op, "%.3f");
    j += ",\"ivcsw_per_op\":" + json_num(r.ivcsw_per_op, "%.3f");
    j += ",\"warmup\":" + std::to_string(s.warmup);
    j += ",\"cpus\":" + std::to_string(env.cpus);
    j += ",\"accel\":" + json_str(env.accel);
    j += ",\"clock_ns\":" + std::to_string(env.clock_ns);
    return j + "}";
}

// The smoke run in `make check` boots a VM whose init does not load
// binder; load it here when asked.
void load_binder(const std::string& path) {
    if (path.empty() || binder_unavailable().empty())
        return;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        std::printf("# %s: %s\n", path.c_str(), std::strerror(errno));
        return;
    }
    if (syscall(SYS_finit_module, fd, "devices=binder", 0) && errno != EEXIST)
        std::printf("# loading %s: %s\n", path.c_str(), std::strerror(errno));
    close(fd);
}

int run_all(const Options& o) {
    Env env;
    utsname u;
    uname(&u);
    env.kernel = u.release;
    env.accel = o.accel;
    env.cpus = sysconf(_SC_NPROCESSORS_ONLN);
    env.clock_ns = clock_cost();
    load_binder(o.binder_module);

    struct Planned {
        RunSpec spec;
        std::string skip;
    };
    std::vector<Planned> plan;
    std::size_t max_size = 0;
    // Transports innermost: runs to be compared follow each other, so a
    // noisy neighbour on a shared host skews a ratio less.
    for (Pattern p : o.patterns)
        for (std::size_t size : o.sizes)
            for (Placement pl : o.placements)
                for (auto& t : transport_table()) {
                    if (std::find(o.transports.begin(), o.transports.end(), t.name) ==
                            o.transports.end() ||
                        size > t.make()->max_size() || !t.make()->supports(p))
                        continue;
                    Planned x{{&t, p, size, 0, 0, pl, o.timeout_s}, t.unavailable()};
                    iterations(o, p, size, x.spec.warmup, x.spec.iterations);
                    if (pl == Placement::pinned && env.cpus < 2)
                        x.skip = "pinned needs 2 CPUs";
                    if (x.skip.empty())
                        max_size = std::max(max_size, size);
                    plan.push_back(x);
                }

    std::printf("# alpc_bench: kernel %s, %ld CPUs, accelerator %s, clock_gettime %lld ns\n",
                env.kernel.c_str(), env.cpus, env.accel.c_str(), (long long)env.clock_ns);
    const char* c = o.tap ? "# " : "";
    if (o.tap)
        std::printf("1..%zu\n", plan.size());
    std::printf("%s%-14s %-8s %6s %-8s %6s %9s %9s %9s %10s %9s %6s %6s %6s\n", c, "transport",
                "pattern", "size", "place", "iters", "p50_us", "p90_us", "p99_us", "msgs/s",
                "MiB/s", "sc/op", "cs/op", "secs");
    std::fflush(stdout);

    Payload payload(max_size);
    std::vector<std::string> records;
    int failed = 0, n = 0;
    for (auto& x : plan) {
        const RunSpec& s = x.spec;
        std::string label = std::string(s.transport->name) + " " + name(s.pattern) + " " +
                            size_name(s.size) + " " + name(s.placement);
        n++;
        if (!x.skip.empty()) {
            bool named = o.transports_named && x.skip != "pinned needs 2 CPUs";
            if (o.tap)
                std::printf("%sok %d %s # SKIP %s\n", named ? "not " : "", n, label.c_str(),
                            x.skip.c_str());
            else
                std::printf("%s %s: %s\n", named ? "FAIL" : "skipped", label.c_str(),
                            x.skip.c_str());
            failed += named;
            continue;
        }
        std::int64_t start = now_ns();
        RunResult r = run(s, payload);
        double secs = (now_ns() - start) / 1e9;
        if (!r.error.empty()) {
            failed++;
            if (o.tap)
                std::printf("not ok %d %s verified\n# %s\n", n, label.c_str(), r.error.c_str());
            else
                std::printf("FAIL %s: %s\n", label.c_str(), r.error.c_str());
            std::fflush(stdout);
            continue;
        }
        records.push_back(record(s, r, env));
        std::printf(
            "%s%-14s %-8s %6s %-8s %6llu %9s %9s %9s %10s %9s %6.2f %6.2f %6.1f\n", c,
            s.transport->name, name(s.pattern), size_name(s.size).c_str(), name(s.placement),
            (unsigned long long)s.iterations, us(r.p50_ns).c_str(), us(r.p90_ns).c_str(),
            us(r.p99_ns).c_str(), fmt(r.msgs_per_s, 1, "%.0f").c_str(),
            fmt(r.bytes_per_s, 1 << 20, "%.1f").c_str(), r.syscalls_per_op, r.ctxsw_per_op, secs);
        if (o.tap)
            std::printf("ok %d %s verified\n", n, label.c_str());
        std::fflush(stdout);
    }

    if (!o.json.empty()) {
        FILE* f = std::fopen(o.json.c_str(), "w");
        if (!f) {
            std::printf("FAIL %s: %s\n", o.json.c_str(), std::strerror(errno));
            return 1;
        }
        std::fprintf(f, "[\n");
        for (std::size_t i = 0; i < records.size(); i++)
            std::fprintf(f, "%s%s\n", records[i].c_str(), i + 1 < records.size() ? "," : "");
        std::fprintf(f, "]\n");
        if (std::fclose(f)) {
            std::printf("FAIL %s: %s\n", o.json.c_str(), std::strerror(errno));
            return 1;
        }
    }
    if (failed)
        std::printf("%s%d of %zu runs failed\n", o.tap ? "# " : "FAIL: ", failed, plan.size());
    return failed ? 1 : 0;
}

} // namespace
} // namespace bench

int main(int argc, char** argv) {
    return bench::run_all(bench::parse(argc, argv));
}
