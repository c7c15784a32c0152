// SPDX-License-Identifier: MIT
// alpcctl: the alpc ports and connections the caller can see, totals over
// them, and port and connection events as they happen, from the generic
// netlink family "alpc". The manual is alpcctl.8.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <iostream>
#include <limits>
#include <linux/alpc.h>
#include <string>
#include <vector>

#include "format.hpp"
#include "nl.hpp"

namespace {

using alpcctl::Object;

constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

constexpr const char* usage_text = R"(Usage: alpcctl [-j] COMMAND [OPTIONS]

Commands:
  ports          the connection ports you can see
  connections    their connections
  stats          totals over those ports
  monitor        port and connection events as they happen (CAP_SYS_ADMIN)

Options:
  -j, --json         JSON instead of columns
  -p, --port PORT    ports, connections: only that port; PORT is a name, or an id
                     if it is all digits
      --name NAME    ports, connections: only the port named NAME
      --id ID        ports, connections: only the port with id ID
  -c, --count N      monitor: exit after N events
  -h, --help         this text

In the columns, IN is what clients sent to the server, OUT what the server
sent to clients. See alpcctl(8).
)";

struct Options {
    bool json = false;
    std::string command;
    alpcctl::Filter filter;
    std::string port; // the filter as given, for messages
    bool by_id = false;
    long count = -1;
};

[[noreturn]] void usage_error(const std::string& msg) {
    std::cerr << "alpcctl: " << msg << "\nTry 'alpcctl --help'.\n";
    std::exit(exit_usage);
}

