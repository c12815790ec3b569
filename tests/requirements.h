#pragma once

// What a test needs from outside the repository (the shared corpus of real logs, a tool): without
// it the test skips on a developer's machine and fails in CI (CI=true), where a skip would pass
// for a success.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

namespace logship::testing {

inline bool inCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

}  // namespace logship::testing

// In a test body or SetUp: stops the test when `condition` does not hold.
#define LOGSHIP_REQUIRE(condition, what)                                    \
  do {                                                                      \
    if (!(condition)) {                                                     \
      if (::logship::testing::inCi()) FAIL() << "required in CI: " << what; \
      GTEST_SKIP() << what;                                                 \
    }                                                                       \
  } while (false)
