// SPDX-License-Identifier: MIT
// Many datagrams in one buffer and one system call (ALPC_IOC_SEND_DGRAMS,
// ALPC_IOC_RECV_DGRAMS). Tests tagged [vm] need the module.
#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iterator>
#include <ranges>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

#include "alpcu/datagrams.hpp"
#include "alpcu/port.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using alpcu::datagram_size;
using alpcu::DatagramBuffer;
using alpcu::Datagrams;
using alpcu::DatagramWriter;
using alpcu::MessageType;
using alpcu::Status;

namespace {

// len bytes, each a function of its index and seed.
std::vector<std::byte> pattern(std::size_t len, unsigned seed) {
    std::vector<std::byte> v(len);
    for (std::size_t i = 0; i < len; ++i)
        v[i] = static_cast<std::byte>(seed * 31 + i);
    return v;
}

bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Writes a datagram header and payload at p, as the kernel would.
std::size_t put(std::byte* p, std::uint64_t id, std::uint64_t context, std::uint64_t port_context,
                std::uint32_t flags, std::string_view payload) {
    alpc_dgram h{};
    h.id = id;
    h.context = context;
    h.port_context = port_context;
    h.flags = flags;
    h.len = static_cast<std::uint32_t>(payload.size());
    std::memcpy(p, &h, sizeof(h));
    std::memcpy(p + sizeof(h), payload.data(), payload.size());
    return datagram_size(payload.size());
}

int error_of(auto&& f) {
    try {
        f();
    } catch (const std::system_error& e) {
        return e.code().value();
    }
    return 0;
}

const std::size_t sizes[] = {0, 1, 7, 8, 9, 256};

} // namespace

static_assert(std::forward_iterator<Datagrams::iterator>);
static_assert(std::ranges::forward_range<Datagrams>);
static_assert(std::ranges::forward_range<const DatagramBuffer>);

TEST_CASE("A DatagramWriter packs each datagram as a header and its payload padded to 8",
          "[datagrams]") {
    for (std::size_t len : {0u, 1u, 7u, 8u, 9u, 255u, 256u, 65536u})
        CHECK(datagram_size(len) == ALPC_DGRAM_SIZE(len));
    CHECK(datagram_size(0) == 32);
    CHECK(datagram_size(9) == 48);

    DatagramWriter w;
    CHECK(w.empty());
    std::size_t total = 0;
    for (std::size_t i = 0; i < std::size(sizes); ++i) {
        CHECK(w.add(pattern(sizes[i], i), 100 + i));
        total += datagram_size(sizes[i]);
    }
    CHECK(w.count() == std::size(sizes));
    REQUIRE(w.bytes().size() == total);

    // Byte by byte: each header at a multiple of 8, then the payload,
    // then zeroes up to the next.
    std::size_t off = 0;
    for (std::size_t i = 0; i < std::size(sizes); ++i) {
        INFO("datagram " << i);
        CHECK(off % 8 == 0);
        alpc_dgram h;
        std::memcpy(&h, w.bytes().data() + off, sizeof(h));
        CHECK(h.id == 0);
        CHECK(h.context == 100 + i);
        CHECK(h.port_context == 0);
        CHECK(h.flags == 0);
        CHECK(h.len == sizes[i]);
        auto rec = w.bytes().subspan(off, datagram_size(sizes[i]));
        CHECK(same(rec.subspan(sizeof(h), sizes[i]), pattern(sizes[i], i)));
        for (std::byte pad : rec.subspan(sizeof(h) + sizes[i]))
            CHECK(pad == std::byte{0});
        off += rec.size();
    }

    // Read back as a range.
    Datagrams all(w.bytes());
    CHECK(all.size() == std::size(sizes));
    std::size_t i = 0;
    for (const alpcu::Datagram& d : all) {
        REQUIRE(i < std::size(sizes));
        CHECK(d.context == 100 + i);
        CHECK(same(d.payload, pattern(sizes[i], i)));
        ++i;
    }
    CHECK(i == std::size(sizes));
    CHECK(std::ranges::distance(all) == static_cast<std::ptrdiff_t>(std::size(sizes)));
}

TEST_CASE("A DatagramWriter holds at most ALPC_BATCH_MAX datagrams of ALPC_MSG_LIMIT bytes",
          "[datagrams]") {
    DatagramWriter w(ALPC_BATCH_MAX * datagram_size(1));
    for (unsigned i = 0; i < ALPC_BATCH_MAX; ++i)
        REQUIRE(w.add(alpcu::bytes("x"), i));
    auto full = w.bytes().size();
    CHECK(full == ALPC_BATCH_MAX * datagram_size(1));
    CHECK_FALSE(w.add(alpcu::bytes("y")));
    CHECK(w.count() == ALPC_BATCH_MAX);
    CHECK(w.bytes().size() == full);

    w.clear();
    CHECK(w.empty());
    CHECK(w.bytes().empty());
    std::vector<std::byte> limit(ALPC_MSG_LIMIT), over(ALPC_MSG_LIMIT + 1);
    CHECK(error_of([&] { (void)w.add(over); }) == EMSGSIZE);
    CHECK(w.empty());
    CHECK(w.add(limit, 9));
    CHECK(w.count() == 1);
    CHECK(w.bytes().size() == datagram_size(ALPC_MSG_LIMIT));
}

