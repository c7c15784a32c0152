// SPDX-License-Identifier: MIT
// libalpcu's private helpers around the alpc ioctls.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "alpcu/connection.hpp"
#include "alpcu/device.hpp"
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

// The loaded module's ALPC_FEAT_* bits, asked once per process: through
// dev when given, else through /dev/alpc. 0 when neither answers, and
// then asked again next time.
std::uint64_t module_features(const Device* dev = nullptr) noexcept;
inline bool has_security(const Device* dev = nullptr) noexcept {
    return (module_features(dev) & ALPC_FEAT_SECURITY) != 0;
}

// A pidfd of this process, for ALPC_CONNECT_PIDFD and ALPC_ACCEPT_PIDFD:
// opened on first use (pidfd_open(getpid(), 0), close-on-exec) and kept
// for the life of the process; owned here, never to be closed by a
// caller. In a child made by fork() the parent's is closed at once (a
// pthread_atfork handler) and the child opens its own; after a raw
// clone() the parent's number is left alone (it may have been reused)
// and a new one opened. -1 when pidfd_open fails.
int self_pidfd() noexcept;

// Asks an ALPC_IOC_CONNECT for opts.server_uid, and registers this
// process's pidfd when the module takes one.
void connect_identity(alpc_connect& c, const Device& dev, const ConnectOptions& opts);
// Throws the std::system_error for a connect that failed with err when err
// is an error with more to say than its errno (ENOENT, EACCES, EPERM of a
// secure connect); returns otherwise.
void throw_connect_error(int err, std::string_view name, const alpc_connect& c, const char* what);

// The struct alpc_recv_extra of one receive, and its room: for as many
// fds as a message can carry (ALPC_FDS_MAX) and, when asked, as many
// groups as a process can have, so no message is ever left queued for
// lack of room. It owns what a successful receive installed (fds, the
// pidfd) until give() hands it to the Message: its destructor closes
// whatever nobody took, so no error path leaks a received fd. Without
// ALPC_FEAT_SECURITY in the module, it asks for nothing (extra 0).
class RecvExtra {
public:
    // Throws std::system_error EOPNOTSUPP for options the module cannot
    // give.
    explicit RecvExtra(ReceiveOptions opts = {});
    RecvExtra(const RecvExtra&) = delete;
    RecvExtra& operator=(const RecvExtra&) = delete;
    ~RecvExtra();

    // For alpc_recv.flags and .extra (alpc_send_wait's for a reply).
    [[nodiscard]] std::uint32_t flags() const noexcept { return flags_; }
    [[nodiscard]] std::uint64_t arg() noexcept;
    // After an ioctl that delivered the message info describes (a
    // successful receive, or a send-wait whose reply was cut): takes
    // ownership of the fds and pidfd it brought.
    void received(const alpc_msg_info& info) noexcept;
    // Moves them, and the groups, into m.
    void give(Message& m);

private:
    void close_all() noexcept;

    bool supported_;
    std::uint32_t flags_ = 0;
    alpc_recv_extra x_{};
    std::array<__s32, ALPC_FDS_MAX> fds_; // x_.fds points here
    std::uint32_t owned_fds_ = 0;
    int owned_pidfd_ = -1;
};

// ALPC_IOC_RECV on fd; the Message owns the view, fds and pidfd the
// message brought.
Result<Message> receive(int fd, Timeout timeout, std::initializer_list<Status> expected,
                        ReceiveOptions opts = {});

// The attributes of a message carrying fds (none for an empty span).
alpc_msg_attrs fd_attrs(std::span<const int> fds, const char* what);

// ALPC_IOC_SEND of a REPLY to request id, inline, with fds if any.
// Values: lost, disconnected.
Status send_reply(int fd, std::uint64_t id, std::span<const std::byte> data, std::uint64_t context,
                  std::span<const int> fds = {});

// ALPC_IOC_ACCESS on fd: reads or writes len bytes at offset of the memory
// request lent, from or to buf. Values: lost (the request was answered or
// canceled, or its sender is gone).
Status access(int fd, const Message& request, std::uint32_t op, std::uint64_t offset,
              const void* buf, std::size_t len);

inline std::uint64_t user_ptr(const void* p) noexcept {
    return reinterpret_cast<std::uintptr_t>(p);
}

// The address of attrs for alpc_send.attrs, or 0 when it asks for nothing.
inline std::uint64_t attrs_ptr(const alpc_msg_attrs& a) noexcept {
    return a.flags ? user_ptr(&a) : 0;
}

// Fills a uapi name field; EINVAL (what the kernel would answer) for a
// name that is empty, does not fit, or holds a NUL.
void copy_name(char (&dst)[ALPC_NAME_MAX], std::string_view name, const char* what);

// A payload's length as the uapi's __u32; EMSGSIZE when it does not fit.
std::uint32_t length(std::span<const std::byte> data, const char* what);

} // namespace alpcu::detail
