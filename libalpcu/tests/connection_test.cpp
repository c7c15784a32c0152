// SPDX-License-Identifier: MIT
// Connections: requests, replies, datagrams, and the outcomes that come
// back as values. Tests tagged [vm] need the module: they run in the VM.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <future>
#include <pthread.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

#include "alpcu/connection.hpp"
#include "alpcu/port.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using alpcu::Connection;
using alpcu::MessageType;
using alpcu::Status;

namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

std::vector<std::byte> all_byte_values() {
    std::vector<std::byte> v(256);
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<std::byte>(i);
    return v;
}

} // namespace

TEST_CASE("Connection owns its fd: move transfers it, release gives it up", "[connection]") {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    {
        Connection a{alpcu::Fd(p[0])};
        Connection b(std::move(a));
        CHECK(a.fd() == -1); // NOLINT(bugprone-use-after-move): the contract under test
        CHECK(b.fd() == p[0]);
        Connection c{alpcu::Fd(p[1])};
        c = std::move(b); // closes p[1]
        CHECK_FALSE(is_open(p[1]));
        CHECK(c.fd() == p[0]);
    }
    CHECK_FALSE(is_open(p[0]));
    static_assert(!std::is_copy_constructible_v<Connection>);
    static_assert(std::is_nothrow_move_constructible_v<Connection>);
    static_assert(std::is_nothrow_move_assignable_v<Connection>);
    static_assert(!std::is_convertible_v<int, Connection>);
    static_assert(!std::is_constructible_v<bool, Connection>);
    static_assert(!std::is_copy_constructible_v<alpcu::Port>);
    static_assert(std::is_nothrow_move_constructible_v<alpcu::Port>);
    static_assert(!std::is_constructible_v<bool, alpcu::Port>);
}

TEST_CASE("request and reply carry bytes both ways, with ids and contexts", "[vm][connection]") {
    auto pair = test::connect_pair({}, 7);
    auto data = all_byte_values();
    auto client =
        std::async(std::launch::async, [&] { return pair.client.request(data, 5s, 0x1234); });
    auto req = pair.port.receive(5s);
    REQUIRE(req.ok());
    CHECK(req->type == MessageType::request);
    CHECK(req->id != 0);
    CHECK(req->context == 0x1234);
    CHECK(req->port_context == 7);
    CHECK(req->pid == ::getpid());
    CHECK(std::ranges::equal(req->payload(), data));

    std::vector<std::byte> back(data.rbegin(), data.rend());
    CHECK(pair.port.reply(*req, back, 0x5678) == Status::ok);
    auto reply = client.get();
    REQUIRE(reply.ok());
    CHECK(reply->type == MessageType::reply);
    CHECK(reply->ref_id == req->id);
    CHECK(reply->id != req->id);
    CHECK(reply->context == 0x5678);
    CHECK(reply->port_context == 0);
    CHECK(std::ranges::equal(reply->payload(), back));

    // Answered once, the request cannot be answered again.
    CHECK(pair.port.reply(*req, {}) == Status::lost);
}

TEST_CASE("datagrams arrive in order, with their context", "[vm][connection]") {
    auto pair = test::connect_pair();
    std::uint64_t last_id = 0;
    for (std::uint64_t i = 1; i <= 10; ++i)
        REQUIRE(pair.client.send(alpcu::bytes(std::to_string(i)), 1s, i).ok());
    for (std::uint64_t i = 1; i <= 10; ++i) {
        auto m = pair.port.receive(5s);
        REQUIRE(m.ok());
        CHECK(m->type == MessageType::datagram);
        CHECK(m->text() == std::to_string(i));
        CHECK(m->context == i);
        CHECK(m->id > last_id);
        last_id = m->id;
    }
}

TEST_CASE("a request sent without waiting gets its reply through receive", "[vm][connection]") {
    auto pair = test::connect_pair();
    auto id = pair.client.send_request(alpcu::bytes("ping"));
    REQUIRE(id.ok());
    CHECK(*id != 0);
    auto req = pair.port.receive(5s).value();
    CHECK(req.id == *id);
    CHECK(pair.port.reply(req, alpcu::bytes("pong")) == Status::ok);
    auto reply = pair.client.receive(5s);
    REQUIRE(reply.ok());
    CHECK(reply->type == MessageType::reply);
    CHECK(reply->ref_id == *id);
    CHECK(reply->text() == "pong");
}

TEST_CASE("an empty queue is would_block without waiting and timed_out with a timeout",
          "[vm][connection]") {
    auto pair = test::connect_pair();
    CHECK(pair.port.receive(alpcu::no_wait).status() == Status::would_block);
    CHECK(pair.port.receive(20ms).status() == Status::timed_out);
    CHECK(pair.client.receive(alpcu::no_wait).status() == Status::would_block);
    CHECK(pair.client.receive(20ms).status() == Status::timed_out);
}

TEST_CASE("a full queue is would_block without waiting and timed_out with a timeout",
          "[vm][connection]") {
    auto pair = test::connect_pair({.max_queued_msgs = 2});
    CHECK(pair.client.send(alpcu::bytes("1"), alpcu::no_wait).ok());
    CHECK(pair.client.send(alpcu::bytes("2"), alpcu::no_wait).ok());
    CHECK(pair.client.send(alpcu::bytes("3"), alpcu::no_wait).status() == Status::would_block);
    CHECK(pair.client.send(alpcu::bytes("3"), 20ms).status() == Status::timed_out);
    CHECK(pair.client.request(alpcu::bytes("3"), alpcu::no_wait).status() == Status::would_block);
    CHECK(pair.port.receive(5s).value().text() == "1");
    CHECK(pair.client.send(alpcu::bytes("3"), alpcu::no_wait).ok());
}