TEST_CASE("Datagrams reads a buffer at any alignment, without copying the payloads",
          "[datagrams]") {
    // At an odd address: headers read with memcpy.
    std::vector<std::byte> raw(1 + datagram_size(5) + datagram_size(0) + datagram_size(11));
    std::byte* p = raw.data() + 1;
    p += put(p, 40, 1, 7, 0, "hello");
    p += put(p, 41, 2, 7, ALPC_MSGF_CRED_CHANGED, "");
    p += put(p, 43, 3, 8, 0, "eleven char");
    REQUIRE(p == raw.data() + raw.size());

    Datagrams ds{std::span<const std::byte>(raw).subspan(1)};
    REQUIRE(ds.size() == 3);
    auto it = ds.begin();
    auto d = *it;
    CHECK((d.id == 40 && d.context == 1 && d.port_context == 7 && d.flags == 0));
    CHECK(d.text() == "hello");
    CHECK(d.payload.data() == raw.data() + 1 + sizeof(alpc_dgram));
    d = *++it;
    CHECK((d.id == 41 && d.context == 2 && d.flags == ALPC_MSGF_CRED_CHANGED));
    CHECK(d.payload.empty());
    auto before = it++;
    CHECK((*before).id == 41);
    d = *it;
    CHECK((d.id == 43 && d.context == 3 && d.port_context == 8));
    CHECK(d.text() == "eleven char");
    CHECK(++it == ds.end());

    Datagrams none{std::span<const std::byte>{}};
    CHECK(none.empty());
    CHECK(none.begin() == none.end());
    CHECK(Datagrams{}.size() == 0);
}

TEST_CASE("Datagrams refuses bytes that are not whole datagrams", "[datagrams]") {
    std::vector<std::byte> raw(datagram_size(5) + datagram_size(0));
    std::size_t one = put(raw.data(), 1, 0, 0, 0, "hello");
    put(raw.data() + one, 2, 0, 0, 0, "");
    auto bytes = std::span<const std::byte>(raw);
    CHECK(Datagrams(bytes).size() == 2);

    // A header cut short, a payload or its padding cut short, trailing bytes.
    CHECK(error_of([&] { (void)Datagrams(bytes.first(8)); }) == EINVAL);
    CHECK(error_of([&] { (void)Datagrams(bytes.first(sizeof(alpc_dgram) + 5)); }) == EINVAL);
    CHECK(error_of([&] { (void)Datagrams(bytes.first(one + 8)); }) == EINVAL);
    CHECK(Datagrams(bytes.first(one)).size() == 1);

    // A length that would wrap 32-bit arithmetic runs past the end.
    alpc_dgram h{};
    h.len = UINT32_MAX;
    std::memcpy(raw.data() + one, &h, sizeof(h));
    CHECK(error_of([&] { (void)Datagrams(bytes); }) == EINVAL);
}

TEST_CASE("A DatagramBuffer starts empty; an empty writer makes no system call", "[datagrams]") {
    DatagramBuffer buf(256);
    CHECK(buf.room() == 256);
    CHECK(buf.empty());
    CHECK(buf.size() == 0);
    CHECK(buf.begin() == buf.end());
    CHECK(buf.needed() == 0);
    buf.reserve(100);
    CHECK(buf.room() == 256);
    buf.reserve(1000);
    CHECK(buf.room() == 1000);

    // Not a port: an empty writer sends nothing, anything else reaches
    // the fd and fails.
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    alpcu::Connection c{alpcu::Fd(p[0])};
    alpcu::Fd wr(p[1]);
    DatagramWriter w;
    auto sent = alpcu::send_datagrams(c, w);
    REQUIRE(sent.ok());
    CHECK(sent->count == 0);
    CHECK(sent->first_id == 0);
    REQUIRE(w.add(alpcu::bytes("a")));
    CHECK_THROWS_AS(alpcu::send_datagrams(c, w), std::system_error);
    CHECK(w.count() == 1);
    CHECK_THROWS_AS(alpcu::receive_datagrams(c, buf, alpcu::no_wait), std::system_error);
    CHECK(buf.empty());
}

