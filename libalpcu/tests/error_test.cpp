// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <string>
#include <system_error>

#include "alpcu/error.hpp"

TEST_CASE("check passes non-negative results through", "[error]") {
    CHECK(alpcu::check(0, "zero") == 0);
    CHECK(alpcu::check(42, "answer") == 42);
}

TEST_CASE("check turns a failure into system_error with errno and context", "[error]") {
    errno = EMSGSIZE;
    try {
        alpcu::check(-1, "ALPC_IOC_SEND");
        FAIL("check did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::message_size);
        CHECK(std::string(e.what()).find("ALPC_IOC_SEND") != std::string::npos);
    }
}
