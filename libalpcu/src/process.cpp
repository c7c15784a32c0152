// SPDX-License-Identifier: MIT
// What libalpcu keeps per process: the module's features, and the
// process's own pidfd.
#include <atomic>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ioctl.hpp"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

namespace alpcu::detail {

namespace {

// ALPC_FEAT_* bits with this bit set once known.
constexpr std::uint64_t features_known = 1ULL << 63;
std::atomic<std::uint64_t> features{0};

// The pid the pidfd was opened in (high half) and the pidfd (low half);
// 0 when none is open. One word, so a lookup is one load.
std::atomic<std::uint64_t> self{0};

constexpr std::uint64_t pack(pid_t pid, int fd) noexcept {
    return (std::uint64_t{static_cast<std::uint32_t>(pid)} << 32) | static_cast<std::uint32_t>(fd);
}
constexpr pid_t pid_of(std::uint64_t s) noexcept {
    return static_cast<pid_t>(s >> 32);
}
constexpr int fd_of(std::uint64_t s) noexcept {
    return static_cast<int>(static_cast<std::uint32_t>(s));
}

// In the child, at once after fork(): the pidfd names the parent, and the
// child's fd is still the one inherited, so it is safe to close.
extern "C" void forget_parent_pidfd() {
    std::uint64_t s = self.exchange(0, std::memory_order_relaxed);
    if (s)
        ::close(fd_of(s));
}

} // namespace

std::uint64_t module_features(const Device* dev) noexcept {
    std::uint64_t f = features.load(std::memory_order_relaxed);
    if (f & features_known)
        return f & ~features_known;
    try {
        std::uint64_t q = (dev ? dev->features() : Device::open().features()).features;
        features.store(q | features_known, std::memory_order_relaxed);
        return q & ~features_known;
    } catch (...) {
        return 0;
    }
}

int self_pidfd() noexcept {
    static const bool registered = ::pthread_atfork(nullptr, nullptr, forget_parent_pidfd) == 0;
    (void)registered;
    pid_t me = ::getpid();
    std::uint64_t s = self.load(std::memory_order_acquire);
    if (s && pid_of(s) == me)
        return fd_of(s);
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, me, 0));
    if (fd < 0)
        return -1;
    // s is 0, or another process's (a clone() without the fork handlers):
    // its fd number is left alone, as it may name another file by now.
    if (self.compare_exchange_strong(s, pack(me, fd), std::memory_order_acq_rel))
        return fd;
    // Another thread opened one first.
    ::close(fd);
    return pid_of(s) == me ? fd_of(s) : -1;
}

} // namespace alpcu::detail