TEST_CASE("Datagrams of mixed sizes go in one call and come back in one, with consecutive ids",
          "[vm][datagrams]") {
    auto pair = test::connect_comm_pair({}, 7);
    for (bool to_server : {true, false}) {
        INFO((to_server ? "client to server" : "server to client"));
        auto& from = to_server ? pair.client : pair.server;
        auto& to = to_server ? pair.server : pair.client;

        DatagramWriter w;
        for (std::size_t i = 0; i < std::size(sizes); ++i)
            REQUIRE(w.add(pattern(sizes[i], i), 100 + i));
        auto sent = alpcu::send_datagrams(from, w, 1s);
        REQUIRE(sent.ok());
        CHECK(sent->count == std::size(sizes));
        CHECK(sent->first_id != 0);
        CHECK(w.empty());
        CHECK(w.bytes().empty());

        DatagramBuffer in(std::size(sizes) * datagram_size(256));
        auto got = alpcu::receive_datagrams(to, in, 1s);
        REQUIRE(got.ok());
        CHECK(*got == std::size(sizes));
        REQUIRE(in.size() == std::size(sizes));
        std::size_t i = 0;
        for (const alpcu::Datagram& d : in) {
            INFO("datagram " << i);
            CHECK(d.id == sent->first_id + i);
            CHECK(d.context == 100 + i);
            // A server's end hears its client's port_context; a client none.
            CHECK(d.port_context == (to_server ? 7u : 0u));
            CHECK(d.flags == 0);
            CHECK(same(d.payload, pattern(sizes[i], i)));
            ++i;
        }
        CHECK(alpcu::receive_datagrams(to, in, alpcu::no_wait).status() == Status::would_block);
        CHECK(in.empty());
    }
}

TEST_CASE("receive_datagrams on a connection port reports each client's port_context",
          "[vm][datagrams]") {
    auto name = test::unique_name("dgrams");
    auto port = alpcu::Port::create(name);
    auto connect = [&](std::uint64_t port_context) {
        auto client = std::async(std::launch::async,
                                 [&] { return alpcu::Connection::connect(name, {}, 5s); });
        auto req = port.receive(5s).value();
        REQUIRE(port.accept(req, port_context) == Status::ok);
        return std::move(client.get()).value();
    };
    auto a = connect(11);
    auto b = connect(22);

    DatagramWriter w;
    REQUIRE(w.add(alpcu::bytes("a1"), 1));
    REQUIRE(w.add(alpcu::bytes("a2"), 2));
    auto from_a = alpcu::send_datagrams(a, w, 1s).value();
    REQUIRE(w.add(alpcu::bytes("b1"), 3));
    auto from_b = alpcu::send_datagrams(b, w, 1s).value();

    // At most max at a time.
    DatagramBuffer in(4096);
    CHECK(alpcu::receive_datagrams(port, in, 1s, 2).value() == 2);
    std::vector<alpcu::Datagram> seen(in.begin(), in.end());
    CHECK(alpcu::receive_datagrams(port, in, 1s).value() == 1);
    seen.push_back(*in.begin());
    REQUIRE(seen.size() == 3);
    CHECK((seen[0].id == from_a.first_id && seen[0].port_context == 11 && seen[0].context == 1));
    CHECK((seen[1].id == from_a.first_id + 1 && seen[1].port_context == 11));
    CHECK((seen[2].id == from_b.first_id && seen[2].port_context == 22 && seen[2].context == 3));
    CHECK(seen[2].text() == "b1");
    CHECK(alpcu::receive_datagrams(port, in, alpcu::no_wait).status() == Status::would_block);
}

TEST_CASE("A send is all or none: a full queue sends nothing and the writer keeps it all",
          "[vm][datagrams]") {
    auto pair = test::connect_comm_pair({.max_queued_msgs = 4});
    DatagramWriter first, w;
    for (unsigned i = 0; i < 2; ++i)
        REQUIRE(first.add(pattern(i, i), i));
    for (unsigned i = 2; i < 5; ++i)
        REQUIRE(w.add(pattern(i, i), i));
    auto one = alpcu::send_datagrams(pair.client, first, alpcu::no_wait);
    REQUIRE(one.ok());
    CHECK(one->count == 2);
    CHECK(first.empty());

    // Room for two more, not three: nothing goes.
    CHECK(alpcu::send_datagrams(pair.client, w, alpcu::no_wait).status() == Status::would_block);
    CHECK(alpcu::send_datagrams(pair.client, w, 20ms).status() == Status::timed_out);
    CHECK(w.count() == 3);

    DatagramBuffer in(4096);
    REQUIRE(alpcu::receive_datagrams(pair.server, in, alpcu::no_wait).value() == 2);
    auto two = alpcu::send_datagrams(pair.client, w, alpcu::no_wait);
    REQUIRE(two.ok());
    CHECK(two->count == 3);
    CHECK(two->first_id > one->first_id + 1);
    CHECK(w.empty());
    REQUIRE(alpcu::receive_datagrams(pair.server, in, alpcu::no_wait).value() == 3);
    std::uint64_t id = two->first_id, context = 2;
    for (const alpcu::Datagram& d : in) {
        CHECK(d.id == id++);
        CHECK(d.context == context);
        CHECK(same(d.payload, pattern(context, static_cast<unsigned>(context))));
        ++context;
    }

    // More than the queue holds at once can never go.
    for (unsigned i = 0; i < 5; ++i)
        REQUIRE(w.add(pattern(i, i), i));
    CHECK(error_of([&] { (void)alpcu::send_datagrams(pair.client, w, 1s); }) == EMSGSIZE);
    CHECK(w.count() == 5);
}

