// SPDX-License-Identifier: MIT
// Sections, views, payloads of any size, and direct access to a
// requester's memory. Tests tagged [vm] need the module: they run in the VM.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <future>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

#include "alpcu/connection.hpp"
#include "alpcu/port.hpp"
#include "alpcu/section.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using alpcu::Access;
using alpcu::Connection;
using alpcu::Message;
using alpcu::MessageType;
using alpcu::Section;
using alpcu::Status;
using alpcu::View;

namespace {

constexpr std::size_t KiB = 1024, MiB = 1024 * KiB;

// size bytes that differ with seed and from word to word.
std::vector<std::byte> pattern(std::size_t size, std::uint64_t seed) {
    std::vector<std::byte> v(size);
    std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (std::size_t i = 0; i < size; i += sizeof x) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::memcpy(v.data() + i, &x, std::min(sizeof x, size - i));
    }
    return v;
}

bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

long page_size() {
    return ::sysconf(_SC_PAGESIZE);
}

// Whether any of the pages around len bytes at p is mapped in this process.
bool mapped(const void* p, std::size_t len) {
    auto page = static_cast<std::uintptr_t>(page_size());
    auto addr = reinterpret_cast<std::uintptr_t>(p);
    auto first = addr & ~(page - 1);
    auto end = (addr + len + page - 1) & ~(page - 1);
    std::vector<unsigned char> vec(1);
    for (auto a = first; a < end; a += page)
        if (::mincore(reinterpret_cast<void*>(a), page, vec.data()) == 0)
            return true;
    return false;
}

template <class F> void expect_errno(int err, F&& f) {
    try {
        f();
        FAIL("no exception");
    } catch (const std::system_error& e) {
        CHECK(e.code().value() == err);
    }
}

const std::size_t payload_sizes[] = {0, 1, 255, 256, 257, 4095, 4096, 64 * KiB, 1 * MiB, 64 * MiB};

} // namespace

TEST_CASE("Section and View own what they hold: noexcept move, no copy, no implicit bool",
          "[section]") {
    static_assert(!std::is_copy_constructible_v<Section>);
    static_assert(!std::is_copy_assignable_v<Section>);
    static_assert(std::is_nothrow_move_constructible_v<Section>);
    static_assert(std::is_nothrow_move_assignable_v<Section>);
    static_assert(!std::is_convertible_v<alpcu::Fd, Section>);
    static_assert(!std::is_constructible_v<bool, Section>);
    static_assert(!std::is_copy_constructible_v<View>);
    static_assert(std::is_nothrow_move_constructible_v<View>);
    static_assert(std::is_nothrow_move_assignable_v<View>);
    static_assert(!std::is_constructible_v<bool, View>);
    // A Message may own a view's mapping: it moves, and never copies.
    static_assert(!std::is_copy_constructible_v<Message>);
    static_assert(std::is_nothrow_move_constructible_v<Message>);
    static_assert(!std::is_constructible_v<alpcu::SectionRange>);
    CHECK(alpcu::allows(Access::read | Access::write, Access::read_write));
    CHECK_FALSE(alpcu::allows(Access::read, Access::write));
}

TEST_CASE("View::adopt takes the pages around a view the receive mapped, and unmaps them once",
          "[section]") {
    alpc_msg_info info{};
    CHECK_FALSE(View::adopt(info).mapped());
    info.flags = ALPC_MSGF_VIEW; // view_addr 0: the receive failed to map it
    info.view_len = 10;
    CHECK_FALSE(View::adopt(info).mapped());

    // Three pages standing in for what the kernel maps: a view from byte
    // 100 of the first page into the third.
    auto page = static_cast<std::size_t>(page_size());
    void* base =
        ::mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(base != MAP_FAILED);
    auto* bytes = static_cast<std::byte*>(base);
    bytes[100] = std::byte{42};
    info.flags = ALPC_MSGF_VIEW | ALPC_MSGF_VIEW_READONLY;
    info.view_addr = reinterpret_cast<std::uintptr_t>(bytes + 100);
    info.view_len = 2 * page;
    info.len = 3;
    std::string inline_bytes = "abc";
    {
        Message m(info, alpcu::bytes(inline_bytes), View::adopt(info));
        REQUIRE(m.view() != nullptr);
        CHECK(m.view()->readonly());
        CHECK(m.payload().size() == 2 * page);
        CHECK(m.payload()[0] == std::byte{42});
        CHECK(alpcu::text(m.inline_payload()) == "abc");
        CHECK_THROWS_AS(m.view()->writable(), std::logic_error);

        Message moved(std::move(m));
        CHECK(m.view() == nullptr); // NOLINT(bugprone-use-after-move): the contract under test
        CHECK(m.payload().empty());
        { Message gone(std::move(m)); }
        CHECK(mapped(base, 3 * page));
        View v = moved.take_view();
        CHECK(moved.view() == nullptr);
        CHECK(moved.text() == "abc"); // the inline bytes, once the view is out
        CHECK(v.size() == 2 * page);
        CHECK(mapped(base, 3 * page));
    }
    CHECK_FALSE(mapped(base, 3 * page));
}

