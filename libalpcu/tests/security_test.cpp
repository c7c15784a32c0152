// SPDX-License-Identifier: MIT
// Security descriptors, credentials, pidfds and fd passing. Tests tagged
// [vm] need the module: they run in the VM only, as root, and drop to
// other ids in forked children.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

#include "alpcu/port.hpp"
#include "alpcu/security.hpp"

using alpcu::AccessEntry;
using alpcu::AccessKind;
using alpcu::SecurityDescriptor;

namespace {

void check_einval(auto&& f) {
    try {
        f();
        FAIL("did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::invalid_argument);
    }
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
