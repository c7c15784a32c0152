// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <linux/alpc.h>
#include <optional>
#include <span>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "alpcu/fd.hpp"
#include "alpcu/section.hpp"
#include "alpcu/security.hpp"

namespace alpcu {

namespace detail {
class RecvExtra;
} // namespace detail

enum class MessageType : std::uint32_t {
    request = ALPC_MSG_REQUEST,                       // expects exactly one reply
    datagram = ALPC_MSG_DATAGRAM,                     // no reply
    reply = ALPC_MSG_REPLY,                           // ref_id: the request answered
    connection_request = ALPC_MSG_CONNECTION_REQUEST, // answer with accept or reject
    port_closed = ALPC_MSG_PORT_CLOSED,               // the client closed its port
    client_died = ALPC_MSG_CLIENT_DIED,               // the client's process exited
    canceled = ALPC_MSG_CANCELED,                     // ref_id: a request its sender canceled
};

[[nodiscard]] const char* to_string(MessageType t) noexcept;

// What a receive asks for besides the message itself (ALPC_RECV_*). They
// need a module with API version 3 (ALPC_FEAT_SECURITY): with an older
// one, asking throws std::system_error EOPNOTSUPP. Fds a message carries
// are always received, whatever the options.
struct ReceiveOptions {
    bool groups = false;      // the sender's supplementary groups: Message::groups()
    bool pidfd = false;       // a pidfd of the sending process: Message::pidfd()
    bool inherit_fds = false; // received fds without O_CLOEXEC (they have it by default)
};

// A received message: what the kernel says about it, and its payload:
// the bytes copied inline, or the view it carried. A message sent with
// libalpcu carries one or the other, whatever its size, and payload()
// returns it either way. A Message owns its view's mapping and the fds it
// brought, so it moves but does not copy; the view is unmapped and the
// fds closed with the Message (or with what was taken out of it).
class Message {
public:
    Message() = default;
    // info and the inline bytes; view: the mapping the receive made for
    // info's view (View::adopt(info)), if any, which the Message takes.
    Message(const alpc_msg_info& info, std::span<const std::byte> payload, View view = {});

    std::uint64_t id = 0;           // kernel-assigned, never 0
    std::uint64_t ref_id = 0;       // reply, canceled: the request's id
    std::uint64_t context = 0;      // chosen by the sender (0 from the kernel)
    std::uint64_t port_context = 0; // chosen by the server at accept (server side)
    MessageType type{};
    std::uint32_t flags = 0; // ALPC_MSGF_*
    pid_t pid = 0;           // the sender, in the receiver's namespaces
    pid_t tid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::uint64_t region_len = 0; // request with ALPC_MSGF_REGION_*: bytes lent

    // Who sent it, as the kernel saw it at send time: pid, tid, uid, gid
    // above, and whether those credentials changed since the sender
    // connected (accepted, for a server's messages). Kernel notifications
    // (port_closed, client_died) name the client as captured at connect.
    [[nodiscard]] Credentials sender() const noexcept {
        return {pid, tid, uid, gid, (flags & ALPC_MSGF_CRED_CHANGED) != 0};
    }

    // The view's bytes when the message carries a view, else the inline
    // bytes.
    [[nodiscard]] std::span<const std::byte> payload() const noexcept {
        return view_.mapped() ? view_.bytes() : inline_payload();
    }
    [[nodiscard]] std::string_view text() const noexcept;
    // The bytes copied inline (empty for a payload sent through a view).
    [[nodiscard]] std::span<const std::byte> inline_payload() const noexcept { return payload_; }
    // The view the message carried, or nullptr. Through a const Message
    // the View is const, but a read-write view's writable() still works.
    [[nodiscard]] const View* view() const noexcept { return view_.mapped() ? &view_ : nullptr; }
    [[nodiscard]] View* view() noexcept { return view_.mapped() ? &view_ : nullptr; }
    // Moves the view out (an unmapped View if there is none): the mapping
    // then lives as long as the returned View, and payload() returns the
    // inline bytes.
    [[nodiscard]] View take_view() noexcept { return std::move(view_); }

    // The fds the message carried (ALPC_MSGF_FDS), in the order sent: new
    // fds in this process for the open files the sender passed, as with
    // SCM_RIGHTS; close-on-exec unless received with
    // ReceiveOptions::inherit_fds. The Message owns them; take_fds() moves
    // them out.
    [[nodiscard]] std::span<const Fd> fds() const noexcept { return fds_; }
    [[nodiscard]] std::vector<Fd> take_fds() noexcept { return std::move(fds_); }

    // What the receive could not take, and so did not fail for: the view
    // (view_lost(): this process is out of address space or mappings;
    // view() is nullptr and payload() the inline bytes) or some of the
    // fds (fds_lost(): out of fd numbers; fds() holds those that came,
    // the rest were closed, as MSG_CTRUNC says for SCM_RIGHTS).
    [[nodiscard]] bool view_lost() const noexcept { return (flags & ALPC_MSGF_VIEW_LOST) != 0; }
    [[nodiscard]] bool fds_lost() const noexcept { return (flags & ALPC_MSGF_FDS_LOST) != 0; }

    // With ReceiveOptions::pidfd: a pidfd of the sending process (to
    // signal or watch it without pid-reuse races), owned by the Message.
    // Empty (not valid()) when not asked for, for kernel notifications,
    // and when the sender registered no pidfd: libalpcu registers one at
    // connect and accept, so it is empty for a sender that connected
    // without libalpcu, and for a process using a connection its parent
    // made before fork().
    [[nodiscard]] const Fd& pidfd() const noexcept { return pidfd_; }
    [[nodiscard]] Fd take_pidfd() noexcept { return std::move(pidfd_); }

    // With ReceiveOptions::groups: the sender's supplementary groups at
    // send time, in the receiver's user namespace (65534 where unmapped);
    // std::nullopt when not asked for.
    [[nodiscard]] const std::optional<std::vector<gid_t>>& groups() const noexcept {
        return groups_;
    }

private:
    friend class detail::RecvExtra;

    std::vector<std::byte> payload_;
    View view_;
    std::vector<Fd> fds_;
    Fd pidfd_;
    std::optional<std::vector<gid_t>> groups_;
};

// Views a string's bytes as a payload, and a payload as characters.
[[nodiscard]] inline std::span<const std::byte> bytes(std::string_view s) noexcept {
    return std::as_bytes(std::span(s.data(), s.size()));
}
[[nodiscard]] inline std::string_view text(std::span<const std::byte> b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline std::string_view Message::text() const noexcept {
    return alpcu::text(payload());
}

} // namespace alpcu