TEST_CASE("create_section maps a zero-filled read-write section of the asked size",
          "[vm][section]") {
    auto pair = test::connect_comm_pair();
    for (std::size_t size : {std::size_t{1}, std::size_t{4095}, std::size_t{4096}, MiB + 3}) {
        Section s = pair.client.create_section(size);
        REQUIRE(s.size() == size);
        REQUIRE(s.bytes().size() == size);
        CHECK(std::all_of(s.bytes().begin(), s.bytes().end(),
                          [](std::byte b) { return b == std::byte{0}; }));
        auto data = pattern(size, size);
        std::memcpy(s.bytes().data(), data.data(), size);
        CHECK(same(s.bytes(), data));
        // A second mapping of the fd sees the same pages.
        void* again = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, s.fd(), 0);
        REQUIRE(again != MAP_FAILED);
        CHECK(same({static_cast<const std::byte*>(again), size}, data));
        ::munmap(again, size);
    }
    // The server's end makes sections of the same connection.
    CHECK(pair.server.create_section(4096).size() == 4096);
    // A private mapping of section pages makes no sense: refused.
    Section s = pair.client.create_section(4096);
    CHECK(::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, s.fd(), 0) == MAP_FAILED);
    CHECK(errno == EINVAL);
}

TEST_CASE("Section moves its fd and mapping, and unmaps and closes once", "[vm][section]") {
    auto pair = test::connect_comm_pair();
    Section a = pair.client.create_section(3 * 4096);
    int fd = a.fd();
    auto* p = a.bytes().data();
    Section b(std::move(a));
    CHECK(a.fd() == -1); // NOLINT(bugprone-use-after-move): the contract under test
    CHECK(a.bytes().empty());
    CHECK(b.fd() == fd);
    CHECK(b.bytes().data() == p);
    Section c;
    c = std::move(b);
    CHECK(mapped(p, 3 * 4096));
    c = Section();
    CHECK_FALSE(mapped(p, 3 * 4096));
    CHECK(::fcntl(fd, F_GETFD) == -1);
    CHECK(errno == EBADF);
}

TEST_CASE("create_section throws EINVAL for size 0 or over max_section_size, ENOMEM over "
          "max_section_bytes",
          "[vm][section]") {
    auto pair = test::connect_comm_pair({.max_section_size = MiB, .max_section_bytes = 2 * MiB});
    CHECK(pair.port.attributes().max_section_size == MiB);
    CHECK(pair.port.attributes().max_section_bytes == 2 * MiB);
    expect_errno(EINVAL, [&] { (void)pair.client.create_section(0); });
    expect_errno(EINVAL, [&] { (void)pair.client.create_section(MiB + 1); });
    {
        Section one = pair.client.create_section(MiB);
        Section two = pair.server.create_section(MiB);
        expect_errno(ENOMEM, [&] { (void)pair.client.create_section(1); });
    }
    // Freed with their Sections: room again.
    CHECK(pair.client.create_section(MiB).size() == MiB);
    // A payload that needs a section over the limit throws EINVAL too.
    expect_errno(EINVAL, [&] { (void)pair.client.send(pattern(MiB + 1, 1)); });
}

TEST_CASE("Port::create applies the default section limits", "[vm][section]") {
    auto port = alpcu::Port::create(test::unique_name("section-defaults"));
    CHECK(port.attributes().max_section_size == 64 * MiB);
    CHECK(port.attributes().max_section_bytes == 128 * MiB);
    CHECK_FALSE(port.attributes().direct_access);
}

