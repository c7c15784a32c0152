// SPDX-License-Identifier: MIT
// pool_server: serves the connection port "pool" (or -n NAME) with a pool
// of -j THREADS threads (default 4) waiting on one completion port, which
// the connection port is associated with. Each thread dequeues entries,
// receives one message per entry without waiting, and answers it: accepts
// every client, echoes every request. Prints what each thread did.
//
//   pool_server [-n NAME] [-j THREADS] [-r RUNDOWNS] [-t SECONDS]
//
// Exits 0 after RUNDOWNS clients have closed or died, on SIGINT/SIGTERM,
// or when SECONDS pass without -r; exits 1 when SECONDS pass first with
// -r, or on any error.
#include <alpcu/alpcu.hpp>
#include <alpcu/completion.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct Options {
    std::string name = "pool";
    unsigned threads = 4;
    unsigned long rundowns = 0; // 0: no limit
    unsigned long seconds = 0;  // 0: no limit
};

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: pool_server [-n NAME] [-j THREADS] [-r RUNDOWNS] [-t SECONDS]\n");
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    int c;
    while ((c = ::getopt(argc, argv, "n:j:r:t:")) != -1) {
        switch (c) {
        case 'n':
            o.name = optarg;
            break;
        case 'j':
            o.threads = static_cast<unsigned>(std::strtoul(optarg, nullptr, 10));
            break;
        case 'r':
            o.rundowns = std::strtoul(optarg, nullptr, 10);
            break;
        case 't':
            o.seconds = std::strtoul(optarg, nullptr, 10);
            break;
        default:
            usage();
        }
    }
    if (optind != argc || o.threads == 0 || o.threads > 256)
        usage();
    return o;
}

// What one thread of the pool did.
struct Counts {
    unsigned long entries = 0, connects = 0, requests = 0, datagrams = 0, rundowns = 0;
    unsigned long lost = 0, stale = 0; // lost replies; entries whose message was withdrawn
};

std::mutex out_lock;

void say(const std::string& s) {
    std::lock_guard g(out_lock);
    std::printf("pool_server: %s\n", s.c_str());
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) try {
    Options opt = parse(argc, argv);

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    auto port = alpcu::Port::create(opt.name);
    // No ring: many threads take entries, and only ALPC_IOC_DEQUEUE may
    // be called from several at once.
    auto cp = alpcu::CompletionPort::create();
    cp.associate(port, 1);
    say("listening on \"" + opt.name + "\" with " + std::to_string(opt.threads) + " threads");

    std::atomic<bool> stop{false};
    std::atomic<unsigned long> rundowns{0}, next_client{1};
    std::exception_ptr failure;
    std::mutex failure_lock;
    std::vector<Counts> counts(opt.threads);

    auto worker = [&](unsigned t) {
        Counts& c = counts[t];
        try {
            std::array<alpcu::Completion, 4> entries;
            while (!stop.load(std::memory_order_relaxed)) {
                // Wakes now and then to see whether it is time to stop.
                auto n = cp.dequeue(entries, 100ms);
                if (!n.ok())
                    continue;
                for (std::size_t i = 0; i < *n; ++i) {
                    ++c.entries;
                    // The entry says a message is queued; which one this
                    // thread gets does not matter, the count does.
                    auto m = port.receive(alpcu::no_wait);
                    if (!m.ok()) {
                        ++c.stale;
                        continue;
                    }
                    switch (m->type) {
                    case alpcu::MessageType::connection_request: {
                        auto id = next_client++;
                        auto hello = "welcome, client #" + std::to_string(id);
                        if (port.accept(*m, id, alpcu::bytes(hello)) == alpcu::Status::ok)
                            ++c.connects;
                        break;
                    }
                    case alpcu::MessageType::request:
                        if (port.reply(*m, m->payload()) == alpcu::Status::ok)
                            ++c.requests;
                        else
                            ++c.lost;
                        break;
                    case alpcu::MessageType::datagram:
                        ++c.datagrams;
                        break;
                    case alpcu::MessageType::port_closed:
                    case alpcu::MessageType::client_died:
                        ++c.rundowns;
                        if (opt.rundowns && ++rundowns >= opt.rundowns)
                            stop = true;
                        break;
                    default:
                        break;
                    }
                }
            }
        } catch (...) {
            std::lock_guard g(failure_lock);
            if (!failure)
                failure = std::current_exception();
            stop = true;
        }
    };

    std::vector<std::jthread> pool;
    for (unsigned t = 0; t < opt.threads; ++t)
        pool.emplace_back(worker, t);

    bool timed_out = false;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(opt.seconds);
    const timespec tick{0, 100'000'000};
    while (!stop) {
        if (int sig = sigtimedwait(&sigs, nullptr, &tick); sig > 0) {
            say(sig == SIGINT ? "SIGINT: stopping" : "SIGTERM: stopping");
            stop = true;
        } else if (opt.seconds && std::chrono::steady_clock::now() >= end) {
            timed_out = true;
            stop = true;
        }
    }
    pool.clear(); // joins
    if (failure)
        std::rethrow_exception(failure);

    Counts total;
    std::string per_thread;
    for (unsigned t = 0; t < opt.threads; ++t) {
        const Counts& c = counts[t];
        total.entries += c.entries;
        total.connects += c.connects;
        total.requests += c.requests;
        total.datagrams += c.datagrams;
        total.rundowns += c.rundowns;
        total.lost += c.lost;
        total.stale += c.stale;
        per_thread += (t ? " " : "") + std::to_string(c.requests);
        say("thread " + std::to_string(t) + ": " + std::to_string(c.entries) + " entries, " +
            std::to_string(c.connects) + " connects, " + std::to_string(c.requests) +
            " requests, " + std::to_string(c.rundowns) + " rundowns");
    }
    say(std::to_string(opt.threads) + " threads, " + std::to_string(total.connects) + " clients, " +
        std::to_string(total.requests) + " requests (per thread: " + per_thread + "), " +
        std::to_string(total.datagrams) + " datagrams, " + std::to_string(total.rundowns) +
        " rundowns, " + std::to_string(total.lost) + " lost replies");
    if (timed_out && opt.rundowns) {
        say("FAILED: " + std::to_string(opt.seconds) + " s passed before " +
            std::to_string(opt.rundowns) + " rundowns");
        return 1;
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "pool_server: %s\n", e.what());
    return 1;
}
