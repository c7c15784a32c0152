// SPDX-License-Identifier: MIT
// event_client: one thread, -k CONNECTIONS connections (default 4) to the
// port "pool" (or -n NAME), multiplexed by an epoll loop on a completion
// port's eventfd. Connects asynchronously, keeps -w WINDOW requests of
// -s SIZE bytes outstanding on each connection (sent in one batch), until
// -c COUNT requests per connection have been answered; checks that every
// reply is its request byte for byte, and prints a summary.
//
//   event_client [-n NAME] [-k CONNECTIONS] [-c COUNT] [-w WINDOW] [-s SIZE] [-t SECONDS]
//
// Exits 0 when every reply came back intact, 1 on a refused connection, a
// wrong or missing reply, SECONDS (default 30) without finishing, or any
// error.
#include <alpcu/alpcu.hpp>
#include <alpcu/batch.hpp>
#include <alpcu/completion.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <sys/epoll.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

struct Options {
    std::string name = "pool";
    unsigned long connections = 4;
    unsigned long count = 100;
    unsigned long window = 4;
    std::size_t size = 64;
    unsigned long seconds = 30;
};

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: event_client [-n NAME] [-k CONNECTIONS] [-c COUNT] [-w WINDOW] "
                         "[-s SIZE] [-t SECONDS]\n");
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    int c;
    while ((c = ::getopt(argc, argv, "n:k:c:w:s:t:")) != -1) {
        switch (c) {
        case 'n':
            o.name = optarg;
            break;
        case 'k':
            o.connections = std::strtoul(optarg, nullptr, 10);
            break;
        case 'c':
            o.count = std::strtoul(optarg, nullptr, 10);
            break;
        case 'w':
            o.window = std::strtoul(optarg, nullptr, 10);
            break;
        case 's':
            o.size = std::strtoul(optarg, nullptr, 10);
            break;
        case 't':
            o.seconds = std::strtoul(optarg, nullptr, 10);
            break;
        default:
            usage();
        }
    }
    // Batched requests go inline: at most the server's max_msg_len, which
    // is the default for pool_server.
    if (optind != argc || o.connections == 0 || o.connections > 1024 || o.window == 0 ||
        o.window > 64 || o.size > ALPC_MSG_DEFAULT_MAX || o.seconds == 0)
        usage();
    return o;
}

__attribute__((format(printf, 1, 2))) void say(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::printf("event_client: ");
    std::vprintf(fmt, ap);
    std::printf("\n");
    std::fflush(stdout);
    va_end(ap);
}

// Request j of connection k: its number, then a pattern up to size bytes.
std::string payload(unsigned long k, unsigned long j, std::size_t size) {
    std::string s = "connection " + std::to_string(k) + " request " + std::to_string(j) + " ";
    for (std::size_t i = 0; s.size() < size; ++i)
        s.push_back(static_cast<char>('a' + (k + j + i) % 26));
    s.resize(size);
    return s;
}

struct Conn {
    std::optional<alpcu::Connection> conn;
    bool connected = false;
    bool refill = false; // send more requests once this wake-up's entries are handled
    unsigned long sent = 0, verified = 0;
    std::map<std::uint64_t, std::string> outstanding; // request id -> payload
};

struct Totals {
    unsigned long wakeups = 0, entries = 0, batches = 0, verified = 0, bad = 0, failed = 0;
};

class Client {
public:
    explicit Client(const Options& opt) : opt_(opt), cp_(alpcu::CompletionPort::create(256)) {}

    int run() {
        alpcu::Fd ep(::epoll_create1(EPOLL_CLOEXEC));
        if (!ep.valid())
            alpcu::throw_errno("epoll_create1");
        epoll_event ev{};
        ev.events = EPOLLIN;
        alpcu::check(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, cp_.event_fd(), &ev), "epoll_ctl");

        auto start = std::chrono::steady_clock::now();
        conns_.resize(opt_.connections);
        for (unsigned long k = 0; k < opt_.connections; ++k) {
            auto data = "event-client-" + std::to_string(k);
            // The key of a connection's entries is its index.
            auto c = alpcu::connect_async(opt_.name, cp_, k, alpcu::bytes(data));
            if (!c.ok()) {
                say("connection %lu: %s", k, alpcu::to_string(c.status()));
                return 1;
            }
            conns_[k].conn.emplace(std::move(c).value());
        }

