// SPDX-License-Identifier: MIT
// Completion ports: keys and kinds, the ring and its overflow, epoll
// readiness, asynchronous connects, and a thread pool serving many
// clients through one completion port. Tests tagged [vm] need the module.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <future>
#include <optional>
#include <string>
#include <sys/epoll.h>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unistd.h>
#include <vector>

#include "alpcu/completion.hpp"
#include "alpcu/port.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using alpcu::Completion;
using alpcu::CompletionKind;
using alpcu::CompletionPort;
using alpcu::Connection;
using alpcu::MessageType;
using alpcu::Port;
using alpcu::Status;

namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

// Waits up to 5 s for n entries, reaping and dequeuing as needed.
std::vector<Completion> collect(CompletionPort& cp, std::size_t n) {
    std::vector<Completion> got;
    std::array<Completion, 16> buf;
    auto end = std::chrono::steady_clock::now() + 5s;
    while (got.size() < n && std::chrono::steady_clock::now() < end) {
        auto r = cp.wait(std::span(buf).first(std::min(buf.size(), n - got.size())), 100ms);
        if (r.ok())
            got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
    }
    return got;
}

// Events ready on epfd within timeout_ms.
int ready(int epfd, int timeout_ms) {
    epoll_event ev[4];
    return ::epoll_wait(epfd, ev, 4, timeout_ms);
}

} // namespace

TEST_CASE("CompletionPort owns its fds: move transfers them, no copy", "[completion]") {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    {
        CompletionPort a{alpcu::Fd(p[0]), alpcu::Fd(p[1])};
        CompletionPort b(std::move(a));
        CHECK(a.fd() == -1); // NOLINT(bugprone-use-after-move): the contract under test
        CHECK(a.event_fd() == -1);
        CHECK(b.fd() == p[0]);
        CHECK(b.event_fd() == p[1]);
        CHECK(b.ring_entries() == 0);
        CHECK_FALSE(b.overflowed());
        CHECK(b.dropped() == 0);
        std::array<Completion, 2> buf;
        CHECK(b.reap(buf) == 0);
    }
    CHECK_FALSE(is_open(p[0]));
    CHECK_FALSE(is_open(p[1]));
    static_assert(!std::is_copy_constructible_v<CompletionPort>);
    static_assert(std::is_nothrow_move_constructible_v<CompletionPort>);
    static_assert(std::is_nothrow_move_assignable_v<CompletionPort>);
    static_assert(!std::is_constructible_v<bool, CompletionPort>);
    static_assert(sizeof(Completion) == sizeof(alpc_completion));
}

TEST_CASE("A Completion's kind and outcome", "[completion]") {
    CHECK(std::string(alpcu::to_string(CompletionKind::connect)) == "connect");
    CHECK(std::string(alpcu::to_string(CompletionKind::request)) ==
          alpcu::to_string(MessageType::request));
    Completion c{.kind = CompletionKind::connect, .status = -ECONNREFUSED};
    CHECK(c.outcome() == Status::refused);
    c.status = -ECONNRESET;
    CHECK(c.outcome() == Status::disconnected);
    c.status = 0;
    CHECK(c.outcome() == Status::ok);
    c.status = -ENOMEM;
    CHECK_THROWS_AS(c.outcome(), std::system_error);
}

