#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace logship {

// Lets a std::string-keyed unordered_map be searched with a string_view, so looking up a key
// rendered into a reused buffer does not build a std::string per event.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace logship
