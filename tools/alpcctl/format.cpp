// SPDX-License-Identifier: MIT
#include "format.hpp"

#include <algorithm>
#include <cstdio>

namespace alpcctl {
namespace {

// The length of the UTF-8 sequence at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_len(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xc0) == 0x80; };
    unsigned char c = b(0);
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return cont(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (!cont(1) || !cont(2) || (c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) > 0x9f))
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (!cont(1) || !cont(2) || !cont(3) || (c == 0xf0 && b(1) < 0x90) ||
            (c == 0xf4 && b(1) > 0x8f))
            return 0;
        return 4;
    }
    return 0;
}

std::string hex_escape(const char* fmt, unsigned int c) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), fmt, c);
    return buf;
}

} // namespace

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = utf8_len(s, i);
        if (n == 0) {
            out += "\\ufffd";
            i++;
            continue;
        }
        if (c == '"' || c == '\\')
            out += {'\\', static_cast<char>(c)};
        else if (c < 0x20)
            out += hex_escape("\\u%04x", c);
        else
            out.append(s.substr(i, n));
        i += n;
    }
    return out + "\"";
}

std::string cell_string(std::string_view s) {
    std::string out;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7f || c == '\\')
            out += hex_escape("\\x%02x", c);
        else
            out += ch;
    }
    return out.empty() ? "-" : out;
}

std::string octal_mode(std::uint64_t mode) {
    return hex_escape("%04o", static_cast<unsigned int>(mode & 07777));
}

void JsonObject::key(std::string_view k) {
    if (!body_.empty())
        body_ += ",";
    body_ += json_string(k) + ":";
}

JsonObject& JsonObject::add(std::string_view k, std::uint64_t v) {
    key(k);
    body_ += std::to_string(v);
    return *this;
}

JsonObject& JsonObject::add(std::string_view k, std::string_view s) {
    key(k);
    body_ += json_string(s);
    return *this;
}

void print_json_array(std::ostream& out, const std::vector<JsonObject>& objects) {
    out << "[";
    for (std::size_t i = 0; i < objects.size(); i++)
        out << (i ? ",\n " : "\n ") << objects[i].str();
    out << (objects.empty() ? "]\n" : "\n]\n");
}

void Table::print(std::ostream& out) const {
    std::vector<std::size_t> width(header_.size());
    for (std::size_t c = 0; c < header_.size(); c++) {
        width[c] = header_[c].size();
        for (const auto& row : rows_)
            width[c] = std::max(width[c], row[c].size());
    }
    auto line = [&](const std::vector<std::string>& row) {
        std::string s;
        for (std::size_t c = 0; c < row.size(); c++) {
            std::string pad(width[c] - row[c].size(), ' ');
            bool last = c + 1 == row.size();
            if (numeric_[c])
                s += pad + row[c];
            else
                s += row[c] + (last ? "" : pad);
            if (!last)
                s += "  ";
        }
        out << s << "\n";
    };
    line(header_);
    for (const auto& row : rows_)
        line(row);
}

} // namespace alpcctl
