// SPDX-License-Identifier: MIT
// Connection ports: create, connect, accept, reject, and the serve loop.
// Tests tagged [vm] need the module: they run in the VM only.
#include <catch2/catch.hpp>

#include <atomic>
#include <fcntl.h>
#include <future>
#include <stdexcept>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

#include "alpcu/port.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using alpcu::Connection;
using alpcu::MessageType;
using alpcu::Port;
using alpcu::Status;

namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

} // namespace

TEST_CASE("Port owns its fd: move transfers it, release gives it up", "[port]") {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    {
        Port a{alpcu::Fd(p[0])};
        Port b(std::move(a));
        CHECK(a.fd() == -1); // NOLINT(bugprone-use-after-move): the contract under test
        CHECK(b.fd() == p[0]);
        Port c{alpcu::Fd(p[1])};
        c = std::move(b); // closes p[1]
        CHECK_FALSE(is_open(p[1]));
        CHECK(is_open(p[0]));
        int raw = c.release();
        CHECK(raw == p[0]);
    }
    CHECK(is_open(p[0]));
    ::close(p[0]);
}

TEST_CASE("Port::create rejects a name that does not fit without asking the kernel", "[port]") {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    alpcu::Device dev{alpcu::Fd(p[0])};
    alpcu::Fd w(p[1]);
    for (std::string bad :
         {std::string(), std::string(ALPC_NAME_MAX, 'x'), std::string("a\0b", 3)}) {
        try {
            (void)Port::create(dev, bad);
            FAIL("create did not throw");
        } catch (const std::system_error& e) {
            CHECK(e.code() == std::errc::invalid_argument);
        }
    }
}

TEST_CASE("Port::create reports the limits in force and frees the name on close", "[vm][port]") {
    auto name = test::unique_name("create");
    {
        auto port = Port::create(name);
        CHECK((::fcntl(port.fd(), F_GETFD) & FD_CLOEXEC) != 0);
        CHECK(port.attributes().max_msg_len == ALPC_MSG_DEFAULT_MAX);
        CHECK(port.attributes().max_queued_msgs == 64);
        CHECK(port.attributes().max_queued_bytes == 65536);
        CHECK(port.attributes().max_connections == 1024);
    }
    auto again = Port::create(name, {.max_msg_len = 1024, .max_queued_msgs = 8});
    CHECK(again.attributes().max_msg_len == 1024);
    CHECK(again.attributes().max_queued_msgs == 8);
}

