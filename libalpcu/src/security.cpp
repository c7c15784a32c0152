// SPDX-License-Identifier: MIT
#include "alpcu/security.hpp"

#include <algorithm>
#include <cerrno>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>

#include "alpcu/error.hpp"
#include "alpcu/port.hpp"
#include "ioctl.hpp"

namespace alpcu {

namespace {

// make_kuid() and make_kgid() never map -1, in any user namespace.
constexpr std::uint32_t invalid_id = static_cast<std::uint32_t>(-1);

bool known(AccessKind k) noexcept {
    switch (k) {
    case AccessKind::allow_uid:
    case AccessKind::deny_uid:
    case AccessKind::allow_gid:
    case AccessKind::deny_gid:
        return true;
    }
    return false;
}

[[noreturn]] void invalid(const std::string& why) {
    throw_errno(("alpcu::SecurityDescriptor: " + why).c_str(), EINVAL);
}

bool in_group(gid_t gid, gid_t client_gid, std::span<const gid_t> groups) noexcept {
    return gid == client_gid || std::ranges::find(groups, gid) != groups.end();
}

SecurityDescriptor get(int fd, std::string_view name) {
    alpc_port_security ps{};
    if (!name.empty())
        detail::copy_name(ps.name, name, "ALPC_IOC_GET_SECURITY");
    if (::ioctl(fd, ALPC_IOC_GET_SECURITY, &ps) < 0)
        throw_errno(name.empty() ? "ALPC_IOC_GET_SECURITY"
                                 : ("ALPC_IOC_GET_SECURITY \"" + std::string(name) + "\"").c_str());
    return SecurityDescriptor::from_uapi(ps.sd);
}

void set(int fd, std::string_view name, const SecurityDescriptor& sd) {
    alpc_port_security ps{};
    if (!name.empty())
        detail::copy_name(ps.name, name, "ALPC_IOC_SET_SECURITY");
    ps.sd = sd.to_uapi();
    if (::ioctl(fd, ALPC_IOC_SET_SECURITY, &ps) < 0)
        throw_errno(name.empty() ? "ALPC_IOC_SET_SECURITY"
                                 : ("ALPC_IOC_SET_SECURITY \"" + std::string(name) + "\"").c_str());
}

// An empty name means the port fd itself to the kernel: refuse it here.
std::string_view named(std::string_view name, const char* what) {
    if (name.empty())
        throw_errno((std::string(what) + ": empty port name").c_str(), EINVAL);
    return name;
}

} // namespace

const char* to_string(AccessKind k) noexcept {
    switch (k) {
    case AccessKind::allow_uid:
        return "allow uid";
    case AccessKind::deny_uid:
        return "deny uid";
    case AccessKind::allow_gid:
        return "allow gid";
    case AccessKind::deny_gid:
        return "deny gid";
    }
    return "unknown access kind";
}

SecurityDescriptor SecurityDescriptor::owned_by_caller(std::uint32_t mode) {
    return {::geteuid(), ::getegid(), mode};
}

SecurityDescriptor& SecurityDescriptor::add(AccessEntry entry) {
    if (entries_.size() >= max_entries)
        invalid("more than " + std::to_string(max_entries) + " access entries");
    entries_.push_back(entry);
    return *this;
}

bool SecurityDescriptor::allows(uid_t client_uid, gid_t client_gid,
                                std::span<const gid_t> groups) const noexcept {
    for (const AccessEntry& e : entries_) {
        bool names = e.names_uid() ? e.id == client_uid : in_group(e.id, client_gid, groups);
        if (names)
            return e.allows();
    }
    std::uint32_t bits = mode;
    if (client_uid == uid)
        bits >>= 6;
    else if (in_group(gid, client_gid, groups))
        bits >>= 3;
    return (bits & 02) != 0;
}

void SecurityDescriptor::validate() const {
    if (mode & ~mode_bits)
        invalid("mode bits outside 0777");
    if (entries_.size() > max_entries)
        invalid("more than " + std::to_string(max_entries) + " access entries");
    if (uid == invalid_id || gid == invalid_id)
        invalid("owner id -1");
    for (const AccessEntry& e : entries_) {
        if (!known(e.kind))
            invalid("unknown access kind " + std::to_string(static_cast<std::uint32_t>(e.kind)));
        if (e.id == invalid_id)
            invalid("access entry with id -1");
    }
}

alpc_security SecurityDescriptor::to_uapi() const {
    validate();
    alpc_security u{};
    u.uid = uid;
    u.gid = gid;
    u.mode = mode;
    u.count = static_cast<std::uint32_t>(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i)
        u.acl[i] = alpc_ace{static_cast<std::uint32_t>(entries_[i].kind), entries_[i].id};
    return u;
}

SecurityDescriptor SecurityDescriptor::from_uapi(const alpc_security& u) {
    if (u.count > max_entries)
        invalid("count " + std::to_string(u.count) + " over ALPC_ACL_MAX");
    SecurityDescriptor sd(u.uid, u.gid, u.mode);
    for (std::uint32_t i = 0; i < u.count; ++i) {
        auto kind = static_cast<AccessKind>(u.acl[i].type);
        if (!known(kind))
            invalid("unknown access kind " + std::to_string(u.acl[i].type));
        sd.entries_.push_back({kind, u.acl[i].id});
    }
    return sd;
}

SecurityDescriptor get_security(std::string_view name) {
    return get_security(Device::open(), name);
}

SecurityDescriptor get_security(const Device& dev, std::string_view name) {
    return get(dev.fd(), named(name, "alpcu::get_security"));
}

void set_security(std::string_view name, const SecurityDescriptor& sd) {
    set_security(Device::open(), name, sd);
}

void set_security(const Device& dev, std::string_view name, const SecurityDescriptor& sd) {
    set(dev.fd(), named(name, "alpcu::set_security"), sd);
}

SecurityDescriptor Port::security() const {
    return get(fd_.get(), {});
}

void Port::set_security(const SecurityDescriptor& sd) {
    set(fd_.get(), {}, sd);
    attr_.mode = sd.mode;
}

} // namespace alpcu
