// SPDX-License-Identifier: MIT
// The process-wide pidfd libalpcu registers at connect and accept: one per
// process, and a child's own after fork(). A private helper, reached
// through the library's private header.
#include <catch2/catch.hpp>

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/ioctl.hpp"

namespace {

// The pid a pidfd refers to, from /proc/self/fdinfo; -1 if fd is not a
// pidfd.
pid_t pidfd_pid(int fd) {
    std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("Pid:", 0) == 0)
            return static_cast<pid_t>(std::stol(line.substr(4)));
    return -1;
}

} // namespace

TEST_CASE("self_pidfd opens one close-on-exec pidfd of this process and keeps it",
          "[process][pidfd]") {
    int fd = alpcu::detail::self_pidfd();
    REQUIRE(fd >= 0);
    CHECK(alpcu::detail::self_pidfd() == fd);
    CHECK(pidfd_pid(fd) == ::getpid());
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("after fork, the child closes its parent's pidfd and opens its own", "[process][pidfd]") {
    int parent = alpcu::detail::self_pidfd();
    REQUIRE(parent >= 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // No Catch2 in the child: the exit status says what went wrong.
        if (::fcntl(parent, F_GETFD) != -1 || errno != EBADF)
            ::_exit(1); // the parent's pidfd survived the fork
        int mine = alpcu::detail::self_pidfd();
        if (mine < 0)
            ::_exit(2);
        if (pidfd_pid(mine) != ::getpid())
            ::_exit(3);
        if (alpcu::detail::self_pidfd() != mine)
            ::_exit(4);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // The parent's is untouched.
    CHECK(alpcu::detail::self_pidfd() == parent);
    CHECK(pidfd_pid(parent) == ::getpid());
}