TEST_CASE("send carries payloads of every size intact: inline up to the limit, a view above",
          "[vm][section]") {
    std::size_t size = GENERATE(from_range(std::begin(payload_sizes), std::end(payload_sizes)));
    CAPTURE(size);
    auto pair = test::connect_pair();
    auto data = pattern(size, 1);
    REQUIRE(pair.client.send(data, 5s, 99).ok());
    auto m = pair.port.receive(5s);
    REQUIRE(m.ok());
    CHECK(m->type == MessageType::datagram);
    CHECK(m->context == 99);
    CHECK(same(m->payload(), data));
    if (size <= ALPC_MSG_DEFAULT_MAX) {
        CHECK(m->view() == nullptr);
        CHECK(m->flags == 0);
    } else {
        REQUIRE(m->view() != nullptr);
        CHECK(m->view()->readonly());
        CHECK(m->flags == (ALPC_MSGF_VIEW | ALPC_MSGF_VIEW_READONLY));
        CHECK(m->inline_payload().empty());
    }
}

TEST_CASE("request and reply carry payloads of every size both ways", "[vm][section]") {
    std::size_t size = GENERATE(from_range(std::begin(payload_sizes), std::end(payload_sizes)));
    CAPTURE(size);
    auto pair = test::connect_comm_pair();
    auto ask = pattern(size, 2);
    auto answer = pattern(size, 3);
    {
        auto client =
            std::async(std::launch::async, [&] { return pair.client.request(ask, 10s, 0x1234); });
        auto req = pair.server.receive(10s);
        REQUIRE(req.ok());
        CHECK(req->type == MessageType::request);
        CHECK(req->context == 0x1234);
        CHECK(same(req->payload(), ask));
        CHECK(pair.server.reply(*req, answer, 0x5678) == Status::ok);
        auto reply = client.get();
        REQUIRE(reply.ok());
        CHECK(reply->type == MessageType::reply);
        CHECK(reply->ref_id == req->id);
        CHECK(reply->context == 0x5678);
        CHECK(same(reply->payload(), answer));
        CHECK((reply->view() != nullptr) == (size > ALPC_MSG_DEFAULT_MAX));
    }
    {
        // The server's end sends too, and a request sent without waiting
        // gets its reply through receive.
        REQUIRE(pair.server.send(answer, 10s).ok());
        auto m = pair.client.receive(10s);
        REQUIRE(m.ok());
        CHECK(same(m->payload(), answer));
    }
    {
        auto id = pair.server.send_request(ask, 10s);
        REQUIRE(id.ok());
        auto req = pair.client.receive(10s);
        REQUIRE(req.ok());
        CHECK(req->id == *id);
        CHECK(same(req->payload(), ask));
        CHECK(pair.client.reply(*req, answer) == Status::ok);
        auto reply = pair.server.receive(10s);
        REQUIRE(reply.ok());
        CHECK(reply->ref_id == *id);
        CHECK(same(reply->payload(), answer));
    }
}

TEST_CASE("serve hands a handler the payload of a request that came as a view",
          "[vm][section][serve]") {
    auto name = test::unique_name("serve-view");
    auto port = alpcu::Port::create(name);
    std::stop_source stop;
    std::jthread server([&] {
        port.serve(
            [&](const Message& m, alpcu::Responder& r) {
                if (m.type == MessageType::connection_request) {
                    (void)r.accept();
                } else if (m.type == MessageType::request) {
                    std::uint64_t sum = 0;
                    for (std::byte b : m.payload())
                        sum += std::to_integer<unsigned>(b);
                    std::string s = std::to_string(m.payload().size()) + " " + std::to_string(sum);
                    r.reply(alpcu::bytes(s));
                }
            },
            stop.get_token(), 20ms);
    });
    auto conn = Connection::connect(name, {}, 5s);
    REQUIRE(conn.ok());
    auto data = pattern(MiB + 1, 4);
    std::uint64_t sum = 0;
    for (std::byte b : data)
        sum += std::to_integer<unsigned>(b);
    auto reply = conn->request(data, 10s);
    REQUIRE(reply.ok());
    CHECK(reply->text() == std::to_string(MiB + 1) + " " + std::to_string(sum));
    stop.request_stop();
}

