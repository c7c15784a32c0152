// SPDX-License-Identifier: MIT
// Security descriptors, credentials, pidfds and fd passing. Tests tagged
// [vm] need the module: they run in the VM only, as root, and drop to
// other ids in forked children.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <future>
#include <grp.h>
#include <poll.h>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

#include "alpcu/completion.hpp"
#include "alpcu/port.hpp"
#include "alpcu/security.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using alpcu::AccessEntry;
using alpcu::AccessKind;
using alpcu::Connection;
using alpcu::MessageType;
using alpcu::Port;
using alpcu::SecurityDescriptor;
using alpcu::Status;

namespace {

// The unprivileged ids forked children drop to.
constexpr uid_t user_uid = 1000;
constexpr gid_t user_gid = 1000;

void check_errno(std::errc want, auto&& f) {
    try {
        f();
        FAIL("did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == want);
    }
}

void check_einval(auto&& f) {
    check_errno(std::errc::invalid_argument, f);
}

// A pipe to say "ready" across fork().
struct Signal {
    alpcu::Fd r, w;
    Signal() {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0)
            throw std::system_error(errno, std::generic_category(), "pipe2");
        r.reset(p[0]);
        w.reset(p[1]);
    }
    void raise() const { (void)!::write(w.get(), "!", 1); }
    [[nodiscard]] bool wait(int ms = 5000) const {
        pollfd p{r.get(), POLLIN, 0};
        char c;
        return ::poll(&p, 1, ms) == 1 && ::read(r.get(), &c, 1) == 1;
    }
};

int count_fds() {
    int n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

bool cloexec(int fd) {
    return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

} // namespace

TEST_CASE("SecurityDescriptor keeps its access entries in the order they were added",
          "[security]") {
    SecurityDescriptor sd(1000, 100, 0640);
    sd.deny_uid(1001).allow_gid(50).allow_uid(1001).deny_gid(60);
    REQUIRE(sd.entries().size() == 4);
    CHECK(sd.entries()[0] == AccessEntry{AccessKind::deny_uid, 1001});
    CHECK(sd.entries()[1] == AccessEntry{AccessKind::allow_gid, 50});
    CHECK(sd.entries()[2] == AccessEntry{AccessKind::allow_uid, 1001});
    CHECK(sd.entries()[3] == AccessEntry{AccessKind::deny_gid, 60});
    CHECK(sd.entries()[0].names_uid());
    CHECK_FALSE(sd.entries()[0].allows());
    CHECK_FALSE(sd.entries()[1].names_uid());
    CHECK(sd.entries()[1].allows());
    sd.clear_entries();
    CHECK(sd.entries().empty());
    CHECK(sd == SecurityDescriptor(1000, 100, 0640));
}

TEST_CASE("SecurityDescriptor::owned_by_caller names the effective ids", "[security]") {
    auto sd = SecurityDescriptor::owned_by_caller(0660);
    CHECK(sd.uid == ::geteuid());
    CHECK(sd.gid == ::getegid());
    CHECK(sd.mode == 0660);
    CHECK(SecurityDescriptor::owned_by_caller().mode == 0600);
}

TEST_CASE("SecurityDescriptor refuses a 33rd entry with EINVAL, as the kernel would",
          "[security]") {
    SecurityDescriptor sd;
    for (std::uint32_t i = 0; i < SecurityDescriptor::max_entries; ++i)
        sd.allow_uid(2000 + i);
    check_einval([&] { sd.deny_gid(1); });
    CHECK(sd.entries().size() == ALPC_ACL_MAX);
    CHECK_NOTHROW(sd.validate());
}

TEST_CASE("SecurityDescriptor::validate mirrors the kernel's EINVAL cases", "[security]") {
    CHECK_NOTHROW(SecurityDescriptor(0, 0, 0).validate());
    CHECK_NOTHROW(SecurityDescriptor(0, 0, 0777).validate());
    check_einval([] { SecurityDescriptor(0, 0, 01000).validate(); });
    check_einval([] { SecurityDescriptor(0, 0, 04755).validate(); });
    check_einval([] { SecurityDescriptor(static_cast<uid_t>(-1), 0, 0600).validate(); });
    check_einval([] { SecurityDescriptor(0, static_cast<gid_t>(-1), 0600).validate(); });
    check_einval([] {
        SecurityDescriptor sd;
        sd.allow_gid(static_cast<gid_t>(-1));
        sd.validate();
    });
    check_einval([] {
        SecurityDescriptor sd;
        sd.add({static_cast<AccessKind>(5), 1});
        sd.validate();
    });
    // to_uapi validates first.
    check_einval([] { (void)SecurityDescriptor(0, 0, 01600).to_uapi(); });
}

TEST_CASE("SecurityDescriptor converts to the uapi form and back unchanged", "[security]") {
    SecurityDescriptor sd(1000, 100, 0620);
    sd.deny_uid(1001).allow_gid(50).allow_uid(0).deny_gid(60);
    alpc_security u = sd.to_uapi();
    CHECK(u.uid == 1000);
    CHECK(u.gid == 100);
    CHECK(u.mode == 0620);
    CHECK(u.count == 4);
    CHECK(u.acl[0].type == ALPC_ACE_DENY_UID);
    CHECK(u.acl[0].id == 1001);
    CHECK(u.acl[1].type == ALPC_ACE_ALLOW_GID);
    CHECK(u.acl[3].type == ALPC_ACE_DENY_GID);
    CHECK(u.reserved[0] == 0);
    CHECK(u.reserved[1] == 0);
    // Entries past count are zero, as the kernel demands.
    for (std::size_t i = 4; i < ALPC_ACL_MAX; ++i) {
        CHECK(u.acl[i].type == 0);
        CHECK(u.acl[i].id == 0);
    }
    CHECK(SecurityDescriptor::from_uapi(u) == sd);

    alpc_security bad = u;
    bad.count = ALPC_ACL_MAX + 1;
    check_einval([&] { (void)SecurityDescriptor::from_uapi(bad); });
    bad = u;
    bad.acl[2].type = 0;
    check_einval([&] { (void)SecurityDescriptor::from_uapi(bad); });
}

TEST_CASE("SecurityDescriptor::allows: mode classes need write permission", "[security]") {
    SecurityDescriptor sd(1000, 100, 0620);
    CHECK(sd.allows(1000, 100)); // owner: 06, write
    CHECK(sd.allows(1001, 100)); // group: 02, write
    std::vector<gid_t> groups{100};
    CHECK(sd.allows(1001, 7, groups)); // group through a supplementary group
    CHECK_FALSE(sd.allows(1001, 7));   // other: 0
    CHECK_FALSE(sd.allows(0, 0));      // root gets no bypass
    sd.mode = 0444;                    // read grants nothing
    CHECK_FALSE(sd.allows(1000, 100));
    sd.mode = 0002; // the owner class decides for the owner, even against others
    CHECK_FALSE(sd.allows(1000, 100));
    CHECK(sd.allows(1001, 7));
}

TEST_CASE("SecurityDescriptor::allows: the first entry that names the client decides",
          "[security]") {
    SecurityDescriptor sd(1000, 100, 0600);
    sd.deny_uid(1000).allow_gid(50).deny_gid(60).allow_uid(1002);
    CHECK_FALSE(sd.allows(1000, 100)); // denied before the mode is looked at
    CHECK(sd.allows(1001, 50));
    std::vector<gid_t> groups{60, 50};
    CHECK(sd.allows(1001, 7, groups)); // allow_gid 50 comes before deny_gid 60
    CHECK_FALSE(sd.allows(1002, 60));  // deny_gid 60 comes before allow_uid 1002
    CHECK(sd.allows(1002, 7));
    CHECK_FALSE(sd.allows(1003, 7)); // no entry: other has no permission
}

TEST_CASE("get_security and set_security refuse an empty or bad name without asking the kernel",
          "[security]") {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    alpcu::Device dev{alpcu::Fd(p[0])};
    alpcu::Fd w(p[1]);
    for (std::string bad : {std::string(), std::string(ALPC_NAME_MAX, 'x')}) {
        check_einval([&] { (void)alpcu::get_security(dev, bad); });
        check_einval([&] { alpcu::set_security(dev, bad, SecurityDescriptor()); });
    }
    check_einval([&] { alpcu::set_security(dev, "fine", SecurityDescriptor(0, 0, 0700000)); });
}

TEST_CASE("AccessKind names every uapi entry type", "[security]") {
    for (std::uint32_t t = ALPC_ACE_ALLOW_UID; t <= ALPC_ACE_DENY_GID; ++t)
        CHECK(std::string(alpcu::to_string(static_cast<AccessKind>(t))) != "unknown access kind");
}

// --- In the VM, as root: the kernel's side of it. ---

TEST_CASE("a new port is owned by its creator with mode 0600; the descriptor round-trips",
          "[vm][security]") {
    auto name = test::unique_name("sd");
    auto port = Port::create(name);
    CHECK(port.attributes().mode == 0600);
    CHECK(port.security() == SecurityDescriptor::owned_by_caller(0600));

    auto want = SecurityDescriptor::owned_by_caller(0620);
    want.deny_uid(1001).allow_gid(50).allow_uid(user_uid).deny_gid(60);
    port.set_security(want);
    CHECK(port.attributes().mode == 0620);
    CHECK(port.security() == want);
    CHECK(alpcu::get_security(name) == want);

    // By name, on /dev/alpc: the same descriptor.
    auto other = SecurityDescriptor::owned_by_caller(0666);
    other.deny_gid(user_gid);
    alpcu::set_security(name, other);
    CHECK(port.security() == other);
    CHECK(alpcu::get_security(name) == other);

    check_errno(std::errc::no_such_file_or_directory,
                [] { (void)alpcu::get_security(test::unique_name("nobody")); });
}

TEST_CASE("Port::create takes the mode; bits outside 0777 are refused with EINVAL",
          "[vm][security]") {
    auto port = Port::create(test::unique_name("mode"), {.mode = 0660});
    CHECK(port.attributes().mode == 0660);
    CHECK(port.security().mode == 0660);
    check_einval([] { (void)Port::create(test::unique_name("mode"), {.mode = 01777}); });
}

TEST_CASE("only the owner reads or changes a descriptor: others get EPERM", "[vm][security]") {
    auto name = test::unique_name("owner");
    auto port = Port::create(name, {.mode = 0666});
    pid_t child = test::spawn([&] {
        if (!test::drop_to(user_uid, user_gid))
            return 1;
        try {
            (void)alpcu::get_security(name);
            return 2;
        } catch (const std::system_error& e) {
            if (e.code() != std::errc::operation_not_permitted)
                return 3;
        }
        try {
            alpcu::set_security(name, SecurityDescriptor(user_uid, user_gid, 0666));
            return 4;
        } catch (const std::system_error& e) {
            return e.code() == std::errc::operation_not_permitted ? 0 : 5;
        }
    });
    CHECK(test::reap(child) == 0);
    CHECK(port.security().uid == ::geteuid());
}

// Connects to name as user_uid in a forked child: its exit status is 0
// when connected (and accepted), 13 for EACCES, 1 for EPERM.
pid_t connect_as_user(const std::string& name, alpcu::ConnectOptions opts = {}) {
    return test::spawn([&] {
        if (!test::drop_to(user_uid, user_gid))
            return 90;
        try {
            auto c = Connection::connect(name, alpcu::bytes("user"), 5s, opts);
            return c.ok() ? 0 : 20 + static_cast<int>(c.status());
        } catch (const std::system_error& e) {
            if (e.code() == std::errc::permission_denied)
                return 13;
            if (e.code() == std::errc::operation_not_permitted)
                return 1;
            return 91;
        }
    });
}

TEST_CASE("a client the descriptor refuses gets EACCES as std::system_error; the server sees "
          "nothing",
          "[vm][security]") {
    auto name = test::unique_name("refuse");
    auto port = Port::create(name); // 0600, owned by root
    CHECK(test::reap(connect_as_user(name)) == 13);
    CHECK(port.receive(alpcu::no_wait).status() == Status::would_block);

    // A deny entry for its group, first, shuts it out whatever the mode
    // and later entries say.
    auto denied_name = test::unique_name("denied");
    auto denied = Port::create(denied_name, {.mode = 0666});
    auto deny = denied.security();
    deny.deny_gid(user_gid).allow_uid(user_uid);
    denied.set_security(deny);
    CHECK(test::reap(connect_as_user(denied_name)) == 13);
    CHECK(denied.receive(alpcu::no_wait).status() == Status::would_block);
}

TEST_CASE("an access entry lets a client in ahead of the mode", "[vm][security]") {
    auto name = test::unique_name("allow");
    auto port = Port::create(name); // 0600, owned by root
    auto sd = port.security();
    sd.allow_uid(user_uid);
    port.set_security(sd);
    pid_t child = connect_as_user(name);
    auto req = port.receive(5s);
    REQUIRE(req.ok());
    CHECK(req->type == MessageType::connection_request);
    CHECK(req->sender().uid == user_uid);
    CHECK(req->sender().gid == user_gid);
    CHECK(req->sender().pid == child);
    CHECK(port.accept(*req) == Status::ok);
    CHECK(test::reap(child) == 0);
}

TEST_CASE("a refused connect leaves the port open to the clients it allows", "[vm][security]") {
    auto name = test::unique_name("after-refusal");
    auto port = Port::create(name); // 0600, owned by root
    CHECK(test::reap(connect_as_user(name)) == 13);
    check_errno(std::errc::operation_not_permitted,
                [&] { (void)Connection::connect(name, {}, 5s, {.server_uid = user_uid}); });
    // The owner, root, may still connect.
    auto client =
        std::async(std::launch::async, [&] { return Connection::connect(name, {}, 5s).status(); });
    auto req = port.receive(5s);
    CHECK(req.ok());
    if (req.ok())
        CHECK(port.accept(*req) == Status::ok);
    CHECK(client.get() == Status::ok);
}

TEST_CASE("secure connect refuses a squatter with EPERM and accepts the named owner",
          "[vm][security]") {
    auto squatted = test::unique_name("squat");
    auto genuine = test::unique_name("genuine");
    Signal ready;
    // A user takes a name first, as a squatter would, and serves another.
    pid_t squatter = test::spawn([&] {
        if (!test::drop_to(user_uid, user_gid))
            return 1;
        auto trap = Port::create(squatted, {.mode = 0666});
        auto port = Port::create(genuine, {.mode = 0666});
        ready.raise();
        auto req = port.receive(10s);
        if (!req.ok() || req->type != MessageType::connection_request)
            return 2;
        if (port.accept(*req) != Status::ok)
            return 3;
        auto gone = port.receive(10s);
        if (!gone.ok() || gone->type != MessageType::port_closed)
            return 4;
        // Nothing ever reached the squatted name.
        return trap.receive(alpcu::no_wait).status() == Status::would_block ? 0 : 5;
    });
    REQUIRE(ready.wait());
    check_errno(std::errc::operation_not_permitted, [&] {
        (void)Connection::connect(squatted, alpcu::bytes("for root"), 5s, {.server_uid = 0});
    });
    {
        auto conn = Connection::connect(genuine, {}, 5s, {.server_uid = user_uid});
        INFO("connect: " << alpcu::to_string(conn.status()));
        CHECK(conn.ok());
    }
    CHECK(test::reap(squatter) == 0);
}

TEST_CASE("root has no bypass: a port's mode refuses it like anyone", "[vm][security]") {
    Signal ready, done;
    auto name = test::unique_name("private");
    pid_t owner = test::spawn([&] {
        if (!test::drop_to(user_uid, user_gid))
            return 1;
        auto port = Port::create(name); // 0600
        ready.raise();
        return done.wait(10000) ? 0 : 2;
    });
    REQUIRE(ready.wait());
    check_errno(std::errc::permission_denied, [&] { (void)Connection::connect(name, {}, 5s); });
    done.raise();
    CHECK(test::reap(owner) == 0);
}

TEST_CASE("sender(): the kernel-vouched pid, tid, uid and gid of each message, both ways",
          "[vm][security]") {
    auto pair = test::connect_comm_pair();
    REQUIRE(pair.client.send(alpcu::bytes("hi")).ok());
    auto m = pair.server.receive(5s);
    REQUIRE(m.ok());
    CHECK(m->sender() ==
          alpcu::Credentials{::getpid(), ::gettid(), ::geteuid(), ::getegid(), false});

    auto id = pair.client.send_request(alpcu::bytes("q")).value();
    auto req = pair.server.receive(5s).value();
    CHECK(req.id == id);
    CHECK(pair.server.reply(req, alpcu::bytes("a")) == Status::ok);
    auto reply = pair.client.receive(5s);
    REQUIRE(reply.ok());
    CHECK(reply->sender() ==
          alpcu::Credentials{::getpid(), ::gettid(), ::geteuid(), ::getegid(), false});

    // The server's communication port knows its client as of connect; the
    // client's knows no peer.
    REQUIRE(pair.server.peer().has_value());
    CHECK(pair.server.peer()->pid == ::getpid());
    CHECK(pair.server.peer()->uid == ::geteuid());
    CHECK(pair.server.peer()->gid == ::getegid());
    CHECK_FALSE(pair.server.peer()->credentials_changed);
    CHECK_FALSE(pair.client.peer().has_value());
}

TEST_CASE("a client that calls setuid() after connecting: its messages say credentials_changed",
          "[vm][security]") {
    auto name = test::unique_name("setuid");
    auto port = Port::create(name);
    pid_t child = test::spawn([&] {
        auto conn = Connection::connect(name, {}, 5s);
        if (!conn.ok())
            return 1;
        if (!conn->send(alpcu::bytes("before")).ok())
            return 2;
        if (!test::drop_to(user_uid, user_gid))
            return 3;
        if (!conn->send(alpcu::bytes("after")).ok())
            return 4;
        return 0;
    });
    auto req = port.receive(5s).value();
    CHECK(req.sender().uid == 0);
    CHECK_FALSE(req.sender().credentials_changed);
    CHECK(port.accept(req, 1) == Status::ok);
    auto before = port.receive(5s).value();
    auto after = port.receive(5s).value();
    CHECK(test::reap(child) == 0);
    CHECK(before.text() == "before");
    CHECK(before.sender() == alpcu::Credentials{child, child, 0, 0, false});
    CHECK(after.text() == "after");
    CHECK(after.sender() == alpcu::Credentials{child, child, user_uid, user_gid, true});
    auto gone = port.receive(5s);
    REQUIRE(gone.ok());
    // Notifications name the client as captured at connect.
    CHECK(gone->sender().pid == child);
}

TEST_CASE("ReceiveOptions::groups: the sender's supplementary groups, only when asked",
          "[vm][security]") {
    auto name = test::unique_name("groups");
    auto port = Port::create(name);
    pid_t child = test::spawn([&] {
        const gid_t groups[] = {7, 5, 6};
        if (::setgroups(3, groups) != 0)
            return 1;
        auto conn = Connection::connect(name, {}, 5s);
        if (!conn.ok())
            return 2;
        return conn->send(alpcu::bytes("1")).ok() && conn->send(alpcu::bytes("2")).ok() ? 0 : 3;
    });
    auto req = port.receive(5s, {.groups = true}).value();
    REQUIRE(req.groups().has_value());
    CHECK(port.accept(req) == Status::ok);
    auto asked = port.receive(5s, {.groups = true}).value();
    auto plain = port.receive(5s).value();
    CHECK(test::reap(child) == 0);
    REQUIRE(asked.groups().has_value());
    auto g = *asked.groups();
    std::ranges::sort(g);
    CHECK(g == std::vector<gid_t>{5, 6, 7});
    CHECK(*req.groups() == *asked.groups());
    CHECK_FALSE(plain.groups().has_value());
}

TEST_CASE("ReceiveOptions::pidfd: a pidfd of the sending process that can signal it",
          "[vm][security][pidfd]") {
    auto name = test::unique_name("pidfd");
    auto port = Port::create(name);
    Signal sent;
    pid_t child = test::spawn([&] {
        auto conn = Connection::connect(name, {}, 5s);
        if (!conn.ok() || !conn->send(alpcu::bytes("x")).ok() ||
            !conn->send(alpcu::bytes("y")).ok())
            return 1;
        sent.raise();
        ::pause(); // until the server's signal
        return 2;
    });
    auto req = port.receive(5s).value();
    CHECK_FALSE(req.pidfd().valid()); // not asked
    CHECK(port.accept(req) == Status::ok);
    REQUIRE(sent.wait());
    auto plain = port.receive(5s).value();
    CHECK_FALSE(plain.pidfd().valid());
    auto m = port.receive(5s, {.pidfd = true}).value();
    REQUIRE(m.pidfd().valid());
    CHECK((m.flags & ALPC_MSGF_PIDFD) != 0);
    CHECK(cloexec(m.pidfd().get()));
    CHECK(test::pidfd_pid(m.pidfd().get()) == child);
    CHECK(::syscall(SYS_pidfd_send_signal, m.pidfd().get(), SIGTERM, nullptr, 0) == 0);
    CHECK(test::reap(child) == 128 + SIGTERM);
    // A kernel notification has no pidfd.
    auto died = port.receive(5s, {.pidfd = true}).value();
    CHECK(died.type == MessageType::client_died);
    CHECK_FALSE(died.pidfd().valid());
}

TEST_CASE("a pidfd of the server comes with its replies too", "[vm][security][pidfd]") {
    auto pair = test::connect_pair();
    auto id = pair.client.send_request(alpcu::bytes("who are you")).value();
    auto req = pair.port.receive(5s).value();
    CHECK(pair.port.reply(req, alpcu::bytes("me")) == Status::ok);
    auto reply = pair.client.receive(5s, {.pidfd = true});
    REQUIRE(reply.ok());
    CHECK(reply->ref_id == id);
    REQUIRE(reply->pidfd().valid());
    CHECK(test::pidfd_pid(reply->pidfd().get()) == ::getpid());
}

TEST_CASE("a process using a connection its parent made gets no pidfd: it is not the "
          "process that registered one",
          "[vm][security][pidfd]") {
    auto name = test::unique_name("inherit");
    auto port = Port::create(name);
    pid_t child = test::spawn([&] {
        auto conn = Connection::connect(name, {}, 5s);
        if (!conn.ok())
            return 1;
        pid_t grandchild = ::fork();
        if (grandchild == 0)
            ::_exit(conn->send(alpcu::bytes("from the grandchild")).ok() ? 0 : 1);
        int status = 0;
        ::waitpid(grandchild, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return 2;
        return conn->send(alpcu::bytes("from the child")).ok() ? 0 : 3;
    });
    CHECK(port.accept(port.receive(5s).value()) == Status::ok);
    auto from_grandchild = port.receive(5s, {.pidfd = true}).value();
    auto from_child = port.receive(5s, {.pidfd = true}).value();
    CHECK(test::reap(child) == 0);
    CHECK(from_grandchild.text() == "from the grandchild");
    CHECK(from_grandchild.pid != child);
    CHECK_FALSE(from_grandchild.pidfd().valid());
    CHECK(from_child.text() == "from the child");
    REQUIRE(from_child.pidfd().valid());
}

TEST_CASE("fds passed in a message arrive as Fds owned by the Message; none leak",
          "[vm][security][fds]") {
    auto pair = test::connect_pair({.allow_fds = true});
    CHECK(pair.port.attributes().allow_fds);
    CHECK(pair.port.attributes().max_fds == 16);
    CHECK(pair.port.attributes().max_sections == 64);
    int before = count_fds();
    {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        alpcu::Fd r(p[0]), w(p[1]);
        const int fds[] = {w.get(), r.get()};
        REQUIRE(pair.client.send(alpcu::bytes("a pipe"), fds).ok());
        auto m = pair.port.receive(5s);
        REQUIRE(m.ok());
        CHECK((m->flags & ALPC_MSGF_FDS) != 0);
        REQUIRE(m->fds().size() == 2);
        const alpcu::Fd& their_w = m->fds()[0];
        const alpcu::Fd& their_r = m->fds()[1];
        CHECK(their_w.get() != w.get());
        CHECK(cloexec(their_w.get()));
        CHECK(cloexec(their_r.get()));
        // The same open file: what goes in one end comes out of the other.
        CHECK(::write(their_w.get(), "x", 1) == 1);
        char c = 0;
        CHECK(::read(r.get(), &c, 1) == 1);
        CHECK(c == 'x');

        // Taken out, the fds outlive the Message; received again with
        // inherit_fds, they are not close-on-exec.
        std::vector<alpcu::Fd> mine = m->take_fds();
        CHECK(m->fds().empty());
        REQUIRE(pair.client.send(alpcu::bytes("again"), mine).ok());
        auto again = pair.port.receive(5s, {.inherit_fds = true}).value();
        REQUIRE(again.fds().size() == 2);
        CHECK_FALSE(cloexec(again.fds()[0].get()));
    }
    CHECK(count_fds() == before);
}

TEST_CASE("a reply may pass fds, from Port::reply and from serve's Responder",
          "[vm][security][fds]") {
    auto pair = test::connect_pair({.allow_fds = true});
    int before = count_fds();
    {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        alpcu::Fd r(p[0]), w(p[1]);
        auto client = std::async(std::launch::async,
                                 [&] { return pair.client.request(alpcu::bytes("open"), 5s); });
        auto req = pair.port.receive(5s).value();
        const int fds[] = {w.get()};
        CHECK(pair.port.reply(req, alpcu::bytes("here"), fds) == Status::ok);
        auto reply = client.get();
        REQUIRE(reply.ok());
        CHECK(reply->text() == "here");
        REQUIRE(reply->fds().size() == 1);
        CHECK(::write(reply->fds()[0].get(), "y", 1) == 1);
        char c = 0;
        CHECK(::read(r.get(), &c, 1) == 1);
        CHECK(c == 'y');

        std::stop_source stop;
        std::jthread server([&] {
            pair.port.serve(
                [&](const alpcu::Message& m, alpcu::Responder& resp) {
                    if (m.type == MessageType::request) {
                        (void)resp.reply(alpcu::bytes("served"), fds);
                        stop.request_stop();
                    }
                },
                stop.get_token(), 20ms);
        });
        auto served = pair.client.request(alpcu::bytes("again"), 5s);
        server.join();
        REQUIRE(served.ok());
        CHECK(served->text() == "served");
        CHECK(served->fds().size() == 1);
    }
    CHECK(count_fds() == before);
}

TEST_CASE("serve receives with ReceiveOptions; the fds and pidfd the handler does not take are "
          "closed after it returns",
          "[vm][security][fds]") {
    auto pair = test::connect_pair({.allow_fds = true});
    int before = count_fds();
    {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        alpcu::Fd r(p[0]), w(p[1]);
        const int fds[] = {w.get()};
        REQUIRE(pair.client.send(alpcu::bytes("fd"), fds).ok());
        std::stop_source stop;
        std::size_t seen = 0;
        pid_t sender = 0;
        bool groups = false;
        pair.port.serve(
            [&](const alpcu::Message& m, alpcu::Responder&) {
                seen = m.fds().size();
                sender = m.pidfd().valid() ? test::pidfd_pid(m.pidfd().get()) : -1;
                groups = m.groups().has_value();
                stop.request_stop();
            },
            {.groups = true, .pidfd = true}, stop.get_token(), 20ms);
        CHECK(seen == 1);
        CHECK(sender == ::getpid());
        CHECK(groups);
    }
    CHECK(count_fds() == before);
}

TEST_CASE("passing fds: EPERM on a port without allow_fds, EINVAL over max_fds or for an alpc "
          "fd",
          "[vm][security][fds]") {
    auto plain = test::connect_pair();
    const int one[] = {0};
    check_errno(std::errc::operation_not_permitted,
                [&] { (void)plain.client.send(alpcu::bytes("x"), one); });

    auto pair = test::connect_pair({.allow_fds = true, .max_fds = 2});
    CHECK(pair.port.attributes().max_fds == 2);
    const int three[] = {0, 1, 2};
    check_einval([&] { (void)pair.client.send(alpcu::bytes("x"), three); });
    const int port_fd[] = {pair.client.fd()};
    check_einval([&] { (void)pair.client.send(alpcu::bytes("x"), port_fd); });
    CHECK(pair.port.receive(alpcu::no_wait).status() == Status::would_block);
    CHECK(plain.port.receive(alpcu::no_wait).status() == Status::would_block);
}

TEST_CASE("connect_async takes ConnectOptions and registers the pidfd too",
          "[vm][security][pidfd]") {
    auto name = test::unique_name("async");
    auto port = Port::create(name);
    auto cp = alpcu::CompletionPort::create();
    // On a port of its own: what a refused connect does to the port is
    // the business of the test above.
    auto other = test::unique_name("async-other");
    auto other_port = Port::create(other);
    check_errno(std::errc::operation_not_permitted, [&] {
        (void)alpcu::connect_async(other, cp, 1, {}, {.server_uid = ::geteuid() + 1});
    });
    auto conn = alpcu::connect_async(name, cp, 2, {}, {.server_uid = ::geteuid()}).value();
    auto req = port.receive(5s).value();
    CHECK(port.accept(req) == Status::ok);
    std::array<alpcu::Completion, 1> done{};
    REQUIRE(cp.wait(done, 5s).ok());
    CHECK(alpcu::finish_connect(conn, done[0]).status == Status::ok);
    REQUIRE(conn.send(alpcu::bytes("hello")).ok());
    auto m = port.receive(5s, {.pidfd = true}).value();
    REQUIRE(m.pidfd().valid());
    CHECK(test::pidfd_pid(m.pidfd().get()) == ::getpid());
}
