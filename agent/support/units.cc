#include "agent/support/units.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace logship {
namespace {

// Splits "10MiB" into 10 and "MiB".
bool splitNumber(std::string_view text, double& number, std::string_view& unit) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (ec != std::errc() || ptr != text.data() + i) return false;
  unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<uint64_t> parseByteSize(std::string_view text) {
  double number = 0;
  std::string_view unit;
  if (!splitNumber(text, number, unit)) return std::nullopt;
  struct Unit {
    std::string_view name;
    double factor;
  };
  static constexpr Unit kUnits[] = {{"", 1},
                                    {"B", 1},
                                    {"KB", 1e3},
                                    {"MB", 1e6},
                                    {"GB", 1e9},
                                    {"TB", 1e12},
                                    {"KiB", 1024.0},
                                    {"MiB", 1048576.0},
                                    {"GiB", 1073741824.0},
                                    {"TiB", 1099511627776.0},
                                    {"k", 1e3},
                                    {"K", 1024.0},
                                    {"M", 1048576.0},
                                    {"G", 1073741824.0}};
  for (const Unit& u : kUnits) {
    if (u.name == unit) return static_cast<uint64_t>(std::llround(number * u.factor));
  }
  return std::nullopt;
}

std::optional<Duration> parseDuration(std::string_view text) {
  double number = 0;
  std::string_view unit;
  if (!splitNumber(text, number, unit)) return std::nullopt;
  struct Unit {
    std::string_view name;
    double ns;
  };
  static constexpr Unit kUnits[] = {{"ns", 1},      {"us", 1e3},     {"ms", 1e6},
                                    {"s", 1e9},     {"m", 60e9},     {"h", 3600e9},
                                    {"d", 86400e9}, {"w", 604800e9}, {"y", 31557600e9}};
  for (const Unit& u : kUnits) {
    if (u.name == unit) return Duration(static_cast<int64_t>(std::llround(number * u.ns)));
  }
  return std::nullopt;
}

std::string formatDuration(Duration d) {
  int64_t ns = d.count();
  struct Unit {
    const char* name;
    int64_t ns;
  };
  static constexpr Unit kUnits[] = {{"d", 86400'000'000'000}, {"h", 3600'000'000'000},
                                    {"m", 60'000'000'000},    {"s", 1'000'000'000},
                                    {"ms", 1'000'000},        {"us", 1'000}};
  if (ns == 0) return "0s";
  for (const Unit& u : kUnits) {
    if (ns % u.ns == 0) return std::to_string(ns / u.ns) + u.name;
  }
  return std::to_string(ns) + "ns";
}

}  // namespace logship