TEST_CASE("a reply over max_msg_len from a connection port throws EMSGSIZE and sends nothing",
          "[vm][section]") {
    auto pair = test::connect_pair();
    auto client =
        std::async(std::launch::async, [&] { return pair.client.request(alpcu::bytes("?"), 5s); });
    auto req = pair.port.receive(5s).value();
    expect_errno(EMSGSIZE,
                 [&] { (void)pair.port.reply(req, pattern(ALPC_MSG_DEFAULT_MAX + 1, 5)); });
    CHECK(pair.port.reply(req, alpcu::bytes("fits")) == Status::ok);
    auto reply = client.get();
    REQUIRE(reply.ok());
    CHECK(reply->text() == "fits");
}

TEST_CASE("a read-only view cannot be written: writable() throws, mprotect fails",
          "[vm][section]") {
    auto pair = test::connect_pair();
    REQUIRE(pair.client.send(pattern(3 * 4096, 6)).ok());
    auto m = pair.port.receive(5s).value();
    REQUIRE(m.view() != nullptr);
    CHECK(m.view()->readonly());
    CHECK_THROWS_AS(m.view()->writable(), std::logic_error);
    auto* base = const_cast<std::byte*>(m.payload().data());
    CHECK(::mprotect(base, 4096, PROT_READ | PROT_WRITE) == -1);
    CHECK(errno == EACCES);
}

TEST_CASE("a read-write view shares the sender's section, at any offset", "[vm][section]") {
    auto pair = test::connect_comm_pair();
    Section sec = pair.client.create_section(3 * 4096 + 5);
    auto data = pattern(sec.size(), 7);
    std::memcpy(sec.bytes().data(), data.data(), data.size());

    // Odd offsets and lengths, read-only.
    REQUIRE(pair.client.send(sec.range(5, sec.size() - 7)).ok());
    {
        auto m = pair.server.receive(5s).value();
        REQUIRE(m.view() != nullptr);
        CHECK(m.view()->readonly());
        CHECK(same(m.payload(), std::span(data).subspan(5, data.size() - 7)));
    }
    // Read-write: the receiver's writes land in the sender's section.
    REQUIRE(pair.client.send(sec.range(4096 + 9, 10, Access::read_write)).ok());
    auto m = pair.server.receive(5s).value();
    REQUIRE(m.view() != nullptr);
    CHECK_FALSE(m.view()->readonly());
    CHECK(m.flags == ALPC_MSGF_VIEW);
    CHECK(same(m.payload(), std::span(data).subspan(4096 + 9, 10)));
    m.view()->writable()[0] = std::byte{0xEE};
    CHECK(sec.bytes()[4096 + 9] == std::byte{0xEE});
    sec.bytes()[4096 + 10] = std::byte{0xDD};
    CHECK(m.payload()[1] == std::byte{0xDD});

    // A section range as a request and as a reply.
    auto client =
        std::async(std::launch::async, [&] { return pair.client.request(sec.range(0, 100), 5s); });
    auto req = pair.server.receive(5s).value();
    CHECK(same(req.payload(), std::span(sec.bytes()).first(100)));
    Section answer = pair.server.create_section(4096);
    std::memcpy(answer.bytes().data(), "answer", 6);
    CHECK(pair.server.reply(req, answer.range(0, 6)) == Status::ok);
    auto reply = client.get();
    REQUIRE(reply.ok());
    CHECK(reply->text() == "answer");
}