TEST_CASE("Entries name the key and kind of every message queued on an associated port",
          "[vm][completion]") {
    auto cp = CompletionPort::create();
    auto name = test::unique_name("cp-keys");
    auto port = Port::create(name);
    cp.associate(port, 100);
    auto client = std::async(std::launch::async, [&] { return Connection::connect(name, {}, 5s); });
    auto e = collect(cp, 1);
    REQUIRE(e.size() == 1);
    CHECK(e[0].key == 100);
    CHECK(e[0].kind == CompletionKind::connection_request);
    auto req = port.receive(alpcu::no_wait).value();
    CHECK(e[0].msg_id == req.id);
    REQUIRE(port.accept(req, 5) == Status::ok);
    auto conn = std::move(client.get()).value();
    cp.associate(conn, 200);

    auto dg = conn.send(alpcu::bytes("dg"), 1s).value();
    auto rq = conn.send_request(alpcu::bytes("rq"), 1s).value();
    e = collect(cp, 2);
    REQUIRE(e.size() == 2);
    CHECK((e[0].key == 100 && e[0].kind == CompletionKind::datagram && e[0].msg_id == dg));
    CHECK((e[1].key == 100 && e[1].kind == CompletionKind::request && e[1].msg_id == rq));
    CHECK(port.receive(alpcu::no_wait)->type == MessageType::datagram);
    auto request = port.receive(alpcu::no_wait).value();
    REQUIRE(port.reply(request, alpcu::bytes("re")) == Status::ok);
    e = collect(cp, 1);
    REQUIRE(e.size() == 1);
    CHECK(e[0].key == 200);
    CHECK(e[0].kind == CompletionKind::reply);
    auto reply = conn.receive(alpcu::no_wait).value();
    CHECK(reply.id == e[0].msg_id);
    CHECK(reply.ref_id == rq);

    // A new association replaces the old one; dissociating ends it.
    auto cp2 = CompletionPort::create();
    cp2.associate(conn, 300);
    rq = conn.send_request(alpcu::bytes("rq2"), 1s).value();
    e = collect(cp, 1);
    REQUIRE(e.size() == 1);
    CHECK((e[0].key == 100 && e[0].msg_id == rq));
    REQUIRE(port.reply(port.receive(alpcu::no_wait).value(), alpcu::bytes("re2")) == Status::ok);
    e = collect(cp2, 1);
    REQUIRE(e.size() == 1);
    CHECK((e[0].key == 300 && e[0].kind == CompletionKind::reply));
    CHECK(conn.receive(alpcu::no_wait)->id == e[0].msg_id);
    CompletionPort::dissociate(port);
    CompletionPort::dissociate(conn);
    rq = conn.send_request(alpcu::bytes("rq3"), 1s).value();
    REQUIRE(port.reply(port.receive(1s).value(), alpcu::bytes("re3")) == Status::ok);
    CHECK(conn.receive(1s)->ref_id == rq);
    std::array<Completion, 4> buf;
    CHECK(cp.dequeue(buf, alpcu::no_wait).status() == Status::would_block);
    CHECK(cp.dequeue(buf, 10ms).status() == Status::timed_out);
    CHECK(cp2.dequeue(buf, alpcu::no_wait).status() == Status::would_block);

    conn = Connection(alpcu::Fd()); // closes the client: a rundown, and no entry
    CHECK(port.receive(1s)->type == MessageType::port_closed);
    CHECK(cp.dequeue(buf, alpcu::no_wait).status() == Status::would_block);
}

TEST_CASE("The ring is reaped without a system call and dequeue takes what overflowed, in order",
          "[vm][completion]") {
    auto cp = CompletionPort::create(4);
    REQUIRE(cp.ring_entries() == 4);
    auto pair = test::connect_pair();
    cp.associate(pair.port, 1);
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 6; ++i)
        ids.push_back(pair.client.send(alpcu::bytes("d"), 1s).value());

    // Four in the ring, two waiting in the kernel behind it.
    CHECK(cp.overflowed());
    CHECK(cp.dropped() == 0);
    std::array<Completion, 8> buf;
    REQUIRE(cp.reap(std::span(buf).first(3)) == 3);
    REQUIRE(cp.reap(std::span(buf).subspan(3)) == 1);
    CHECK(cp.reap(std::span(buf).subspan(4)) == 0); // the rest needs the kernel
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(buf[i].key == 1);
        CHECK(buf[i].msg_id == ids[i]);
    }
    REQUIRE(cp.take(buf) == 2);
    CHECK(buf[0].msg_id == ids[4]);
    CHECK(buf[1].msg_id == ids[5]);
    CHECK_FALSE(cp.overflowed());
    // Ring and kernel drained: the next entry goes to the ring again.
    auto id = pair.client.send(alpcu::bytes("d"), 1s).value();
    REQUIRE(cp.reap(buf) == 1);
    CHECK(buf[0].msg_id == id);
    CHECK(buf[0].kind == CompletionKind::datagram);
    CHECK(cp.clear_event() == 7);
    CHECK(cp.clear_event() == 0);
}

