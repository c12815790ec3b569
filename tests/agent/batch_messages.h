#pragma once

#include <string>
#include <vector>

#include "agent/api/batch.h"

namespace logship::testing {

// The messages of a batch's events, in order.
inline std::vector<std::string> messages(const Batch& batch) {
  std::vector<std::string> out;
  for (const Event& e : batch.events()) out.emplace_back(e.message);
  return out;
}

}  // namespace logship::testing
