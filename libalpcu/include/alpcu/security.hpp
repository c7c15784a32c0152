// SPDX-License-Identifier: MIT
// Who may connect to a connection port (its security descriptor), and who
// sent a message (the credentials the kernel vouches for).
#pragma once

#include <cstddef>
#include <cstdint>
#include <linux/alpc.h>
#include <span>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "alpcu/device.hpp"

namespace alpcu {

// The kind of an access entry: whether it allows or denies, and whether
// its id is a uid or a gid.
enum class AccessKind : std::uint32_t {
    allow_uid = ALPC_ACE_ALLOW_UID,
    deny_uid = ALPC_ACE_DENY_UID,
    allow_gid = ALPC_ACE_ALLOW_GID,
    deny_gid = ALPC_ACE_DENY_GID,
};

[[nodiscard]] const char* to_string(AccessKind k) noexcept;

// One entry of a port's access list (struct alpc_ace).
struct AccessEntry {
    AccessKind kind{};
    std::uint32_t id = 0; // a uid or a gid, as kind says, in the caller's user namespace

    [[nodiscard]] bool allows() const noexcept {
        return kind == AccessKind::allow_uid || kind == AccessKind::allow_gid;
    }
    [[nodiscard]] bool names_uid() const noexcept {
        return kind == AccessKind::allow_uid || kind == AccessKind::deny_uid;
    }
    friend bool operator==(const AccessEntry&, const AccessEntry&) = default;
};

// A connection port's security descriptor (struct alpc_security): an
// owner, a mode as a file's, and an ordered access list, the analog of
// Windows ALPC's DACL. A client may connect if the first entry that names
// it (its effective uid; its effective gid or one of its supplementary
// groups) allows it; if no entry names it, if the class it falls in
// (owner, group, other) has write permission in mode (0200, 0020, 0002),
// as connecting to a UNIX socket needs. Read and execute bits grant
// nothing. The check runs in the kernel at connect, and no capability
// bypasses it: a refused connect throws std::system_error EACCES, and the
// server never sees it.
//
//   auto sd = port.security();
//   sd.deny_uid(1001).allow_gid(staff);
//   sd.mode = 0600;
//   port.set_security(sd);
//
// Ids are in the caller's user namespace; a descriptor read from the
// kernel shows ids unmapped there as the overflow ids (65534).
class SecurityDescriptor {
public:
    static constexpr std::size_t max_entries = ALPC_ACL_MAX; // 32
    static constexpr std::uint32_t mode_bits = 0777;

    SecurityDescriptor() = default;
    SecurityDescriptor(uid_t owner_uid, gid_t owner_gid, std::uint32_t permissions) noexcept
        : uid(owner_uid), gid(owner_gid), mode(permissions) {}
    // Owned by the calling thread's effective uid and gid, as a port it
    // creates is.
    [[nodiscard]] static SecurityDescriptor owned_by_caller(std::uint32_t mode = 0600);

    uid_t uid = 0;             // the owner; changing it takes CAP_SYS_ADMIN
    gid_t gid = 0;             // the owning group
    std::uint32_t mode = 0600; // permission bits, 0 to 0777

    // Append an entry after those already there (the first match decides,
    // so earlier entries win). Throw std::system_error EINVAL, as the
    // kernel would, past max_entries entries.
    SecurityDescriptor& allow_uid(uid_t id) { return add({AccessKind::allow_uid, id}); }
    SecurityDescriptor& deny_uid(uid_t id) { return add({AccessKind::deny_uid, id}); }
    SecurityDescriptor& allow_gid(gid_t id) { return add({AccessKind::allow_gid, id}); }
    SecurityDescriptor& deny_gid(gid_t id) { return add({AccessKind::deny_gid, id}); }
    SecurityDescriptor& add(AccessEntry entry);

    [[nodiscard]] std::span<const AccessEntry> entries() const noexcept { return entries_; }
    void clear_entries() noexcept { entries_.clear(); }

    // Whether a client with effective ids uid and gid and supplementary
    // groups may connect: the kernel's check, done here (to explain a
    // refusal, or to test a descriptor before setting it).
    [[nodiscard]] bool allows(uid_t client_uid, gid_t client_gid,
                              std::span<const gid_t> groups = {}) const noexcept;

    // Throws std::system_error EINVAL for what the kernel refuses with
    // EINVAL: mode bits outside 0777, more than max_entries entries, an
    // unknown entry kind, an id of -1 (never a valid id). Ids that exist
    // but are unmapped in the caller's user namespace only the kernel can
    // tell.
    void validate() const;

    // The uapi form, after validate(); and back, throwing EINVAL for what
    // no kernel reports (a count over ALPC_ACL_MAX, an unknown kind).
    [[nodiscard]] alpc_security to_uapi() const;
    [[nodiscard]] static SecurityDescriptor from_uapi(const alpc_security& sd);

    friend bool operator==(const SecurityDescriptor&, const SecurityDescriptor&) = default;

private:
    std::vector<AccessEntry> entries_;
};

// The descriptor of the connection port name, in this IPC namespace; on
// /dev/alpc (ALPC_IOC_GET_SECURITY, ALPC_IOC_SET_SECURITY). Only the
// port's owner (effective uid) or a holder of CAP_SYS_ADMIN may read or
// change it. A new descriptor applies to later connects only: clients
// already connected stay connected. Throw std::system_error: ENOENT (no
// such port), EPERM (not the owner; or a new owner uid without
// CAP_SYS_ADMIN, or an owner gid that is not one of the caller's groups),
// EINVAL (see SecurityDescriptor::validate; also ids unmapped in the
// caller's user namespace), ENOTTY or EINVAL from a module older than
// API version 3.
[[nodiscard]] SecurityDescriptor get_security(std::string_view name);
[[nodiscard]] SecurityDescriptor get_security(const Device& dev, std::string_view name);
void set_security(std::string_view name, const SecurityDescriptor& sd);
void set_security(const Device& dev, std::string_view name, const SecurityDescriptor& sd);

// Who sent a message, as the kernel saw it when the message was sent (for
// a connection request, at connect): ids in the receiver's namespaces.
// For port_closed and client_died notifications, the client as captured
// at connect.
struct Credentials {
    pid_t pid = 0; // the sending process (0 if not visible in the receiver's pid namespace)
    pid_t tid = 0; // the sending thread
    uid_t uid = 0; // effective uid, as SO_PEERCRED reports it (65534 if unmapped)
    gid_t gid = 0; // effective gid
    // The sender's credentials (real, effective, saved or filesystem ids,
    // or supplementary groups) differ from those it had when it connected
    // (or, for a server's messages, when it accepted): it called setuid(),
    // setgroups(), ran a set-id program... (ALPC_MSGF_CRED_CHANGED)
    bool credentials_changed = false;

    friend bool operator==(const Credentials&, const Credentials&) = default;
};

} // namespace alpcu
