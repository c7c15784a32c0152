// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cerrno>
#include <memory>
#include <string>
#include <system_error>

#include "alpcu/result.hpp"

using alpcu::Result;
using alpcu::Status;

TEST_CASE("Result holds a value or the status saying why there is none", "[result]") {
    Result<int> good(42);
    CHECK(good.ok());
    CHECK(good.status() == Status::ok);
    CHECK(good.value() == 42);
    CHECK(*good == 42);

    Result<int> bad(Status::timed_out);
    CHECK_FALSE(bad.ok());
    CHECK(bad.status() == Status::timed_out);
}

TEST_CASE("Result::value of a status throws system_error with its errno", "[result]") {
    Result<std::string> r(Status::would_block);
    try {
        (void)r.value();
        FAIL("value() did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::resource_unavailable_try_again);
        CHECK(std::string(e.what()).find("would block") != std::string::npos);
    }
    CHECK_THROWS_AS(r->size(), std::system_error);
}

TEST_CASE("Result carries move-only values", "[result]") {
    Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
    REQUIRE(r.ok());
    std::unique_ptr<int> p = std::move(r).value();
    CHECK(*p == 7);
}

TEST_CASE("every Status stands for one errno and has a name", "[result]") {
    const std::pair<Status, int> map[] = {
        {Status::ok, 0},
        {Status::timed_out, ETIMEDOUT},
        {Status::would_block, EAGAIN},
        {Status::refused, ECONNREFUSED},
        {Status::lost, ENOENT},
        {Status::canceled, ECANCELED},
        {Status::interrupted, EINTR},
        {Status::disconnected, ECONNRESET},
        {Status::not_datagram, ENOMSG},
        {Status::too_large, EMSGSIZE},
    };
    for (auto [s, err] : map) {
        INFO(alpcu::to_string(s));
        CHECK(alpcu::to_errno(s) == err);
        CHECK(std::string(alpcu::to_string(s)) != "unknown status");
    }
}
