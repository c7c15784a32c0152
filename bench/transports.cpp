// SPDX-License-Identifier: GPL-2.0
// The transports alpc_bench knows, in the order it runs them. A new
// transport is a Transport subclass in a file of its own and a line here.
#include "bench.hpp"

namespace bench {
namespace {

std::string always() {
    return {};
}

} // namespace

const std::vector<TransportInfo>& transport_table() {
    static const std::vector<TransportInfo> table = {
        {"alpc-inline", alpc_unavailable, make_alpc_inline},
        {"alpc-section", alpc_unavailable, make_alpc_section},
        {"alpc-batched", alpc_unavailable, make_alpc_batched},
        {"alpc-dgrams", alpc_unavailable, make_alpc_dgrams},
        {"pipe", always, make_pipe},
        {"unix-stream", always, make_unix_stream},
        {"unix-seqpacket", always, make_unix_seqpacket},
        {"futex", always, make_futex},
        {"binder", binder_unavailable, make_binder},
    };
    return table;
}

} // namespace bench
