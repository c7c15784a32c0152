// SPDX-License-Identifier: GPL-2.0
// One measured run: a transport, a pattern, a size and a placement, in a
// forked server and client.
#pragma once

#include "bench.hpp"

#include <optional>

namespace bench {

enum class Placement { unpinned, pinned };

const char* name(Pattern p);
const char* name(Placement p);

// The bytes every message carries: a window into a random buffer, at an
// offset derived from the message's number and direction, so a lost,
// repeated, stale or corrupted message does not compare equal.
class Payload {
public:
    explicit Payload(std::size_t max_size);
    const std::byte* message(std::uint64_t i, int dir) const {
        return buf_.data() + offset(i, dir);
    }
    // Throws Failure describing the first differing byte.
    void check(const std::byte* got, std::size_t len, std::uint64_t i, int dir) const;

private:
    static std::size_t offset(std::uint64_t i, int dir) { return (i * 2 + dir) % 4093 * 16; }
    std::vector<std::byte> buf_;
};

struct RunSpec {
    const TransportInfo* transport;
    Pattern pattern;
    std::size_t size;
    std::uint64_t warmup, iterations;
    Placement placement;
    unsigned timeout_s;
};

struct RunResult {
    std::string error; // empty: the run passed
    std::optional<std::int64_t> p50_ns, p90_ns, p99_ns;
    std::optional<double> msgs_per_s, bytes_per_s;
    double syscalls_per_op = 0, ctxsw_per_op = 0;
    double vcsw_per_op = 0, ivcsw_per_op = 0; // ctxsw_per_op, voluntary and not
};

RunResult run(const RunSpec& spec, const Payload& payload);

} // namespace bench