TEST_CASE("take() with a small span recovers from an overflow without losing order",
          "[vm][completion]") {
    auto cp = CompletionPort::create(2);
    auto pair = test::connect_pair();
    cp.associate(pair.port, 9);
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 10; ++i)
        ids.push_back(pair.client.send(alpcu::bytes("d"), 1s).value());
    REQUIRE(cp.overflowed());
    std::vector<std::uint64_t> seen;
    std::array<Completion, 3> buf;
    for (;;) {
        std::size_t n = cp.take(buf);
        for (std::size_t i = 0; i < n; ++i)
            seen.push_back(buf[i].msg_id);
        if (n < buf.size())
            break;
    }
    CHECK(seen == ids);
    CHECK_FALSE(cp.overflowed());
    CHECK(cp.take(buf) == 0);
    // dequeue alone also takes the ring's entries first.
    auto a = pair.client.send(alpcu::bytes("d"), 1s).value();
    auto b = pair.client.send(alpcu::bytes("d"), 1s).value();
    auto c = pair.client.send(alpcu::bytes("d"), 1s).value();
    REQUIRE(cp.dequeue(buf, alpcu::no_wait).value() == 3);
    CHECK(buf[0].msg_id == a);
    CHECK(buf[1].msg_id == b);
    CHECK(buf[2].msg_id == c);
}

TEST_CASE("The eventfd and the completion port fd poll readable for epoll", "[vm][completion]") {
    auto cp = CompletionPort::create(8);
    auto pair = test::connect_pair();
    cp.associate(pair.port, 1);
    alpcu::Fd ep(::epoll_create1(EPOLL_CLOEXEC));
    alpcu::Fd ep2(::epoll_create1(EPOLL_CLOEXEC));
    epoll_event ev{};
    ev.events = EPOLLIN;
    REQUIRE(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, cp.event_fd(), &ev) == 0);
    REQUIRE(::epoll_ctl(ep2.get(), EPOLL_CTL_ADD, cp.fd(), &ev) == 0);
    CHECK(ready(ep.get(), 0) == 0);
    CHECK(ready(ep2.get(), 0) == 0);

    auto sender = std::async(std::launch::async, [&] {
        std::this_thread::sleep_for(50ms);
        return pair.client.send(alpcu::bytes("wake"), 1s).value();
    });
    CHECK(ready(ep.get(), 5000) == 1);
    auto id = sender.get();
    CHECK(ready(ep2.get(), 0) == 1);
    CHECK(cp.clear_event() == 1);
    CHECK(ready(ep.get(), 0) == 0);  // the count is reset
    CHECK(ready(ep2.get(), 0) == 1); // the entry is still there
    std::array<Completion, 4> buf;
    REQUIRE(cp.take(buf) == 1);
    CHECK(buf[0].msg_id == id);
    CHECK(ready(ep2.get(), 0) == 0);
}

