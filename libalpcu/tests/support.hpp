// SPDX-License-Identifier: MIT
// Helpers shared by the library's [vm] tests. Catch2's assertions are not
// thread-safe: helper threads return what they saw (std::async) and the
// test's own thread checks it.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <future>
#include <grp.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "alpcu/connection.hpp"
#include "alpcu/port.hpp"

namespace test {

using namespace std::chrono_literals;

// A port name no other test uses.
inline std::string unique_name(const char* tag) {
    static int n;
    return std::string(tag) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

// A connection port and one client connected to it, accepted with
// port_context; the server took no communication port.
struct Pair {
    std::string name;
    alpcu::Port port;
    alpcu::Connection client;
};

inline Pair connect_pair(alpcu::PortAttributes attr = {}, std::uint64_t port_context = 7) {
    auto name = unique_name("pair");
    auto port = alpcu::Port::create(name, attr);
    auto client =
        std::async(std::launch::async, [&] { return alpcu::Connection::connect(name, {}, 5s); });
    auto req = port.receive(5s).value();
    if (port.accept(req, port_context) != alpcu::Status::ok)
        throw std::runtime_error("connect_pair: accept lost");
    return Pair{name, std::move(port), std::move(client.get()).value()};
}

// A connection port, one client, and the server communication port the
// server took for it with accept_port: a connection on which both ends
// can create sections.
struct CommPair {
    std::string name;
    alpcu::Port port;
    alpcu::Connection client;
    alpcu::Connection server;
};

inline CommPair connect_comm_pair(alpcu::PortAttributes attr = {}, std::uint64_t port_context = 7) {
    auto name = unique_name("comm");
    auto port = alpcu::Port::create(name, attr);
    auto client =
        std::async(std::launch::async, [&] { return alpcu::Connection::connect(name, {}, 5s); });
    auto req = port.receive(5s).value();
    auto server = port.accept_port(req, port_context);
    if (!server.ok())
        throw std::runtime_error("connect_comm_pair: accept lost");
    return CommPair{name, std::move(port), std::move(client.get()).value(),
                    std::move(server).value()};
}

// Runs f in a forked child, whose exit status is what f returns (100 if it
// throws). Catch2 is not used in children.
template <class F> pid_t spawn(F f) {
    pid_t pid = ::fork();
    if (pid == 0) {
        // Catch2's handlers would report a signal as the test's failure.
        for (int sig : {SIGINT, SIGILL, SIGFPE, SIGSEGV, SIGTERM, SIGABRT})
            ::signal(sig, SIG_DFL);
        int rc = 100;
        try {
            rc = f();
        } catch (...) {
        }
        ::_exit(rc);
    }
    REQUIRE(pid > 0);
    return pid;
}

// Waits for a child: its exit status, or 128 + the signal that killed it.
inline int reap(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// As root, in a child: becomes uid and gid, with no supplementary groups.
inline bool drop_to(uid_t uid, gid_t gid) {
    return ::setgroups(0, nullptr) == 0 && ::setgid(gid) == 0 && ::setuid(uid) == 0;
}

// The pid a pidfd refers to, from /proc/self/fdinfo; -1 if fd is not a
// pidfd.
inline pid_t pidfd_pid(int fd) {
    std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("Pid:", 0) == 0)
            return static_cast<pid_t>(std::stol(line.substr(4)));
    return -1;
}

} // namespace test
