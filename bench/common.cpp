// SPDX-License-Identifier: GPL-2.0
// Helpers shared by the transports and the runner.
#include "bench.hpp"

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <linux/futex.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bench {

void fail_errno(const std::string& what) {
    throw Failure(what + ": " + std::strerror(errno));
}

void failf(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    throw Failure(buf);
}

long Transport::sys_read(int fd, void* buf, std::size_t len) {
    ++syscalls_;
    return ::read(fd, buf, len);
}

long Transport::sys_write(int fd, const void* buf, std::size_t len) {
    ++syscalls_;
    return ::write(fd, buf, len);
}

long Transport::sys_ioctl(int fd, unsigned long req, void* arg) {
    ++syscalls_;
    return ::ioctl(fd, req, arg);
}

long Transport::sys_futex(void* addr, int op, std::uint32_t val) {
    ++syscalls_;
    return ::syscall(SYS_futex, addr, op, val, nullptr, nullptr, 0);
}

void Transport::sys_usleep(unsigned us) {
    ++syscalls_;
    usleep(us);
}

void Transport::read_full(int fd, void* buf, std::size_t len, const char* what) {
    auto* p = static_cast<char*>(buf);
    while (len) {
        long n = sys_read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail_errno(what);
        if (n == 0)
            failf("%s: unexpected end of stream", what);
        p += n;
        len -= n;
    }
}

void Transport::write_full(int fd, const void* buf, std::size_t len, const char* what) {
    auto* p = static_cast<const char*>(buf);
    while (len) {
        long n = sys_write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail_errno(what);
        p += n;
        len -= n;
    }
}

void* map_shared(std::size_t len) {
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        fail_errno("mmap shared memory");
    return p;
}

void unmap_shared(void* p, std::size_t len) {
    if (p)
        munmap(p, len);
}

void futex_wake_all(std::uint32_t* addr) {
    syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

void futex_wait_value(std::uint32_t* addr, std::uint32_t val) {
    syscall(SYS_futex, addr, FUTEX_WAIT, val, nullptr, nullptr, 0);
}

std::int64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

} // namespace bench