TEST_CASE("Port::create of a taken name throws system_error with EEXIST", "[vm][port]") {
    auto name = test::unique_name("taken");
    auto port = Port::create(name);
    try {
        (void)Port::create(name);
        FAIL("create did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::file_exists);
        CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
}

TEST_CASE("Port::create with limits out of range throws system_error with EINVAL", "[vm][port]") {
    CHECK_THROWS_AS(Port::create(test::unique_name("limits"), {.max_msg_len = ALPC_MSG_LIMIT + 1}),
                    std::system_error);
}

TEST_CASE("Connection::connect to a missing name throws system_error with ENOENT", "[vm][port]") {
    try {
        (void)Connection::connect(test::unique_name("missing"));
        FAIL("connect did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
    }
}

TEST_CASE("accept: the server sees the connection data and the client's identity, the "
          "client gets the accept data",
          "[vm][port]") {
    auto name = test::unique_name("accept");
    auto port = Port::create(name);
    std::atomic<pid_t> client_tid{0};
    auto client = std::async(std::launch::async, [&] {
        client_tid = static_cast<pid_t>(::syscall(SYS_gettid));
        return Connection::connect(name, alpcu::bytes("let me in"), 5s);
    });
    auto req = port.receive(5s);
    REQUIRE(req.ok());
    CHECK(req->type == MessageType::connection_request);
    CHECK(req->text() == "let me in");
    CHECK(req->id != 0);
    CHECK(req->ref_id == 0);
    CHECK(req->pid == ::getpid());
    CHECK(req->uid == ::getuid());
    CHECK(req->gid == ::getgid());
    CHECK(port.accept(*req, 42, alpcu::bytes("welcome")) == Status::ok);
    auto conn = client.get();
    CHECK(req->tid == client_tid);
    REQUIRE(conn.ok());
    CHECK(alpcu::text(conn.server_data()) == "welcome");
    CHECK((::fcntl(conn->fd(), F_GETFD) & FD_CLOEXEC) != 0);

    // A second answer to the same request finds nothing to answer.
    CHECK(port.accept(*req) == Status::lost);
    CHECK(port.reject(*req) == Status::lost);
}

TEST_CASE("reject: the client's connect is refused as a value carrying the server's data",
          "[vm][port]") {
    auto name = test::unique_name("reject");
    auto port = Port::create(name);
    auto client = std::async(std::launch::async, [&] {
        return Connection::connect(name, alpcu::bytes("reject-me"), 5s);
    });
    auto req = port.receive(5s).value();
    CHECK(port.reject(req, alpcu::bytes("no vacancy")) == Status::ok);
    auto conn = client.get();
    CHECK_FALSE(conn.ok());
    CHECK(conn.status() == Status::refused);
    CHECK(alpcu::text(conn.server_data()) == "no vacancy");
    CHECK_THROWS_AS(conn.value(), std::system_error);
}

TEST_CASE("a connect the server does not answer times out as a value; the late accept is lost",
          "[vm][port]") {
    auto name = test::unique_name("slow-accept");
    auto port = Port::create(name);
    auto client = std::async(std::launch::async, [&] {
        return Connection::connect(name, alpcu::bytes("anyone?"), 200ms);
    });
    auto req = port.receive(5s).value();
    auto conn = client.get();
    CHECK(conn.status() == Status::timed_out);
    CHECK(port.accept(req) == Status::lost);
}

TEST_CASE("accept_port returns a server communication port for that client", "[vm][port]") {
    auto name = test::unique_name("comm-port");
    auto port = Port::create(name);
    auto client = std::async(std::launch::async, [&] { return Connection::connect(name, {}, 5s); });
    auto req = port.receive(5s).value();
    auto server = port.accept_port(req, 9);
    REQUIRE(server.ok());
    auto conn = client.get().value();

    CHECK(conn.send(alpcu::bytes("to the server")).ok());
    auto got = server->receive(5s);
    REQUIRE(got.ok());
    CHECK(got->type == MessageType::datagram);
    CHECK(got->text() == "to the server");
    CHECK(got->port_context == 9);
    CHECK(port.receive(alpcu::no_wait).status() == Status::would_block);

    CHECK(server->send(alpcu::bytes("to the client"), 1s, 3).ok());
    auto back = conn.receive(5s);
    REQUIRE(back.ok());
    CHECK(back->type == MessageType::datagram);
    CHECK(back->text() == "to the client");
    CHECK(back->context == 3);
}

TEST_CASE("a client that closes is reported as PORT_CLOSED, one that dies as CLIENT_DIED",
          "[vm][port]") {
    auto name = test::unique_name("rundown");
    auto port = Port::create(name);

    auto closer = std::async(std::launch::async, [&] { return Connection::connect(name, {}, 5s); });
    REQUIRE(port.accept(port.receive(5s).value(), 1) == Status::ok);
    { auto conn = closer.get().value(); }
    auto closed = port.receive(5s);
    REQUIRE(closed.ok());
    CHECK(closed->type == MessageType::port_closed);
    CHECK(closed->port_context == 1);
    CHECK(closed->pid == ::getpid());

    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Exit holding the connection, as a crashing client would.
        try {
            auto conn = Connection::connect(name, {}, 5s);
            if (conn.ok())
                ::_exit(0);
        } catch (...) {
        }
        ::_exit(1);
    }
    auto req = port.receive(5s);
    REQUIRE(req.ok());
    CHECK(req->pid == child);
    CHECK(port.accept(*req, 2) == Status::ok);
    auto died = port.receive(5s);
    int status = 0;
    CHECK(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    REQUIRE(died.ok());
    CHECK(died->type == MessageType::client_died);
    CHECK(died->port_context == 2);
    CHECK(died->pid == child);
}

TEST_CASE("serve answers several clients at once and sees each one leave", "[vm][port][serve]") {
    auto name = test::unique_name("serve");
    auto port = Port::create(name);
    constexpr int clients = 4, requests = 50;
    std::atomic<int> connects{0}, requests_seen{0}, datagrams{0}, closes{0};
    std::atomic<std::uint64_t> next_context{1};
    std::jthread server([&](std::stop_token stop) {
        port.serve(
            [&](const alpcu::Message& m, alpcu::Responder& r) {
                switch (m.type) {
                case MessageType::connection_request:
                    if (r.accept(next_context++, alpcu::bytes("hi")) == Status::ok)
                        ++connects;
                    break;
                case MessageType::request:
                    ++requests_seen;
                    r.reply(m.payload(), m.port_context);
                    break;
                case MessageType::datagram:
                    ++datagrams;
                    break;
                case MessageType::port_closed:
                    ++closes;
                    break;
                default:
                    break;
                }
            },
            stop, 20ms);
    });

    std::vector<std::future<std::string>> results;
    for (int c = 0; c < clients; ++c)
        results.push_back(std::async(std::launch::async, [&, c]() -> std::string {
            auto conn = Connection::connect(name, {}, 5s);
            if (!conn.ok())
                return std::string("connect: ") + alpcu::to_string(conn.status());
            if (!conn->send(alpcu::bytes("hello")).ok())
                return "datagram failed";
            std::uint64_t context = 0;
            for (int i = 0; i < requests; ++i) {
                std::string msg = "client " + std::to_string(c) + " request " + std::to_string(i);
                auto reply = conn->request(alpcu::bytes(msg), 5s);
                if (!reply.ok())
                    return std::string("request: ") + alpcu::to_string(reply.status());
                if (reply->text() != msg)
                    return "bad echo: " + std::string(reply->text());
                if (context != 0 && reply->context != context)
                    return "port context changed";
                context = reply->context;
            }
            return "ok";
        }));
    for (auto& r : results)
        CHECK(r.get() == "ok");
    for (int i = 0; i < 250 && closes < clients; ++i)
        std::this_thread::sleep_for(20ms);
    server.request_stop();
    server.join();
    CHECK(connects == clients);
    CHECK(requests_seen == clients * requests);
    CHECK(datagrams == clients);
    CHECK(closes == clients);
}

TEST_CASE("serve rejects a connection request and replies empty to a request it leaves "
          "unanswered",
          "[vm][port][serve]") {
    auto name = test::unique_name("serve-default");
    auto port = Port::create(name);
    std::stop_source stop;
    std::atomic<bool> accept_next{false};
    std::jthread server([&] {
        port.serve(
            [&](const alpcu::Message& m, alpcu::Responder& r) {
                if (m.type == MessageType::connection_request && accept_next)
                    (void)r.accept();
            },
            stop.get_token(), 20ms);
    });
    auto refused = Connection::connect(name, alpcu::bytes("first"), 5s);
    CHECK(refused.status() == Status::refused);
    CHECK(refused.server_data().empty());

    accept_next = true;
    auto conn = Connection::connect(name, {}, 5s);
    REQUIRE(conn.ok());
    auto reply = conn->request(alpcu::bytes("anything"), 5s);
    REQUIRE(reply.ok());
    CHECK(reply->type == MessageType::reply);
    CHECK(reply->payload().empty());
    stop.request_stop();
}

TEST_CASE("Responder refuses a second answer and one that does not fit the message",
          "[vm][port][serve]") {
    auto name = test::unique_name("responder");
    auto port = Port::create(name);
    std::stop_source stop;
    std::atomic<int> logic_errors{0};
    std::jthread server([&] {
        port.serve(
            [&](const alpcu::Message& m, alpcu::Responder& r) {
                auto expect_logic_error = [&](auto f) {
                    try {
                        f();
                    } catch (const std::logic_error&) {
                        ++logic_errors;
                    }
                };
                if (m.type == MessageType::connection_request) {
                    expect_logic_error([&] { r.reply({}); });
                    (void)r.accept();
                    expect_logic_error([&] { (void)r.reject(); });
                } else if (m.type == MessageType::request) {
                    expect_logic_error([&] { (void)r.accept(); });
                    r.reply(alpcu::bytes("once"));
                    expect_logic_error([&] { r.reply(alpcu::bytes("twice")); });
                }
            },
            stop.get_token(), 20ms);
    });
    auto conn = Connection::connect(name, {}, 5s);
    REQUIRE(conn.ok());
    auto reply = conn->request({}, 5s);
    REQUIRE(reply.ok());
    CHECK(reply->text() == "once");
    stop.request_stop();
    server.join();
    CHECK(logic_errors == 4);
}

TEST_CASE("serve counts a reply whose requester gave up as lost", "[vm][port][serve]") {
    auto name = test::unique_name("serve-lost");
    auto port = Port::create(name);
    std::stop_source stop;
    alpcu::ServeStats stats;
    std::jthread server([&] {
        stats = port.serve(
            [&](const alpcu::Message& m, alpcu::Responder& r) {
                if (m.type == MessageType::connection_request) {
                    (void)r.accept();
                } else if (m.type == MessageType::request) {
                    std::this_thread::sleep_for(300ms);
                    r.reply(alpcu::bytes("too late"));
                }
            },
            stop.get_token(), 20ms);
    });
    auto conn = Connection::connect(name, {}, 5s);
    REQUIRE(conn.ok());
    CHECK(conn->request(alpcu::bytes("quick"), 50ms).status() == Status::timed_out);
    std::this_thread::sleep_for(500ms);
    stop.request_stop();
    server.join();
    CHECK(stats.lost_replies == 1);
    CHECK(stats.replies == 0);
}

TEST_CASE("serve returns promptly once stop is requested while idle", "[vm][port][serve]") {
    auto port = Port::create(test::unique_name("serve-stop"));
    std::stop_source stop;
    auto done = std::async(std::launch::async, [&] {
        return port.serve([](const alpcu::Message&, alpcu::Responder&) {}, stop.get_token(), 20ms);
    });
    CHECK(done.wait_for(100ms) == std::future_status::timeout);
    stop.request_stop();
    REQUIRE(done.wait_for(2s) == std::future_status::ready);
    CHECK(done.get().messages == 0);
}
