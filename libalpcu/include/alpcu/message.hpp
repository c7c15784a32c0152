// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <linux/alpc.h>
#include <span>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "alpcu/section.hpp"

namespace alpcu {

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

// A received message: what the kernel says about it, and its payload:
// the bytes copied inline, or the view it carried. A message sent with
// libalpcu carries one or the other, whatever its size, and payload()
// returns it either way. A Message owns its view's mapping, so it moves
// but does not copy, and the view is unmapped with the Message (or with
// the View taken out of it).
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

private:
    std::vector<std::byte> payload_;
    View view_;
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
