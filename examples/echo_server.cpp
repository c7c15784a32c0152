// SPDX-License-Identifier: MIT
// echo_server: serves the connection port "echo" (or -n NAME) and echoes
// every request back. Refuses clients whose connection data is
// "reject-me", and logs connects, refusals, closes and client deaths.
//
//   echo_server [-n NAME] [-r RUNDOWNS] [-t SECONDS]
//
// Exits 0 after RUNDOWNS clients have closed or died, on SIGINT/SIGTERM,
// or when SECONDS pass without -r; exits 1 when SECONDS pass first with
// -r, or on any error.
#include <alpcu/alpcu.hpp>

#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <map>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

struct Options {
    std::string name = "echo";
    unsigned long rundowns = 0; // 0: no limit
    unsigned long seconds = 0;  // 0: no limit
};

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: echo_server [-n NAME] [-r RUNDOWNS] [-t SECONDS]\n");
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    int c;
    while ((c = ::getopt(argc, argv, "n:r:t:")) != -1) {
        switch (c) {
        case 'n':
            o.name = optarg;
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
    if (optind != argc)
        usage();
    return o;
}

struct Client {
    std::string data;
    pid_t pid = 0;
    unsigned long requests = 0;
};

// Counts of what happened, for the summary line.
struct Totals {
    unsigned long connected = 0, refused = 0, requests = 0, datagrams = 0;
    unsigned long closed = 0, died = 0, canceled = 0;
};

__attribute__((format(printf, 1, 2))) void say(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::printf("echo_server: ");
    std::vprintf(fmt, ap);
    std::printf("\n");
    std::fflush(stdout);
    va_end(ap);
}

} // namespace

int main(int argc, char** argv) try {
    Options opt = parse(argc, argv);

    // SIGINT and SIGTERM are taken by the watcher thread, not delivered.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    auto port = alpcu::Port::create(opt.name);
    say("listening on \"%s\" (max message %u bytes)", opt.name.c_str(),
        port.attributes().max_msg_len);

    std::stop_source stop;
    bool timed_out = false;
    // Stops the server on a signal, or when the time is up.
    std::jthread watcher([&](std::stop_token st) {
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(opt.seconds);
        const timespec tick{0, 100'000'000};
        while (!st.stop_requested() && !stop.stop_requested()) {
            if (int sig = sigtimedwait(&sigs, nullptr, &tick); sig > 0) {
                say("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
                stop.request_stop();
            } else if (opt.seconds && std::chrono::steady_clock::now() >= end) {
                timed_out = true;
                stop.request_stop();
            }
        }
    });

    std::map<std::uint64_t, Client> clients; // by port context
    std::uint64_t next_context = 1;
    Totals t;
    auto who = [&](const alpcu::Message& m) {
        auto it = clients.find(m.port_context);
        return it == clients.end() ? std::string("?") : it->second.data;
    };

    auto stats = port.serve(
        [&](const alpcu::Message& m, alpcu::Responder& r) {
            switch (m.type) {
            case alpcu::MessageType::connection_request: {
                std::string data(m.text());
                if (data == "reject-me") {
                    (void)r.reject(alpcu::bytes("not welcome here: you asked to be refused"));
                    ++t.refused;
                    say("refused pid %d (data \"%s\")", m.pid, data.c_str());
                    break;
                }
                std::uint64_t ctx = next_context++;
                std::string hello = "welcome, client #" + std::to_string(ctx);
                if (r.accept(ctx, alpcu::bytes(hello)) == alpcu::Status::ok) {
                    clients[ctx] = Client{data, m.pid, 0};
                    ++t.connected;
                    say("client #%llu \"%s\" connected: pid %d uid %u",
                        static_cast<unsigned long long>(ctx), data.c_str(), m.pid, m.uid);
                } else {
                    say("pid %d gave up before its connection was accepted", m.pid);
                }
                break;
            }
            case alpcu::MessageType::request:
                r.reply(m.payload());
                ++t.requests;
                if (auto it = clients.find(m.port_context); it != clients.end())
                    ++it->second.requests;
                break;
            case alpcu::MessageType::datagram:
                ++t.datagrams;
                say("datagram from \"%s\": \"%.*s\"", who(m).c_str(),
                    static_cast<int>(m.text().size()), m.text().data());
                break;
            case alpcu::MessageType::canceled:
                ++t.canceled;
                say("\"%s\" canceled request %llu", who(m).c_str(),
                    static_cast<unsigned long long>(m.ref_id));
                break;
            case alpcu::MessageType::port_closed:
            case alpcu::MessageType::client_died: {
                bool died = m.type == alpcu::MessageType::client_died;
                ++(died ? t.died : t.closed);
                auto it = clients.find(m.port_context);
                unsigned long n = it == clients.end() ? 0 : it->second.requests;
                say("client #%llu \"%s\" %s after %lu requests (pid %d)",
                    static_cast<unsigned long long>(m.port_context), who(m).c_str(),
                    died ? "DIED" : "closed", n, m.pid);
                if (it != clients.end())
                    clients.erase(it);
                if (opt.rundowns && t.closed + t.died >= opt.rundowns)
                    stop.request_stop();
                break;
            }
            default:
                say("unexpected %s message", alpcu::to_string(m.type));
                break;
            }
        },
        stop.get_token());
    watcher.request_stop();
    watcher.join();

    say("%lu clients, %lu refused, %lu requests, %lu datagrams, %lu closed, %lu died, "
        "%lu canceled, %llu lost replies",
        t.connected, t.refused, t.requests, t.datagrams, t.closed, t.died, t.canceled,
        static_cast<unsigned long long>(stats.lost_replies));
    if (timed_out && opt.rundowns) {
        say("FAILED: %lu s passed before %lu rundowns", opt.seconds, opt.rundowns);
        return 1;
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
}