TEST_CASE("a received view is unmapped once, with the last Message or View that owns it",
          "[vm][section]") {
    auto pair = test::connect_pair();
    REQUIRE(pair.client.send(pattern(MiB, 8)).ok());
    const std::byte* p = nullptr;
    {
        Message kept;
        {
            auto m = pair.port.receive(5s).value();
            REQUIRE(m.view() != nullptr);
            p = m.payload().data();
            CHECK(mapped(p, MiB));
            kept = std::move(m);
        }
        CHECK(mapped(p, MiB)); // the moved-from Message did not unmap it
        CHECK(kept.payload().data() == p);
        View v = kept.take_view();
        { Message gone(std::move(kept)); }
        CHECK(mapped(p, MiB));
        CHECK(v.bytes().data() == p);
    }
    CHECK_FALSE(mapped(p, MiB));

    // release() hands the mapping over: the caller unmaps it.
    REQUIRE(pair.client.send(pattern(MiB, 9)).ok());
    std::span<std::byte> raw;
    {
        auto m = pair.port.receive(5s).value();
        raw = m.take_view().release();
    }
    CHECK(mapped(raw.data(), raw.size()));
    CHECK(::munmap(raw.data(), raw.size()) == 0); // page-aligned: offset 0 of a section
    CHECK_FALSE(mapped(raw.data(), raw.size()));
}

TEST_CASE("a view of another connection's section throws EINVAL; a range outside its section too",
          "[vm][section]") {
    auto pair = test::connect_pair();
    auto connecting =
        std::async(std::launch::async, [&] { return Connection::connect(pair.name, {}, 5s); });
    auto req = pair.port.receive(5s).value();
    REQUIRE(pair.port.accept(req, 8) == Status::ok);
    auto other = connecting.get();
    REQUIRE(other.ok());
    Section sec = other->create_section(4096);
    expect_errno(EINVAL, [&] { (void)pair.client.send(sec.range()); });
    expect_errno(EINVAL, [&] { (void)pair.client.request(sec.range(), 1s); });
    CHECK(pair.port.receive(alpcu::no_wait).status() == Status::would_block);
    expect_errno(EINVAL, [&] { (void)sec.range(4097); });
    expect_errno(EINVAL, [&] { (void)sec.range(4000, 97); });
    CHECK(sec.range(4096).length() == 0);
    // A view of no bytes is refused by the kernel.
    expect_errno(EINVAL, [&] { (void)other->send(sec.range(4096)); });
}

TEST_CASE("the inline limit: a client learns a lower port limit; a server's Connection knows it",
          "[vm][section]") {
    auto pair = test::connect_comm_pair({.max_msg_len = 64});
    CHECK(pair.client.inline_limit() == ALPC_MSG_DEFAULT_MAX);
    CHECK(pair.server.inline_limit() == 64);
    auto data = pattern(100, 10);
    REQUIRE(pair.client.send(data).ok()); // refused inline, sent as a view
    auto m = pair.server.receive(5s).value();
    CHECK(m.view() != nullptr);
    CHECK(same(m.payload(), data));
    CHECK(pair.client.inline_limit() == 99);
    REQUIRE(pair.client.send(std::span(data).first(64)).ok());
    CHECK(pair.server.receive(5s).value().view() == nullptr);
    REQUIRE(pair.server.send(std::span(data).first(65)).ok());
    CHECK(pair.client.receive(5s).value().view() != nullptr);

    // Raised to a port's larger limit, sends stay inline that far.
    auto big = test::connect_pair({.max_msg_len = 4096});
    big.client.set_inline_limit(4096);
    REQUIRE(big.client.send(pattern(4096, 11)).ok());
    CHECK(big.port.receive(5s).value().view() == nullptr);
    big.client.set_inline_limit(10 * ALPC_MSG_LIMIT);
    CHECK(big.client.inline_limit() == ALPC_MSG_LIMIT);
}

