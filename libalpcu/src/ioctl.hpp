// SPDX-License-Identifier: MIT
// libalpcu's private helpers around the alpc ioctls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "alpcu/message.hpp"
#include "alpcu/result.hpp"
#include "alpcu/timeout.hpp"

namespace alpcu::detail {

// The Status errno err stands for when it is one of expected; otherwise
// throws std::system_error with err and what.
Status expect(int err, const char* what, std::initializer_list<Status> expected);

// ioctl(fd, req, arg): 0 or its errno, for the callers that look at an
// errno before deciding (EMSGSIZE: a section instead).
int try_call(int fd, unsigned long req, void* arg) noexcept;

// ioctl(fd, req, arg): its non-negative return value, or an expected
// Status, or a throw.
Result<int> call(int fd, unsigned long req, void* arg, const char* what,
                 std::initializer_list<Status> expected);

// A thread-local buffer of at least n bytes, for receives: a message is
// received into it and copied out at its real length, so a Message holds
// only its payload and no receive can be cut short.
std::span<std::byte> scratch(std::size_t n = ALPC_MSG_LIMIT);

// ALPC_IOC_RECV on fd; the Message owns the view the message carried.
Result<Message> receive(int fd, Timeout timeout, std::initializer_list<Status> expected);

// ALPC_IOC_SEND of a REPLY to request id, inline. Values: lost,
// disconnected.
Status send_reply(int fd, std::uint64_t id, std::span<const std::byte> data, std::uint64_t context);

// ALPC_IOC_ACCESS on fd: reads or writes len bytes at offset of the memory
// request lent, from or to buf. Values: lost (the request was answered or
// canceled, or its sender is gone).
Status access(int fd, const Message& request, std::uint32_t op, std::uint64_t offset,
              const void* buf, std::size_t len);

inline std::uint64_t user_ptr(const void* p) noexcept {
    return reinterpret_cast<std::uintptr_t>(p);
}

// Fills a uapi name field; EINVAL (what the kernel would answer) for a
// name that is empty, does not fit, or holds a NUL.
void copy_name(char (&dst)[ALPC_NAME_MAX], std::string_view name, const char* what);

// A payload's length as the uapi's __u32; EMSGSIZE when it does not fit.
std::uint32_t length(std::span<const std::byte> data, const char* what);

} // namespace alpcu::detail
