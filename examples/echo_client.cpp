// SPDX-License-Identifier: MIT
// echo_client: connects to the echo server's port "echo" (or -n NAME)
// with connection data -d DATA, sends a datagram, then -c COUNT requests
// of -s SIZE bytes, checks that every echo is byte for byte the request,
// and prints a summary. -w MS sleeps between requests (so a demo can kill
// the client while it is connected); -R expects the server to refuse.
// -u UID drops to that uid and gid (as root) before connecting; -S UID
// insists that the port belong to that uid (a secure connect); -D expects
// the kernel to deny the connect (the port's security descriptor: EACCES;
// another owner than -S: EPERM) before the server hears of it.
//
//   echo_client [-n NAME] [-d DATA] [-c COUNT] [-s SIZE] [-w MS] [-R]
//               [-u UID] [-S UID] [-D]
//
// Exits 0 when every echo came back intact (or, with -R, when the
// connection was refused; with -D, denied), 1 otherwise.
#include <alpcu/alpcu.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <grp.h>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct Options {
    std::string name = "echo";
    std::string data = "client";
    unsigned long count = 100;
    std::size_t size = 64;
    unsigned long sleep_ms = 0;
    bool expect_refused = false;
    std::optional<uid_t> as_uid;
    std::optional<uid_t> server_uid;
    bool expect_denied = false;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: echo_client [-n NAME] [-d DATA] [-c COUNT] [-s SIZE] [-w MS] [-R]\n"
                 "                   [-u UID] [-S UID] [-D]\n");
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    int c;
    while ((c = ::getopt(argc, argv, "n:d:c:s:w:Ru:S:D")) != -1) {
        switch (c) {
        case 'n':
            o.name = optarg;
            break;
        case 'd':
            o.data = optarg;
            break;
        case 'c':
            o.count = std::strtoul(optarg, nullptr, 10);
            break;
        case 's':
            o.size = std::strtoul(optarg, nullptr, 10);
            break;
        case 'w':
            o.sleep_ms = std::strtoul(optarg, nullptr, 10);
            break;
        case 'R':
            o.expect_refused = true;
            break;
        case 'u':
            o.as_uid = static_cast<uid_t>(std::strtoul(optarg, nullptr, 10));
            break;
        case 'S':
            o.server_uid = static_cast<uid_t>(std::strtoul(optarg, nullptr, 10));
            break;
        case 'D':
            o.expect_denied = true;
            break;
        default:
            usage();
        }
    }
    if (optind != argc)
        usage();
    return o;
}

// Request i: its number, then a pattern that differs from request to request.
std::vector<std::byte> make_request(unsigned long i, std::size_t size) {
    std::vector<std::byte> b(size);
    for (std::size_t k = 0; k < size; ++k)
        b[k] = static_cast<std::byte>(k < sizeof i ? i >> (8 * k) : i * 31 + k);
    return b;
}

} // namespace

int main(int argc, char** argv) try {
    Options opt = parse(argc, argv);
    std::string me = "echo_client[" + opt.data + "]";

    if (opt.as_uid && (::setgroups(0, nullptr) || ::setgid(*opt.as_uid) || ::setuid(*opt.as_uid)))
        throw std::system_error(errno, std::generic_category(), "dropping to uid");

    std::optional<alpcu::ConnectResult> c;
    try {
        c.emplace(alpcu::Connection::connect(opt.name, alpcu::bytes(opt.data), 10s,
                                             {.server_uid = opt.server_uid}));
    } catch (const std::system_error& e) {
        if (e.code() != std::errc::permission_denied &&
            e.code() != std::errc::operation_not_permitted)
            throw;
        std::printf("%s: uid %u denied by the kernel: %s\n", me.c_str(), ::getuid(),
                    e.code().message().c_str());
        return opt.expect_denied ? 0 : 1;
    }
    if (opt.expect_denied) {
        std::printf("%s: FAILED: not denied\n", me.c_str());
        return 1;
    }
    auto& conn = *c;
    std::string answer(alpcu::text(conn.server_data()));
    if (conn.status() == alpcu::Status::refused) {
        std::printf("%s: refused: \"%s\"\n", me.c_str(), answer.c_str());
        return opt.expect_refused ? 0 : 1;
    }
    if (!conn.ok()) {
        std::printf("%s: connect: %s\n", me.c_str(), alpcu::to_string(conn.status()));
        return 1;
    }
    if (opt.expect_refused) {
        std::printf("%s: FAILED: accepted (\"%s\") but expected a refusal\n", me.c_str(),
                    answer.c_str());
        return 1;
    }
    std::printf("%s: connected: \"%s\"\n", me.c_str(), answer.c_str());
    std::fflush(stdout);

    auto hello = "hello from " + opt.data;
    if (auto s = conn->send(alpcu::bytes(hello), 10s); !s.ok()) {
        std::printf("%s: datagram: %s\n", me.c_str(), alpcu::to_string(s.status()));
        return 1;
    }

    unsigned long good = 0;
    auto start = std::chrono::steady_clock::now();
    for (unsigned long i = 0; i < opt.count; ++i) {
        auto req = make_request(i, opt.size);
        auto reply = conn->request(req, 10s);
        if (!reply.ok()) {
            std::printf("%s: request %lu: %s\n", me.c_str(), i, alpcu::to_string(reply.status()));
            break;
        }
        auto got = reply->payload();
        if (reply->type != alpcu::MessageType::reply ||
            !std::equal(got.begin(), got.end(), req.begin(), req.end())) {
            std::printf("%s: request %lu: the echo differs (%zu bytes back, %zu sent)\n",
                        me.c_str(), i, got.size(), req.size());
            break;
        }
        ++good;
        if (opt.sleep_ms)
            std::this_thread::sleep_for(std::chrono::milliseconds(opt.sleep_ms));
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    std::printf("%s: %lu/%lu echoes of %zu bytes intact, %lld us per request\n", me.c_str(), good,
                opt.count, opt.size,
                static_cast<long long>(good ? us / static_cast<long long>(good) : 0));
    return good == opt.count ? 0 : 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "echo_client: %s\n", e.what());
    return 1;
}