TEST_CASE("direct access: the receiver reads and writes lent memory until it replies",
          "[vm][section][access]") {
    auto pair = test::connect_pair({.direct_access = true});
    CHECK(pair.port.attributes().direct_access);
    std::vector<std::byte> lent(100);
    for (std::size_t i = 0; i < lent.size(); ++i)
        lent[i] = static_cast<std::byte>(i);
    auto data = pattern(MiB, 12); // a view and lent memory in one request
    auto client = std::async(std::launch::async, [&] {
        return pair.client.request(data, alpcu::lend(lent, Access::read_write), 5s);
    });
    auto req = pair.port.receive(5s).value();
    CHECK(req.flags == (ALPC_MSGF_VIEW | ALPC_MSGF_VIEW_READONLY | ALPC_MSGF_REGION_READ |
                        ALPC_MSGF_REGION_WRITE));
    CHECK(req.region_len == 100);
    CHECK(same(req.payload(), data));

    std::vector<std::byte> buf(50);
    CHECK(pair.port.read(req, 50, buf) == Status::ok);
    CHECK(buf[0] == std::byte{50});
    CHECK(buf[49] == std::byte{99});
    expect_errno(EINVAL, [&] { (void)pair.port.read(req, 51, buf); });
    CHECK(pair.port.write(req, 10, alpcu::bytes("XY")) == Status::ok);
    CHECK(pair.port.reply(req, alpcu::bytes("done")) == Status::ok);
    auto reply = client.get();
    REQUIRE(reply.ok());
    CHECK(reply->text() == "done");
    CHECK(lent[9] == std::byte{9});
    CHECK(lent[10] == std::byte{'X'});
    CHECK(lent[11] == std::byte{'Y'});
    CHECK(lent[12] == std::byte{12});
    // Answered: the memory is the requester's alone again.
    CHECK(pair.port.read(req, 0, buf) == Status::lost);
    CHECK(pair.port.write(req, 0, alpcu::bytes("Z")) == Status::lost);
    CHECK(lent[0] == std::byte{0});
}

TEST_CASE("direct access needs the right: write to read-only memory throws EPERM, and a port "
          "without direct_access refuses lending with EPERM",
          "[vm][section][access]") {
    {
        auto pair = test::connect_pair({.direct_access = true});
        std::vector<std::byte> lent(16);
        auto client = std::async(std::launch::async, [&] {
            return pair.client.request({}, alpcu::lend(lent, Access::read), 5s);
        });
        auto req = pair.port.receive(5s).value();
        CHECK(req.flags == ALPC_MSGF_REGION_READ);
        expect_errno(EPERM, [&] { (void)pair.port.write(req, 0, alpcu::bytes("x")); });
        std::vector<std::byte> buf(16);
        CHECK(pair.port.read(req, 0, buf) == Status::ok);
        CHECK(pair.port.reply(req, {}) == Status::ok);
        CHECK(client.get().ok());
        CHECK(lent[0] == std::byte{0});
    }
    {
        // Nothing lent at all.
        auto pair = test::connect_pair({.direct_access = true});
        auto client = std::async(std::launch::async,
                                 [&] { return pair.client.request(alpcu::bytes("plain"), 5s); });
        auto req = pair.port.receive(5s).value();
        std::vector<std::byte> buf(1);
        expect_errno(EPERM, [&] { (void)pair.port.read(req, 0, buf); });
        CHECK(pair.port.reply(req, {}) == Status::ok);
        CHECK(client.get().ok());
    }
    auto pair = test::connect_pair();
    std::vector<std::byte> lent(16);
    expect_errno(EPERM,
                 [&] { (void)pair.client.request({}, alpcu::lend(lent, Access::read), 1s); });
    CHECK(pair.port.receive(alpcu::no_wait).status() == Status::would_block);
}

TEST_CASE("Responder reads and writes the memory a request lent, inside serve",
          "[vm][section][access][serve]") {
    auto name = test::unique_name("serve-access");
    auto port = alpcu::Port::create(name, {.direct_access = true});
    std::stop_source stop;
    std::jthread server([&] {
        port.serve(
            [&](const Message& m, alpcu::Responder& r) {
                if (m.type == MessageType::connection_request) {
                    (void)r.accept();
                } else if (m.type == MessageType::request) {
                    // Upper-cases the lent text in place.
                    std::vector<std::byte> buf(m.region_len);
                    if (r.read(0, buf) != Status::ok)
                        return;
                    for (auto& b : buf)
                        b = static_cast<std::byte>(std::toupper(std::to_integer<int>(b)));
                    r.reply(alpcu::bytes("ok"));
                    // Still outstanding until the handler returns.
                    (void)r.write(0, buf);
                }
            },
            stop.get_token(), 20ms);
    });
    auto conn = Connection::connect(name, {}, 5s);
    REQUIRE(conn.ok());
    std::string text = "hello, direct access";
    auto lent = std::as_writable_bytes(std::span(text.data(), text.size()));
    auto reply = conn->request({}, alpcu::lend(lent, Access::read_write), 5s);
    REQUIRE(reply.ok());
    CHECK(reply->text() == "ok");
    CHECK(text == "HELLO, DIRECT ACCESS");
    stop.request_stop();
}
