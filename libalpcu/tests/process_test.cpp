// SPDX-License-Identifier: MIT
// The process-wide pidfd libalpcu registers at connect and accept: one per
// process, and a child's own after fork(). A private helper, reached
// through the library's private header.
#include <catch2/catch.hpp>

#include <cerrno>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/ioctl.hpp"
#include "support.hpp"

TEST_CASE("self_pidfd opens one close-on-exec pidfd of this process and keeps it",
          "[process][pidfd]") {
    int fd = alpcu::detail::self_pidfd();
    REQUIRE(fd >= 0);
    CHECK(alpcu::detail::self_pidfd() == fd);
    CHECK(test::pidfd_pid(fd) == ::getpid());
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("after fork, the child closes its parent's pidfd and opens its own", "[process][pidfd]") {
    int parent = alpcu::detail::self_pidfd();
    REQUIRE(parent >= 0);
    pid_t child = test::spawn([&] {
        if (::fcntl(parent, F_GETFD) != -1 || errno != EBADF)
            return 1; // the parent's pidfd survived the fork
        int mine = alpcu::detail::self_pidfd();
        if (mine < 0)
            return 2;
        if (test::pidfd_pid(mine) != ::getpid())
            return 3;
        if (alpcu::detail::self_pidfd() != mine)
            return 4;
        return 0;
    });
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // The parent's is untouched.
    CHECK(alpcu::detail::self_pidfd() == parent);
    CHECK(test::pidfd_pid(parent) == ::getpid());
}
