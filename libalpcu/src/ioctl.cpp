// SPDX-License-Identifier: MIT
#include "ioctl.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>
#include <utility>
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

namespace {

// Room for every supplementary group a process can have, per thread,
// allocated on first use and never initialised: the kernel writes only as
// many groups as the sender has.
std::span<gid_t> group_room() {
    thread_local std::unique_ptr<gid_t[]> room;
    static const auto max = static_cast<std::size_t>(std::max(::sysconf(_SC_NGROUPS_MAX), 1L));
    if (!room)
        room = std::make_unique_for_overwrite<gid_t[]>(max);
    return {room.get(), max};
}

} // namespace

RecvExtra::RecvExtra(ReceiveOptions opts) : supported_(has_security()) {
    flags_ = (opts.groups ? ALPC_RECV_GROUPS : 0) | (opts.pidfd ? ALPC_RECV_PIDFD : 0) |
             (opts.inherit_fds ? ALPC_RECV_FD_INHERIT : 0);
    if (!supported_) {
        if (flags_)
            throw_errno("alpcu::ReceiveOptions: the alpc module is older than API version 3",
                        EOPNOTSUPP);
        return;
    }
    x_.fds = user_ptr(fds_.data());
    x_.fds_size = ALPC_FDS_MAX;
    if (opts.groups) {
        auto room = group_room();
        x_.groups = user_ptr(room.data());
        x_.groups_size = static_cast<std::uint32_t>(room.size());
    }
}

RecvExtra::~RecvExtra() {
    close_all();
}

std::uint64_t RecvExtra::arg() noexcept {
    if (!supported_)
        return 0;
    // The kernel writes the outputs afresh; a retried receive starts clean.
    x_.nfds = 0;
    x_.ngroups = 0;
    x_.pidfd = 0;
    return user_ptr(&x_);
}

void RecvExtra::received(const alpc_msg_info& info) noexcept {
    close_all();
    if (!supported_)
        return;
    if (info.flags & ALPC_MSGF_FDS)
        owned_fds_ = std::min<std::uint32_t>(x_.nfds, x_.fds_size);
    if ((flags_ & ALPC_RECV_PIDFD) && (info.flags & ALPC_MSGF_PIDFD) && x_.pidfd >= 0)
        owned_pidfd_ = x_.pidfd;
}

void RecvExtra::give(Message& m) {
    std::vector<Fd> fds;
    fds.reserve(owned_fds_); // the only step that can throw: then nothing is taken
    for (std::uint32_t i = 0; i < owned_fds_; ++i)
        fds.emplace_back(fds_[i]);
    owned_fds_ = 0;
    m.fds_ = std::move(fds);
    m.pidfd_.reset(std::exchange(owned_pidfd_, -1));
    if (supported_ && (flags_ & ALPC_RECV_GROUPS)) {
        const gid_t* g = reinterpret_cast<const gid_t*>(static_cast<std::uintptr_t>(x_.groups));
        m.groups_.emplace(g, g + std::min(x_.ngroups, x_.groups_size));
    }
}

void RecvExtra::close_all() noexcept {
    for (std::uint32_t i = 0; i < owned_fds_; ++i)
        ::close(fds_[i]);
    owned_fds_ = 0;
    if (owned_pidfd_ >= 0)
        ::close(std::exchange(owned_pidfd_, -1));
}

Result<Message> receive(int fd, Timeout timeout, std::initializer_list<Status> expected,
                        ReceiveOptions opts) {
    auto buf = scratch();
    RecvExtra extra(opts);
    for (;;) {
        alpc_recv r{};
        r.flags = extra.flags();
        r.size = static_cast<std::uint32_t>(std::min<std::size_t>(buf.size(), UINT32_MAX));
        r.buf = user_ptr(buf.data());
        r.timeout_ns = timeout.ns();
        r.extra = extra.arg();
        if (::ioctl(fd, ALPC_IOC_RECV, &r) == 0) {
            extra.received(r.info);
            Message m(r.info, buf.first(std::min<std::size_t>(r.info.len, r.size)),
                      View::adopt(r.info));
            extra.give(m);
            return m;
        }
        // The message stays queued when it does not fit: make room.
        if (errno == EMSGSIZE && r.info.len > r.size) {
            buf = scratch(r.info.len);
            continue;
        }
        return expect(errno, "ALPC_IOC_RECV", expected);
    }
}

alpc_msg_attrs fd_attrs(std::span<const int> fds, const char* what) {
    alpc_msg_attrs a{};
    if (fds.empty())
        return a;
    // The kernel's own limit is the port's max_fds; this only keeps the
    // count from being cut to 32 bits.
    if (fds.size() > ALPC_FDS_MAX)
        throw_errno((std::string(what) + ": more than ALPC_FDS_MAX fds").c_str(), EINVAL);
    a.flags = ALPC_ATTR_FDS;
    a.fds = user_ptr(fds.data());
    a.nfds = static_cast<std::uint32_t>(fds.size());
    return a;
}

Status send_reply(int fd, std::uint64_t id, std::span<const std::byte> data, std::uint64_t context,
                  std::span<const int> fds) {
    alpc_msg_attrs a = fd_attrs(fds, "ALPC_IOC_SEND (reply)");
    alpc_send s{};
    s.type = ALPC_MSG_REPLY;
    s.len = length(data, "ALPC_IOC_SEND");
    s.buf = user_ptr(data.data());
    s.context = context;
    s.ref_id = id;
    s.attrs = attrs_ptr(a);
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
