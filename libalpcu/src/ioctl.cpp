// SPDX-License-Identifier: MIT
#include "ioctl.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <sys/ioctl.h>
#include <vector>

#include "alpcu/error.hpp"

namespace alpcu::detail {

Status expect(int err, const char* what, std::initializer_list<Status> expected) {
    for (Status s : expected)
        if (to_errno(s) == err)
            return s;
    throw_errno(what, err);
}

int try_call(int fd, unsigned long req, void* arg) noexcept {
    return ::ioctl(fd, req, arg) < 0 ? errno : 0;
}

Result<int> call(int fd, unsigned long req, void* arg, const char* what,
                 std::initializer_list<Status> expected) {
    int rc = ::ioctl(fd, req, arg);
    if (rc >= 0)
        return rc;
    return expect(errno, what, expected);
}

std::span<std::byte> scratch(std::size_t n) {
    thread_local std::vector<std::byte> buf;
    if (buf.size() < n)
        buf.resize(n);
    return buf;
}

Result<Message> receive(int fd, Timeout timeout, std::initializer_list<Status> expected) {
    auto buf = scratch();
    for (;;) {
        alpc_recv r{};
        r.size = static_cast<std::uint32_t>(std::min<std::size_t>(buf.size(), UINT32_MAX));
        r.buf = user_ptr(buf.data());
        r.timeout_ns = timeout.ns();
        if (::ioctl(fd, ALPC_IOC_RECV, &r) == 0)
            return Message(r.info, buf.first(std::min<std::size_t>(r.info.len, r.size)),
                           View::adopt(r.info));
        // The message stays queued when it does not fit: make room.
        if (errno == EMSGSIZE && r.info.len > r.size) {
            buf = scratch(r.info.len);
            continue;
        }
        return expect(errno, "ALPC_IOC_RECV", expected);
    }
}

Status send_reply(int fd, std::uint64_t id, std::span<const std::byte> data,
                  std::uint64_t context) {
    alpc_send s{};
    s.type = ALPC_MSG_REPLY;
    s.len = length(data, "ALPC_IOC_SEND");
    s.buf = user_ptr(data.data());
    s.context = context;
    s.ref_id = id;
    return call(fd, ALPC_IOC_SEND, &s, "ALPC_IOC_SEND (reply)",
                {Status::lost, Status::disconnected})
        .status();
}

Status access(int fd, const Message& request, std::uint32_t op, std::uint64_t offset,
              const void* buf, std::size_t len) {
    alpc_access a{};
    a.id = request.id;
    a.op = op;
    a.offset = offset;
    a.len = len;
    a.buf = user_ptr(buf);
    if (::ioctl(fd, ALPC_IOC_ACCESS, &a) == 0)
        return Status::ok;
    // The sender's process is gone: for the receiver, a request lost.
    if (errno == ESRCH)
        return Status::lost;
    return expect(errno, "ALPC_IOC_ACCESS", {Status::lost});
}

void copy_name(char (&dst)[ALPC_NAME_MAX], std::string_view name, const char* what) {
    if (name.empty() || name.size() >= ALPC_NAME_MAX || name.find('\0') != name.npos)
        throw_errno((std::string(what) + ": bad port name \"" + std::string(name) + "\"").c_str(),
                    EINVAL);
    std::memcpy(dst, name.data(), name.size());
}

std::uint32_t length(std::span<const std::byte> data, const char* what) {
    if (data.size() > std::numeric_limits<std::uint32_t>::max())
        throw_errno(what, EMSGSIZE);
    return static_cast<std::uint32_t>(data.size());
}

} // namespace alpcu::detail
