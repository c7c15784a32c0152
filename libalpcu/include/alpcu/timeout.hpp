// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>

namespace alpcu {

// How long a call may wait: any std::chrono duration, or alpcu::forever,
// or alpcu::no_wait. A zero or negative duration does not wait (so an
// expired deadline never turns into "forever"); a duration too long for
// 64-bit nanoseconds (about 292 years) waits forever.
class Timeout {
public:
    template <class Rep, class Period>
    constexpr Timeout(std::chrono::duration<Rep, Period> d) noexcept : ns_(to_ns(d)) {}

    // The kernel's encoding: negative waits without limit, 0 does not wait.
    static constexpr Timeout from_ns(std::int64_t ns) noexcept { return Timeout(ns < 0 ? -1 : ns); }

    [[nodiscard]] constexpr std::int64_t ns() const noexcept { return ns_; }
    [[nodiscard]] constexpr bool is_forever() const noexcept { return ns_ < 0; }
    friend constexpr bool operator==(Timeout, Timeout) noexcept = default;

private:
    explicit constexpr Timeout(std::int64_t ns) noexcept : ns_(ns) {}

    template <class Rep, class Period>
    static constexpr std::int64_t to_ns(std::chrono::duration<Rep, Period> d) noexcept {
        using namespace std::chrono;
        if (d <= d.zero())
            return 0;
        if (duration<long double, std::nano>(d).count() >=
            static_cast<long double>(nanoseconds::max().count()))
            return -1;
        return ceil<nanoseconds>(d).count();
    }

    std::int64_t ns_;
};

inline constexpr Timeout forever = Timeout::from_ns(-1);
inline constexpr Timeout no_wait = Timeout::from_ns(0);

} // namespace alpcu
