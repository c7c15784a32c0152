// SPDX-License-Identifier: MIT
// Batches: several sends, receives and cancels in one ALPC_IOC_BATCH, each
// with its own outcome. Tests tagged [vm] need the module.
#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <unistd.h>
#include <vector>

#include "alpcu/batch.hpp"
#include "alpcu/port.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using alpcu::Batch;
using alpcu::BatchOp;
using alpcu::MessageType;
using alpcu::Status;

TEST_CASE("A BatchOp has no outcome before it is submitted", "[batch]") {
    std::array<std::byte, 16> buf{};
    Batch b;
    CHECK(b.datagram(alpcu::bytes("a")) == 0);
    CHECK(b.receive(buf) == 1);
    CHECK(b.cancel(5) == 2);
    CHECK(b.size() == 3);
    CHECK(b[0].kind() == BatchOp::Kind::send);
    CHECK(b[1].kind() == BatchOp::Kind::receive);
    CHECK(b[2].kind() == BatchOp::Kind::cancel);
    for (auto& op : b.ops()) {
        CHECK_FALSE(op.performed());
        CHECK_FALSE(op.ok());
        CHECK_THROWS_AS(op.status(), std::logic_error);
    }
    CHECK(b[0].id() == 0);
    CHECK(b[1].payload().empty());
    CHECK_THROWS_AS(b[1].message(), std::logic_error);
    CHECK_THROWS_AS(b[3], std::out_of_range);
    static_assert(!std::is_copy_constructible_v<BatchOp>);
    static_assert(std::is_nothrow_move_constructible_v<BatchOp>);

    // Nothing to submit: no system call (the fd is not even a port).
    Batch empty;
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    alpcu::Connection c{alpcu::Fd(p[0])};
    alpcu::Fd w(p[1]);
    CHECK(empty.submit(c) == 0);
    CHECK_THROWS_AS(b.submit(c), std::system_error); // ENOTTY
}

TEST_CASE("A batch reports each operation's result; a failing one does not stop the others",
          "[vm][batch]") {
    auto pair = test::connect_pair();
    std::string big(ALPC_MSG_DEFAULT_MAX + 1, 'x');
    Batch b;
    auto first = b.datagram(alpcu::bytes("one"), 1s, 1);
    auto too_big = b.datagram(alpcu::bytes(big), 1s, 2);
    auto unknown = b.cancel(12345);
    auto last = b.request(alpcu::bytes("three"), 1s, 3);
    CHECK(b.submit(pair.client) == 2);

    CHECK(b[first].ok());
    CHECK(b[first].status() == Status::ok);
    CHECK(b[first].id() != 0);
    CHECK(b[too_big].performed());
    CHECK(b[too_big].error() == EMSGSIZE);
    CHECK(b[too_big].id() == 0);
    CHECK_THROWS_AS(b[too_big].status(), std::system_error);
    CHECK(b[unknown].status() == Status::lost);
    CHECK(b[last].ok());
    CHECK(b[last].id() > b[first].id());

    // Only the two that succeeded were queued, in order.
    auto m1 = pair.port.receive(1s).value();
    CHECK((m1.id == b[first].id() && m1.type == MessageType::datagram && m1.context == 1));
    CHECK(m1.text() == "one");
    auto m3 = pair.port.receive(1s).value();
    CHECK((m3.id == b[last].id() && m3.type == MessageType::request && m3.context == 3));
    CHECK(pair.port.receive(alpcu::no_wait).status() == Status::would_block);

    // The request's reply arrives as a message; a batch receives it.
    REQUIRE(pair.port.reply(m3, alpcu::bytes("done")) == Status::ok);
    std::array<std::byte, 64> buf{};
    Batch r;
    auto got = r.receive(buf, 1s);
    auto none = r.receive(buf, alpcu::no_wait);
    CHECK(r.submit(pair.client) == 1);
    CHECK(r[got].info().type == ALPC_MSG_REPLY);
    CHECK(r[got].info().ref_id == b[last].id());
    CHECK(alpcu::text(r[got].payload()) == "done");
    auto msg = r[got].message();
    CHECK(msg.type == MessageType::reply);
    CHECK(msg.text() == "done");
    CHECK(r[none].status() == Status::would_block);
    CHECK(r[none].payload().empty());
}

TEST_CASE("A server answers and receives in one batch on its connection port", "[vm][batch]") {
    auto pair = test::connect_pair();
    auto a = pair.client.send_request(alpcu::bytes("a"), 1s).value();
    auto b = pair.client.send_request(alpcu::bytes("b"), 1s).value();
    (void)pair.client.send(alpcu::bytes("c"), 1s).value();
    auto ra = pair.port.receive(1s).value();
    auto rb = pair.port.receive(1s).value();
    REQUIRE(pair.client.cancel(b) == Status::ok);

    std::array<std::byte, 8> small{};
    std::array<std::byte, 64> buf{};
    Batch s;
    auto reply_a = s.reply(ra, alpcu::bytes("A"));
    auto reply_b = s.reply(rb, alpcu::bytes("B")); // canceled meanwhile
    auto dg = s.datagram(alpcu::bytes("no"));      // not on a connection port
    auto next = s.receive(buf, 1s);
    auto canceled = s.receive(small, 1s);
    auto empty = s.receive(buf, alpcu::no_wait);
    CHECK(s.submit(pair.port) == 3);
    CHECK(s[reply_a].ok());
    CHECK(s[reply_b].status() == Status::lost);
    CHECK(s[dg].error() == EOPNOTSUPP);
    CHECK(s[next].info().type == ALPC_MSG_DATAGRAM);
    CHECK(alpcu::text(s[next].payload()) == "c");
    CHECK(s[canceled].info().type == ALPC_MSG_CANCELED);
    CHECK(s[canceled].info().ref_id == rb.id);
    CHECK(s[empty].status() == Status::would_block);

    auto reply = pair.client.receive(1s).value();
    CHECK(reply.ref_id == a);
    CHECK(reply.text() == "A");

    // A message larger than the buffer stays queued, and says what it needs.
    (void)pair.client.send(alpcu::bytes("twelve bytes"), 1s).value();
    Batch t;
    auto cut = t.receive(small, 1s);
    auto whole = t.receive(buf, 1s);
    CHECK(t.submit(pair.port) == 1);
    CHECK(t[cut].error() == EMSGSIZE);
    CHECK(t[cut].info().len == 12);
    CHECK(alpcu::text(t[whole].payload()) == "twelve bytes");
}

TEST_CASE("A batch longer than ALPC_BATCH_MAX goes in several calls, in order", "[vm][batch]") {
    auto pair = test::connect_pair({.max_queued_msgs = 1024, .max_queued_bytes = 1 << 20});
    std::vector<BatchOp> ops;
    for (int i = 0; i < ALPC_BATCH_MAX + 44; ++i)
        ops.push_back(BatchOp::datagram(alpcu::bytes("d"), 1s, static_cast<std::uint64_t>(i)));
    CHECK(alpcu::submit(pair.client, ops) == ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
        auto m = pair.port.receive(1s).value();
        REQUIRE(m.context == i);
        REQUIRE(m.id == ops[i].id());
    }
    // Submitted again, the same operations send again.
    CHECK(alpcu::submit(pair.client, std::span(ops).first(2)) == 2);
    CHECK(pair.port.receive(1s)->id == ops[0].id());
}