TEST_CASE("a request that times out is canceled: the server sees CANCELED, its reply is lost",
          "[vm][connection]") {
    auto pair = test::connect_pair();
    auto client = std::async(std::launch::async,
                             [&] { return pair.client.request(alpcu::bytes("slow"), 200ms); });
    auto req = pair.port.receive(5s).value();
    CHECK(client.get().status() == Status::timed_out);
    auto canceled = pair.port.receive(5s);
    REQUIRE(canceled.ok());
    CHECK(canceled->type == MessageType::canceled);
    CHECK(canceled->ref_id == req.id);
    CHECK(canceled->port_context == 7);
    CHECK(pair.port.reply(req, alpcu::bytes("too late")) == Status::lost);
}

TEST_CASE("cancel: the server sees CANCELED, its reply is lost, a second cancel is lost",
          "[vm][connection]") {
    auto pair = test::connect_pair();
    auto id = pair.client.send_request(alpcu::bytes("never mind")).value();
    auto req = pair.port.receive(5s).value();
    CHECK(pair.client.cancel(id) == Status::ok);
    auto canceled = pair.port.receive(5s);
    REQUIRE(canceled.ok());
    CHECK(canceled->type == MessageType::canceled);
    CHECK(canceled->ref_id == id);
    CHECK(pair.port.reply(req, {}) == Status::lost);
    CHECK(pair.client.cancel(id) == Status::lost);
    CHECK(pair.client.receive(20ms).status() == Status::timed_out);
}

TEST_CASE("a message over the port's limit is not refused: it travels as a view",
          "[vm][connection]") {
    auto pair = test::connect_pair();
    std::vector<std::byte> big(ALPC_MSG_DEFAULT_MAX + 1, std::byte{5});
    REQUIRE(pair.client.send(big).ok());
    auto m = pair.port.receive(5s).value();
    CHECK(m.view() != nullptr);
    CHECK(std::ranges::equal(m.payload(), big));
}

TEST_CASE("a port with a raised limit carries large messages both ways", "[vm][connection]") {
    auto pair = test::connect_pair({.max_msg_len = ALPC_MSG_LIMIT});
    std::vector<std::byte> big(ALPC_MSG_LIMIT);
    for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<std::byte>(i * 7);
    auto client = std::async(std::launch::async, [&] { return pair.client.request(big, 5s); });
    auto req = pair.port.receive(5s).value();
    CHECK(std::ranges::equal(req.payload(), big));
    CHECK(pair.port.reply(req, req.payload()) == Status::ok);
    auto reply = client.get();
    REQUIRE(reply.ok());
    CHECK(std::ranges::equal(reply->payload(), big));
}

TEST_CASE("replying to a request the connection sent itself throws EPERM", "[vm][connection]") {
    auto pair = test::connect_pair();
    auto id = pair.client.send_request(alpcu::bytes("mine")).value();
    alpc_msg_info info{};
    info.id = id;
    info.type = ALPC_MSG_REQUEST;
    try {
        (void)pair.client.reply(alpcu::Message(info, {}), {});
        FAIL("reply did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::operation_not_permitted);
    }
}

TEST_CASE("when the server's port closes, the client's calls report disconnected",
          "[vm][connection]") {
    auto pair = test::connect_pair();
    { auto gone = std::move(pair.port); }
    CHECK(pair.port.fd() == -1); // NOLINT(bugprone-use-after-move): moved out above
    CHECK(pair.client.send(alpcu::bytes("hello?"), 1s).status() == Status::disconnected);
    CHECK(pair.client.request(alpcu::bytes("hello?"), 1s).status() == Status::disconnected);
    CHECK(pair.client.receive(alpcu::no_wait).status() == Status::disconnected);
}

TEST_CASE("a waiting request wakes with disconnected when the server closes", "[vm][connection]") {
    auto pair = test::connect_pair();
    auto client = std::async(std::launch::async,
                             [&] { return pair.client.request(alpcu::bytes("wait"), 5s); });
    (void)pair.port.receive(5s).value();
    { auto gone = std::move(pair.port); }
    REQUIRE(client.wait_for(2s) == std::future_status::ready);
    CHECK(client.get().status() == Status::disconnected);
}

TEST_CASE("a moved Connection keeps its connection", "[vm][connection]") {
    auto pair = test::connect_pair();
    Connection moved(std::move(pair.client));
    CHECK(moved.send(alpcu::bytes("from the new owner")).ok());
    CHECK(pair.port.receive(5s).value().text() == "from the new owner");
}

namespace {
extern "C" void ignore_signal(int) {}
} // namespace

TEST_CASE("a signal ends a wait with interrupted, as a value", "[vm][connection]") {
    auto pair = test::connect_pair();
    struct sigaction sa {};
    sa.sa_handler = ignore_signal; // no SA_RESTART
    struct sigaction old {};
    REQUIRE(::sigaction(SIGUSR1, &sa, &old) == 0);
    std::atomic<pthread_t> waiter{};
    std::atomic<bool> started{false};
    auto r = std::async(std::launch::async, [&] {
        waiter = ::pthread_self();
        started = true;
        return pair.client.receive(5s).status();
    });
    while (!started)
        std::this_thread::sleep_for(1ms);
    for (int i = 0; i < 100 && r.wait_for(20ms) != std::future_status::ready; ++i)
        ::pthread_kill(waiter, SIGUSR1);
    CHECK(r.get() == Status::interrupted);
    ::sigaction(SIGUSR1, &old, nullptr);
}
