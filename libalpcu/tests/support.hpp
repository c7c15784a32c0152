// SPDX-License-Identifier: MIT
// Helpers shared by the library's [vm] tests. Catch2's assertions are not
// thread-safe: helper threads return what they saw (std::async) and the
// test's own thread checks it.
#pragma once

#include <chrono>
#include <future>
#include <string>
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

} // namespace test
