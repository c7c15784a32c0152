// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "alpcu/fd.hpp"

namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

std::pair<int, int> make_pipe() {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    return {p[0], p[1]};
}

} // namespace

TEST_CASE("Fd closes its descriptor exactly once, at destruction", "[fd]") {
    auto [r, w] = make_pipe();
    {
        alpcu::Fd a(r);
        alpcu::Fd b(w);
        CHECK(is_open(r));
    }
    CHECK_FALSE(is_open(r));
    CHECK_FALSE(is_open(w));
}

TEST_CASE("Fd move transfers ownership and leaves the source empty", "[fd]") {
    auto [r, w] = make_pipe();
    alpcu::Fd a(r);
    alpcu::Fd b(std::move(a));
    CHECK(a.get() == -1); // NOLINT(bugprone-use-after-move): the contract under test
    CHECK(b.get() == r);
    alpcu::Fd c(w);
    c = std::move(b); // closes w, takes r
    CHECK_FALSE(is_open(w));
    CHECK(c.get() == r);
    CHECK(is_open(r));
}

TEST_CASE("Fd release gives up ownership without closing", "[fd]") {
    auto [r, w] = make_pipe();
    int raw;
    {
        alpcu::Fd a(r);
        raw = a.release();
        CHECK_FALSE(a.valid());
    }
    CHECK(raw == r);
    CHECK(is_open(r));
    ::close(r);
    ::close(w);
}
