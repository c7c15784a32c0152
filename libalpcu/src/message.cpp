// SPDX-License-Identifier: MIT
#include "alpcu/message.hpp"

#include <utility>

namespace alpcu {

Message::Message(const alpc_msg_info& info, std::span<const std::byte> payload, View view)
    : id(info.id), ref_id(info.ref_id), context(info.context), port_context(info.port_context),
      type(static_cast<MessageType>(info.type)), flags(info.flags), pid(info.pid), tid(info.tid),
      uid(info.uid), gid(info.gid), region_len(info.region_len),
      payload_(payload.begin(), payload.end()), view_(std::move(view)) {}

const char* to_string(MessageType t) noexcept {
    switch (t) {
    case MessageType::request:
        return "request";
    case MessageType::datagram:
        return "datagram";
    case MessageType::reply:
        return "reply";
    case MessageType::connection_request:
        return "connection request";
    case MessageType::port_closed:
        return "port closed";
    case MessageType::client_died:
        return "client died";
    case MessageType::canceled:
        return "canceled";
    }
    return "unknown message type";
}

} // namespace alpcu