        auto deadline = start + std::chrono::seconds(opt_.seconds);
        std::array<alpcu::Completion, 64> entries;
        while (finished_ < opt_.connections && !t_.failed) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                break;
            epoll_event got[1];
            int n = ::epoll_wait(ep.get(), got, 1, static_cast<int>(left.count()));
            if (n < 0 && errno == EINTR)
                continue;
            alpcu::check(n, "epoll_wait");
            if (n == 0)
                continue;
            ++t_.wakeups;
            // Reset first: an entry posted from here on signals again.
            cp_.clear_event();
            for (;;) {
                std::size_t got_entries = cp_.take(entries);
                for (std::size_t i = 0; i < got_entries; ++i)
                    handle(entries[i]);
                if (got_entries < entries.size())
                    break;
            }
            // The replies of a wake-up are answered by one batch per connection.
            for (unsigned long k = 0; k < conns_.size(); ++k)
                if (std::exchange(conns_[k].refill, false) && conns_[k].conn && !t_.failed)
                    fill_window(k);
        }
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        unsigned long sent = 0;
        for (auto& c : conns_)
            sent += c.sent;
        bool ok = finished_ == opt_.connections && !t_.failed && !t_.bad;
        say("%lu connections, %lu requests, %lu replies verified, %lu bad, %.2f s "
            "(%lu wakeups, %lu entries, %lu batches)%s",
            opt_.connections, sent, t_.verified, t_.bad, secs, t_.wakeups, t_.entries, t_.batches,
            ok ? "" : " FAILED");
        if (finished_ < opt_.connections && !t_.failed)
            say("FAILED: %lu of %lu connections unfinished after %lu s",
                opt_.connections - finished_, opt_.connections, opt_.seconds);
        return ok ? 0 : 1;
    }

private:
    void fail(unsigned long k, const std::string& why) {
        say("connection %lu: %s", k, why.c_str());
        ++t_.failed;
    }

    void handle(const alpcu::Completion& e) {
        ++t_.entries;
        if (e.key >= conns_.size() || !conns_[e.key].conn)
            return fail(e.key, "an entry for no open connection");
        unsigned long k = e.key;
        Conn& c = conns_[k];
        switch (e.kind) {
        case alpcu::CompletionKind::connect: {
            auto answer = alpcu::finish_connect(*c.conn, e);
            if (answer.status != alpcu::Status::ok)
                return fail(k, std::string("connect: ") + alpcu::to_string(answer.status));
            c.connected = true;
            say("connection %lu: \"%.*s\"", k, static_cast<int>(answer.server_data.size()),
                reinterpret_cast<const char*>(answer.server_data.data()));
            c.refill = true;
            return;
        }
        case alpcu::CompletionKind::reply: {
            auto m = c.conn->receive(alpcu::no_wait);
            if (!m.ok())
                return fail(k, std::string("receive: ") + alpcu::to_string(m.status()));
            auto it = c.outstanding.find(m->ref_id);
            if (m->type != alpcu::MessageType::reply || it == c.outstanding.end()) {
                ++t_.bad;
                return fail(k, "a reply to no outstanding request");
            }
            if (m->text() != it->second) {
                ++t_.bad;
                fail(k, "reply to request " + std::to_string(m->ref_id) + " differs");
            } else {
                ++c.verified;
                ++t_.verified;
            }
            c.outstanding.erase(it);
            if (c.verified == opt_.count) {
                c.conn.reset(); // the server sees it close
                ++finished_;
                return;
            }
            c.refill = true;
            return;
        }
        default:
            return fail(k, std::string("unexpected ") + alpcu::to_string(e.kind) + " entry");
        }
    }

    // Sends requests until WINDOW are outstanding or COUNT are sent, in one
    // batch.
    void fill_window(unsigned long k) {
        Conn& c = conns_[k];
        std::vector<std::string> texts;
        alpcu::Batch b;
        while (c.sent + texts.size() < opt_.count &&
               c.outstanding.size() + texts.size() < opt_.window)
            texts.push_back(payload(k, c.sent + texts.size(), opt_.size));
        if (texts.empty())
            return;
        for (const auto& s : texts)
            b.request(alpcu::bytes(s));
        b.submit(*c.conn);
        ++t_.batches;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            if (b[i].status() != alpcu::Status::ok)
                return fail(k, std::string("request: ") + alpcu::to_string(b[i].status()));
            c.outstanding.emplace(b[i].id(), std::move(texts[i]));
            ++c.sent;
        }
    }

    const Options& opt_;
    alpcu::CompletionPort cp_;
    std::vector<Conn> conns_;
    unsigned long finished_ = 0;
    Totals t_;
};

} // namespace

int main(int argc, char** argv) try {
    Options opt = parse(argc, argv);
    Client client(opt);
    return client.run();
} catch (const std::exception& e) {
    std::fprintf(stderr, "event_client: %s\n", e.what());
    return 1;
}
