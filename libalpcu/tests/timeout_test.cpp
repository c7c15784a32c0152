// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <chrono>

#include "alpcu/timeout.hpp"

using namespace std::chrono_literals;
using alpcu::Timeout;

static_assert(Timeout(1ms).ns() == 1'000'000, "Timeout is usable at compile time");
static_assert(alpcu::forever.is_forever() && !alpcu::no_wait.is_forever());

TEST_CASE("Timeout converts durations to the kernel's nanoseconds", "[timeout]") {
    CHECK(Timeout(1ms).ns() == 1'000'000);
    CHECK(Timeout(2s).ns() == 2'000'000'000);
    CHECK(Timeout(250ns).ns() == 250);
    CHECK(Timeout(std::chrono::duration<double, std::micro>(1.5)).ns() == 1500);
    CHECK(Timeout(std::chrono::minutes(3)).ns() == 180'000'000'000);
}

TEST_CASE("Timeout says forever as -1 and no_wait as 0", "[timeout]") {
    CHECK(alpcu::forever.ns() == -1);
    CHECK(alpcu::no_wait.ns() == 0);
    CHECK(Timeout(0s) == alpcu::no_wait);
    CHECK(Timeout::from_ns(-7) == alpcu::forever);
    CHECK(Timeout::from_ns(0) == alpcu::no_wait);
    CHECK(Timeout::from_ns(5).ns() == 5);
}

TEST_CASE("Timeout never turns an expired deadline into forever", "[timeout]") {
    CHECK(Timeout(-5ms) == alpcu::no_wait);
    CHECK(Timeout(std::chrono::nanoseconds::min()) == alpcu::no_wait);
    CHECK_FALSE(Timeout(-1ns).is_forever());
}

TEST_CASE("Timeout rounds sub-nanosecond waits up and huge ones to forever", "[timeout]") {
    CHECK(Timeout(std::chrono::duration<long long, std::pico>(1)).ns() == 1);
    CHECK(Timeout(std::chrono::duration<double, std::nano>(0.25)).ns() == 1);
    CHECK(Timeout(std::chrono::hours::max()) == alpcu::forever);
    CHECK(Timeout(std::chrono::nanoseconds::max()) == alpcu::forever);
    CHECK(Timeout(std::chrono::nanoseconds::max() - 1024ns).ns() > 0);
}