TEST_CASE("A request at the head stops receive_datagrams: not_datagram", "[vm][datagrams]") {
    auto pair = test::connect_pair();
    (void)pair.client.send(alpcu::bytes("a"), 1s).value();
    auto req = pair.client.send_request(alpcu::bytes("r"), 1s).value();
    (void)pair.client.send(alpcu::bytes("b"), 1s).value();

    DatagramBuffer in(4096);
    CHECK(alpcu::receive_datagrams(pair.port, in, 1s).value() == 1);
    CHECK((*in.begin()).text() == "a");
    auto r = alpcu::receive_datagrams(pair.port, in, 1s);
    CHECK(r.status() == Status::not_datagram);
    CHECK(in.empty());
    CHECK(in.needed() == 0);
    CHECK(error_of([&] { (void)r.value(); }) == ENOMSG);

    auto m = pair.port.receive(1s).value();
    CHECK((m.type == MessageType::request && m.id == req));
    CHECK(alpcu::receive_datagrams(pair.port, in, 1s).value() == 1);
    CHECK((*in.begin()).text() == "b");
}

TEST_CASE("A datagram larger than the buffer stays queued: too_large says the room it needs",
          "[vm][datagrams]") {
    auto pair = test::connect_pair();
    (void)pair.client.send(pattern(100, 1), 1s).value();
    (void)pair.client.send(pattern(100, 2), 1s).value();

    DatagramBuffer in(64);
    auto r = alpcu::receive_datagrams(pair.port, in, 1s);
    CHECK(r.status() == Status::too_large);
    CHECK(in.needed() == datagram_size(100));
    CHECK(in.empty());
    CHECK(error_of([&] { (void)r.value(); }) == EMSGSIZE);

    // Room for one: the first comes, the second waits for the next call.
    in.reserve(in.needed());
    CHECK(in.needed() == 0);
    CHECK(alpcu::receive_datagrams(pair.port, in, 1s).value() == 1);
    CHECK(same((*in.begin()).payload, pattern(100, 1)));
    CHECK(alpcu::receive_datagrams(pair.port, in, 1s).value() == 1);
    CHECK(same((*in.begin()).payload, pattern(100, 2)));
}

TEST_CASE("send and receive_datagrams, send_datagrams and receive, mix", "[vm][datagrams]") {
    auto pair = test::connect_pair({}, 9);
    auto id = pair.client.send(alpcu::bytes("one"), 1s, 5).value();
    DatagramBuffer in(4096);
    REQUIRE(alpcu::receive_datagrams(pair.port, in, 1s).value() == 1);
    auto d = *in.begin();
    CHECK((d.id == id && d.context == 5 && d.port_context == 9));
    CHECK(d.text() == "one");

    DatagramWriter w;
    REQUIRE(w.add(alpcu::bytes("two"), 6));
    REQUIRE(w.add(alpcu::bytes(""), 7));
    auto sent = alpcu::send_datagrams(pair.client, w, 1s).value();
    CHECK(sent.count == 2);
    CHECK(sent.first_id > id);
    for (std::uint64_t i = 0; i < 2; ++i) {
        auto m = pair.port.receive(1s).value();
        CHECK(m.type == MessageType::datagram);
        CHECK(m.id == sent.first_id + i);
        CHECK(m.context == 6 + i);
        CHECK(m.port_context == 9);
        CHECK(m.text() == (i == 0 ? "two" : ""));
        CHECK(m.pid == ::getpid());
        CHECK(m.uid == ::geteuid());
    }
}

TEST_CASE("A datagram over the port's max_msg_len sends nothing", "[vm][datagrams]") {
    auto pair = test::connect_comm_pair({.max_msg_len = 64});
    DatagramWriter w;
    REQUIRE(w.add(alpcu::bytes("fits"), 1));
    REQUIRE(w.add(pattern(65, 0), 2));
    int err = error_of([&] { (void)alpcu::send_datagrams(pair.client, w, 1s); });
    CHECK(err == EMSGSIZE);
    CHECK(w.count() == 2);
    DatagramBuffer in(4096);
    CHECK(alpcu::receive_datagrams(pair.server, in, alpcu::no_wait).status() ==
          Status::would_block);
}
