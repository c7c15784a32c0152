// SPDX-License-Identifier: MIT
// Output for alpcctl: aligned columns for people, JSON for programs.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alpcctl {

// A JSON string literal of s, quotes included. Bytes that are not UTF-8
// (names are bytes to the kernel) become U+FFFD.
std::string json_string(std::string_view s);

// s for a table cell: control characters, spaces and backslashes as
// \xHH, so a cell is one word and the columns stay aligned.
std::string cell_string(std::string_view s);

// A mode as four octal digits: 0600.
std::string octal_mode(std::uint64_t mode);

// One JSON object, its members in the order they were added.
class JsonObject {
public:
    JsonObject& add(std::string_view key, std::uint64_t v);
    JsonObject& add(std::string_view key, std::string_view s);
    JsonObject& add(std::string_view key, const char* s) { return add(key, std::string_view(s)); }
    [[nodiscard]] std::string str() const { return "{" + body_ + "}"; }

private:
    void key(std::string_view k);
    std::string body_;
};

// Prints objects as a JSON array, one member per line.
void print_json_array(std::ostream& out, const std::vector<JsonObject>& objects);

// A table: a header row and rows of cells, printed in columns two spaces
// apart; columns marked numeric are aligned right.
class Table {
public:
    Table(std::vector<std::string> header, std::vector<bool> numeric)
        : header_(std::move(header)), numeric_(std::move(numeric)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    void print(std::ostream& out) const;

private:
    std::vector<std::string> header_;
    std::vector<bool> numeric_;
    std::vector<std::vector<std::string>> rows_;
};

} // namespace alpcctl
