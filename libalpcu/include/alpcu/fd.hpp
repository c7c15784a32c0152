// SPDX-License-Identifier: MIT
#pragma once

#include <span>
#include <utility>
#include <vector>

namespace alpcu {

// Owns one file descriptor, like kj's AutoCloseFd: explicit constructor,
// noexcept move, no copy, no implicit bool. The destructor closes once and
// never retries close() on EINTR: on Linux the fd is gone either way, and
// a retry could close an fd another thread has just been given.
class Fd {
public:
    Fd() noexcept = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other)
            reset(other.release());
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
    // Gives up ownership without closing.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
    // Closes the owned fd, if any, and takes ownership of fd.
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

// The numbers of fds, still owned by them: for calls that take a span of
// ints (passing fds in a message).
[[nodiscard]] inline std::vector<int> raw_fds(std::span<const Fd> fds) {
    std::vector<int> raw;
    raw.reserve(fds.size());
    for (const Fd& fd : fds)
        raw.push_back(fd.get());
    return raw;
}

} // namespace alpcu