TEST_CASE("An asynchronous connect returns at once and completes on the completion port",
          "[vm][completion]") {
    auto name = test::unique_name("cp-async");
    auto port = Port::create(name);
    auto cp = CompletionPort::create(16);
    auto conn = alpcu::connect_async(name, cp, 42, alpcu::bytes("hello")).value();
    // Not connected yet: sends fail, nothing is posted.
    try {
        (void)conn.send(alpcu::bytes("early"), alpcu::no_wait);
        FAIL("send before the answer did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code().value() == ENOTCONN);
    }
    std::array<Completion, 4> buf;
    CHECK(cp.take(buf) == 0);

    auto req = port.receive(1s).value();
    CHECK(req.type == MessageType::connection_request);
    CHECK(req.text() == "hello");
    REQUIRE(port.accept(req, 77, alpcu::bytes("welcome")) == Status::ok);
    auto e = collect(cp, 1);
    REQUIRE(e.size() == 1);
    CHECK(e[0].key == 42);
    CHECK(e[0].kind == CompletionKind::connect);
    CHECK(e[0].status == 0);
    auto answer = alpcu::finish_connect(conn, e[0]);
    CHECK(answer.status == Status::ok);
    CHECK(alpcu::text(answer.server_data) == "welcome");

    // Connected: a request's reply comes back as a reply entry.
    auto id = conn.send_request(alpcu::bytes("ping"), 1s).value();
    auto request = port.receive(1s).value();
    CHECK(request.port_context == 77);
    REQUIRE(port.reply(request, alpcu::bytes("pong")) == Status::ok);
    e = collect(cp, 1);
    REQUIRE(e.size() == 1);
    CHECK(e[0].key == 42);
    CHECK(e[0].kind == CompletionKind::reply);
    auto reply = conn.receive(alpcu::no_wait).value();
    CHECK(reply.ref_id == id);
    CHECK(reply.text() == "pong");
    CHECK_THROWS_AS(alpcu::finish_connect(conn, e[0]), std::invalid_argument);
}

TEST_CASE("An asynchronous connect that is refused, or never answered, completes too",
          "[vm][completion]") {
    auto name = test::unique_name("cp-refuse");
    auto cp = CompletionPort::create();
    std::optional<Port> port(Port::create(name));
    auto conn = alpcu::connect_async(name, cp, 1, alpcu::bytes("let me in")).value();
    auto req = port->receive(1s).value();
    REQUIRE(port->reject(req, alpcu::bytes("go away")) == Status::ok);
    auto e = collect(cp, 1);
    REQUIRE(e.size() == 1);
    CHECK(e[0].kind == CompletionKind::connect);
    CHECK(e[0].status == -ECONNREFUSED);
    CHECK(e[0].outcome() == Status::refused);
    auto answer = alpcu::finish_connect(conn, e[0]);
    CHECK(answer.status == Status::refused);
    CHECK(alpcu::text(answer.server_data) == "go away");

    // The port closes before answering.
    auto conn2 = alpcu::connect_async(name, cp, 2).value();
    REQUIRE(port->receive(1s)->type == MessageType::connection_request);
    port.reset();
    e = collect(cp, 1);
    REQUIRE(e.size() == 1);
    CHECK(e[0].key == 2);
    CHECK(e[0].kind == CompletionKind::connect);
    CHECK(e[0].outcome() == Status::disconnected);
    answer = alpcu::finish_connect(conn2, e[0]);
    CHECK(answer.status == Status::disconnected);
    CHECK(answer.server_data.empty());

    // No port of that name.
    CHECK_THROWS_AS(alpcu::connect_async(name, cp, 3), std::system_error);
}

TEST_CASE("A pool of threads serves many clients through one completion port", "[vm][completion]") {
    constexpr int threads = 4, clients = 8, requests = 50;
    auto name = test::unique_name("cp-pool");
    auto port = Port::create(name);
    auto cp = CompletionPort::create();
    cp.associate(port, 1);

    struct Counts {
        int connects = 0, requests = 0, rundowns = 0, other = 0;
    };
    std::atomic<int> rundowns{0};
    std::vector<std::future<Counts>> pool;
    for (int t = 0; t < threads; ++t)
        pool.push_back(std::async(std::launch::async, [&] {
            Counts c;
            std::array<Completion, 2> buf;
            auto end = std::chrono::steady_clock::now() + 20s;
            while (rundowns.load() < clients && std::chrono::steady_clock::now() < end) {
                auto n = cp.dequeue(buf, 50ms);
                for (std::size_t i = 0; n.ok() && i < *n; ++i) {
                    auto m = port.receive(alpcu::no_wait);
                    if (!m.ok())
                        continue; // its sender withdrew it
                    switch (m->type) {
                    case MessageType::connection_request:
                        c.connects += port.accept(*m, 1) == Status::ok;
                        break;
                    case MessageType::request:
                        c.requests += port.reply(*m, m->payload()) == Status::ok;
                        break;
                    case MessageType::port_closed:
                        ++c.rundowns;
                        ++rundowns;
                        break;
                    default:
                        ++c.other;
                        break;
                    }
                }
            }
            return c;
        }));

    std::vector<std::future<int>> users;
    for (int k = 0; k < clients; ++k)
        users.push_back(std::async(std::launch::async, [&, k] {
            auto conn = Connection::connect(name, {}, 5s).value();
            int good = 0;
            for (int i = 0; i < requests; ++i) {
                auto text = "client " + std::to_string(k) + " request " + std::to_string(i);
                auto r = conn.request(alpcu::bytes(text), 5s);
                good += r.ok() && r->text() == text;
            }
            return good;
        }));
    int good = 0;
    for (auto& u : users)
        good += u.get();
    Counts total;
    int busy = 0;
    for (auto& f : pool) {
        auto c = f.get();
        total.connects += c.connects;
        total.requests += c.requests;
        total.rundowns += c.rundowns;
        total.other += c.other;
        busy += c.requests > 0;
    }
    CHECK(good == clients * requests);
    CHECK(total.connects == clients);
    CHECK(total.requests == clients * requests);
    CHECK(total.rundowns == clients);
    CHECK(total.other == 0);
    CHECK(busy > 1); // the work was shared
}