bool all_digits(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

std::uint64_t parse_number(const std::string& s, const char* what) {
    errno = 0;
    std::uint64_t v = all_digits(s) ? std::strtoull(s.c_str(), nullptr, 10) : 0;
    if (!all_digits(s) || errno == ERANGE)
        usage_error(std::string(what) + " must be a number: " + s);
    return v;
}

Options parse_args(int argc, char** argv) {
    enum { opt_name = 256, opt_id };
    static const option longopts[] = {
        {"json", no_argument, nullptr, 'j'},
        {"port", required_argument, nullptr, 'p'},
        {"name", required_argument, nullptr, opt_name},
        {"id", required_argument, nullptr, opt_id},
        {"count", required_argument, nullptr, 'c'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    Options o;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jp:c:h", longopts, nullptr)) != -1) {
        switch (c) {
        case 'j':
            o.json = true;
            break;
        case 'p':
            o.port = optarg;
            o.by_id = all_digits(o.port);
            if (o.by_id)
                o.filter.id = parse_number(o.port, "a port id");
            else
                o.filter.name = o.port;
            break;
        case opt_name:
            o.port = o.filter.name = optarg;
            break;
        case opt_id:
            o.port = optarg;
            o.by_id = true;
            o.filter.id = parse_number(o.port, "a port id");
            break;
        case 'c': {
            std::uint64_t n = parse_number(optarg, "--count");
            // o.count < 0 means no --count: a larger N must not wrap into it.
            if (n > static_cast<std::uint64_t>(std::numeric_limits<long>::max()))
                usage_error(std::string("--count is too large: ") + optarg);
            o.count = static_cast<long>(n);
            break;
        }
        case 'h':
            std::cout << usage_text;
            std::exit(0);
        case ':':
            usage_error(std::string("option needs an argument: ") + argv[optind - 1]);
        default:
            usage_error(std::string("unknown option: ") + argv[optind - 1]);
        }
    }
    if (optind >= argc)
        usage_error("no command");
    o.command = argv[optind++];
    if (optind < argc)
        usage_error(std::string("unexpected argument: ") + argv[optind]);
    if (o.filter.name.size() >= ALPC_NAME_MAX)
        usage_error("a port name has at most " + std::to_string(ALPC_NAME_MAX - 1) + " bytes");
    if (o.by_id && o.filter.id == 0)
        usage_error("port ids start at 1");
    return o;
}

std::string num(std::uint64_t v) {
    return std::to_string(v);
}

// A pid, or "-" for none (not accepted yet, or not in the caller's pid namespace).
std::string pid_cell(std::uint64_t pid) {
    return pid ? num(pid) : "-";
}

const char* state_name(std::uint64_t state) {
    switch (state) {
    case ALPC_NL_CONN_CONNECTING:
        return "connecting";
    case ALPC_NL_CONN_CONNECTED:
        return "connected";
    case ALPC_NL_CONN_CLOSED:
        return "closed";
    }
    return "unknown";
}

// A port as JSON; an event's name, if given, comes first.
alpcctl::JsonObject port_json(const Object& p, const char* event = nullptr) {
    alpcctl::JsonObject j;
    if (event)
        j.add("event", event);
    j.add("id", p.get(ALPC_NL_A_PORT_ID))
        .add("name", p.name)
        .add("ipc_ns", p.get(ALPC_NL_A_PORT_IPC_NS))
        .add("uid", p.get(ALPC_NL_A_PORT_UID))
        .add("gid", p.get(ALPC_NL_A_PORT_GID))
        .add("mode", alpcctl::octal_mode(p.get(ALPC_NL_A_PORT_MODE)))
        .add("acl_entries", p.get(ALPC_NL_A_PORT_ACL_COUNT))
        .add("flags", p.get(ALPC_NL_A_PORT_FLAGS))
        .add("connections", p.get(ALPC_NL_A_PORT_CONNS))
        .add("max_connections", p.get(ALPC_NL_A_PORT_MAX_CONNS))
        .add("queued", p.get(ALPC_NL_A_PORT_QUEUED))
        .add("requests", p.get(ALPC_NL_A_PORT_REQUESTS))
        .add("msgs_to_server", p.get(ALPC_NL_A_PORT_MSGS_TO_SERVER))
        .add("bytes_to_server", p.get(ALPC_NL_A_PORT_BYTES_TO_SERVER))
        .add("msgs_to_client", p.get(ALPC_NL_A_PORT_MSGS_TO_CLIENT))
        .add("bytes_to_client", p.get(ALPC_NL_A_PORT_BYTES_TO_CLIENT))
        .add("section_bytes", p.get(ALPC_NL_A_PORT_SECTION_BYTES));
    return j;
}

alpcctl::JsonObject conn_json(const Object& k, const char* event = nullptr) {
    alpcctl::JsonObject j;
    if (event)
        j.add("event", event);
    j.add("id", k.get(ALPC_NL_A_CONN_ID))
        .add("port_id", k.get(ALPC_NL_A_PORT_ID))
        .add("port", k.name)
        .add("state", state_name(k.get(ALPC_NL_A_CONN_STATE)))
        .add("client_pid", k.get(ALPC_NL_A_CONN_CLIENT_PID))
        .add("client_uid", k.get(ALPC_NL_A_CONN_CLIENT_UID))
        .add("server_pid", k.get(ALPC_NL_A_CONN_SERVER_PID))
        .add("server_uid", k.get(ALPC_NL_A_CONN_SERVER_UID))
        .add("queued_to_server", k.get(ALPC_NL_A_CONN_QUEUED_TO_SERVER))
        .add("queued_bytes_to_server", k.get(ALPC_NL_A_CONN_QUEUED_BYTES_TO_SERVER))
        .add("queued_to_client", k.get(ALPC_NL_A_CONN_QUEUED_TO_CLIENT))
        .add("queued_bytes_to_client", k.get(ALPC_NL_A_CONN_QUEUED_BYTES_TO_CLIENT))
        .add("requests", k.get(ALPC_NL_A_CONN_REQUESTS))
        .add("sections", k.get(ALPC_NL_A_CONN_SECTIONS))
        .add("section_bytes", k.get(ALPC_NL_A_CONN_SECTION_BYTES));
    return j;
}

// Objects as a JSON array, each made by to_json (port_json or conn_json).
void print_json(const std::vector<Object>& objs,
                alpcctl::JsonObject (*to_json)(const Object&, const char*)) {
    std::vector<alpcctl::JsonObject> out;
    for (const auto& o : objs)
        out.push_back(to_json(o, nullptr));
    alpcctl::print_json_array(std::cout, out);
}

void print_ports(const std::vector<Object>& ports, bool json) {
    if (json)
        return print_json(ports, port_json);
    alpcctl::Table t(
        {"ID", "NAME", "UID", "GID", "MODE", "CONNS", "QUEUED", "REQS", "MSGS_IN", "BYTES_IN",
         "MSGS_OUT", "BYTES_OUT", "SECTION_BYTES"},
        {true, false, true, true, false, true, true, true, true, true, true, true, true});
    for (const auto& p : ports) {
        std::string mode = alpcctl::octal_mode(p.get(ALPC_NL_A_PORT_MODE));
        if (p.get(ALPC_NL_A_PORT_ACL_COUNT))
            mode += "+";
        t.add(
            {num(p.get(ALPC_NL_A_PORT_ID)), alpcctl::cell_string(p.name),
             num(p.get(ALPC_NL_A_PORT_UID)), num(p.get(ALPC_NL_A_PORT_GID)), mode,
             num(p.get(ALPC_NL_A_PORT_CONNS)), num(p.get(ALPC_NL_A_PORT_QUEUED)),
             num(p.get(ALPC_NL_A_PORT_REQUESTS)), num(p.get(ALPC_NL_A_PORT_MSGS_TO_SERVER)),
             num(p.get(ALPC_NL_A_PORT_BYTES_TO_SERVER)), num(p.get(ALPC_NL_A_PORT_MSGS_TO_CLIENT)),
             num(p.get(ALPC_NL_A_PORT_BYTES_TO_CLIENT)), num(p.get(ALPC_NL_A_PORT_SECTION_BYTES))});
    }
    t.print(std::cout);
}

void print_conns(const std::vector<Object>& conns, bool json) {
    if (json)
        return print_json(conns, conn_json);
    alpcctl::Table t(
        {"PORT", "ID", "STATE", "CLIENT", "UID", "SERVER", "QUEUED_IN", "QBYTES_IN", "QUEUED_OUT",
         "QBYTES_OUT", "REQS", "SECTIONS", "SECTION_BYTES"},
        {false, true, false, true, true, true, true, true, true, true, true, true, true});
    for (const auto& k : conns)
        t.add({alpcctl::cell_string(k.name), num(k.get(ALPC_NL_A_CONN_ID)),
               state_name(k.get(ALPC_NL_A_CONN_STATE)), pid_cell(k.get(ALPC_NL_A_CONN_CLIENT_PID)),
               num(k.get(ALPC_NL_A_CONN_CLIENT_UID)), pid_cell(k.get(ALPC_NL_A_CONN_SERVER_PID)),
               num(k.get(ALPC_NL_A_CONN_QUEUED_TO_SERVER)),
               num(k.get(ALPC_NL_A_CONN_QUEUED_BYTES_TO_SERVER)),
               num(k.get(ALPC_NL_A_CONN_QUEUED_TO_CLIENT)),
               num(k.get(ALPC_NL_A_CONN_QUEUED_BYTES_TO_CLIENT)),
               num(k.get(ALPC_NL_A_CONN_REQUESTS)), num(k.get(ALPC_NL_A_CONN_SECTIONS)),
               num(k.get(ALPC_NL_A_CONN_SECTION_BYTES))});
    t.print(std::cout);
}

void print_stats(const Object& s, bool json) {
    const std::pair<const char*, int> rows[] = {
        {"ports", ALPC_NL_A_STATS_PORTS},
        {"connections", ALPC_NL_A_STATS_CONNS},
        {"queued", ALPC_NL_A_STATS_QUEUED},
        {"requests", ALPC_NL_A_STATS_REQUESTS},
        {"msgs_to_server", ALPC_NL_A_STATS_MSGS_TO_SERVER},
        {"bytes_to_server", ALPC_NL_A_STATS_BYTES_TO_SERVER},
        {"msgs_to_client", ALPC_NL_A_STATS_MSGS_TO_CLIENT},
        {"bytes_to_client", ALPC_NL_A_STATS_BYTES_TO_CLIENT},
        {"section_bytes", ALPC_NL_A_STATS_SECTION_BYTES},
    };
    if (json) {
        alpcctl::JsonObject j;
        for (const auto& [key, attr] : rows)
            j.add(key, s.get(attr));
        std::cout << j.str() << "\n";
        return;
    }
    alpcctl::Table t({"TOTAL", "VALUE"}, {false, true});
    for (const auto& [key, attr] : rows)
        t.add({key, num(s.get(attr))});
    t.print(std::cout);
}

const char* event_name(std::uint8_t cmd) {
    switch (cmd) {
    case ALPC_NL_CMD_PORT_NEW:
        return "port-new";
    case ALPC_NL_CMD_PORT_DEL:
        return "port-del";
    case ALPC_NL_CMD_CONN_NEW:
        return "conn-new";
    case ALPC_NL_CMD_CONN_DEL:
        return "conn-del";
    }
    return nullptr;
}

bool print_event(const Object& e, bool json) {
    const char* name = event_name(e.cmd);
    if (!name)
        return false;
    bool port = e.cmd == ALPC_NL_CMD_PORT_NEW || e.cmd == ALPC_NL_CMD_PORT_DEL;
    if (json) {
        std::cout << (port ? port_json(e, name) : conn_json(e, name)).str() << std::endl;
        return true;
    }
    std::cout << name;
    if (port)
        std::cout << " id=" << e.get(ALPC_NL_A_PORT_ID) << " name=" << alpcctl::cell_string(e.name)
                  << " uid=" << e.get(ALPC_NL_A_PORT_UID) << " gid=" << e.get(ALPC_NL_A_PORT_GID)
                  << " mode=" << alpcctl::octal_mode(e.get(ALPC_NL_A_PORT_MODE))
                  << " ipc_ns=" << e.get(ALPC_NL_A_PORT_IPC_NS)
                  << " conns=" << e.get(ALPC_NL_A_PORT_CONNS);
    else
        std::cout << " id=" << e.get(ALPC_NL_A_CONN_ID) << " port=" << alpcctl::cell_string(e.name)
                  << " port_id=" << e.get(ALPC_NL_A_PORT_ID)
                  << " client=" << pid_cell(e.get(ALPC_NL_A_CONN_CLIENT_PID))
                  << " uid=" << e.get(ALPC_NL_A_CONN_CLIENT_UID)
                  << " server=" << pid_cell(e.get(ALPC_NL_A_CONN_SERVER_PID))
                  << " state=" << state_name(e.get(ALPC_NL_A_CONN_STATE));
    std::cout << std::endl;
    return true;
}

int monitor(alpcctl::Client& client, const Options& o) {
    long seen = 0;
    if (o.count == 0)
        return 0;
    client.watch([&](const Object& e) { return !print_event(e, o.json) || ++seen != o.count; },
                 [] { std::cerr << "alpcctl: monitor: events were lost (socket buffer full)\n"; });
    return 0;
}

int run(const Options& o) {
    auto client = alpcctl::Client::open();
    if (o.command == "ports" || o.command == "connections") {
        auto objs = client.dump(o.command == "ports" ? ALPC_NL_CMD_GET_PORT : ALPC_NL_CMD_GET_CONN,
                                o.filter);
        if (client.interrupted())
            std::cerr << "alpcctl: ports or connections came and went during every try: the "
                         "list may be inconsistent\n";
        if (o.command == "ports")
            print_ports(objs, o.json);
        else
            print_conns(objs, o.json);
        return 0;
    }
    if (o.command == "stats") {
        print_stats(client.get(ALPC_NL_CMD_GET_STATS), o.json);
        return 0;
    }
    return monitor(client, o);
}

} // namespace

int main(int argc, char** argv) {
    Options o = parse_args(argc, argv);
    const std::string cmd = o.command;
    if (cmd != "ports" && cmd != "connections" && cmd != "stats" && cmd != "monitor")
        usage_error("unknown command: " + cmd);
    if (!o.port.empty() && cmd != "ports" && cmd != "connections")
        usage_error(cmd + " takes no port");
    if (o.count >= 0 && cmd != "monitor")
        usage_error(cmd + " takes no --count");
    try {
        return run(o);
    } catch (const alpcctl::NotLoaded& e) {
        std::cerr << "alpcctl: the alpc module is not loaded (" << e.what() << ")\n";
    } catch (const alpcctl::Error& e) {
        if (e.err() == ENOENT && !o.port.empty())
            std::cerr << "alpcctl: no port " << alpcctl::cell_string(o.port)
                      << " that you can see\n";
        else if (e.err() == EPERM && cmd == "monitor")
            std::cerr << "alpcctl: monitor: permission denied: joining the events group takes "
                         "CAP_SYS_ADMIN\n";
        else
            std::cerr << "alpcctl: " << cmd << ": " << e.what()
                      << (e.ack().empty() ? "" : " (" + e.ack() + ")") << "\n";
    } catch (const std::exception& e) {
        std::cerr << "alpcctl: " << cmd << ": " << e.what() << "\n";
    }
    return exit_failure;
}
