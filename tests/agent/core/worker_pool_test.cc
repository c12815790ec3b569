#include "agent/core/worker_pool.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace logship {
namespace {

namespace fs = std::filesystem;

class CgroupCpuLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("logship-cgroup-" + std::to_string(getpid()));
    fs::create_directories(root_ / "kubepods" / "pod1" / "c1");
  }
  void TearDown() override { fs::remove_all(root_); }

  void writeCpuMax(const fs::path& dir, const std::string& text) {
    std::ofstream(root_ / dir / "cpu.max") << text << "\n";
  }

  fs::path root_;
};

TEST_F(CgroupCpuLimitTest, TheTightestQuotaOnThePathToTheRootBinds) {
  writeCpuMax("kubepods", "400000 100000");
  writeCpuMax("kubepods/pod1", "150000 100000");
  writeCpuMax("kubepods/pod1/c1", "max 100000");
  auto limit = cgroupCpuLimit("0::/kubepods/pod1/c1\n", root_);
  ASSERT_TRUE(limit.has_value());
  EXPECT_DOUBLE_EQ(*limit, 1.5);

  writeCpuMax("kubepods/pod1/c1", "50000 100000");
  EXPECT_DOUBLE_EQ(cgroupCpuLimit("0::/kubepods/pod1/c1\n", root_).value_or(0), 0.5);
}

TEST_F(CgroupCpuLimitTest, ANamespacedRootCgroupReadsTheRootsFile) {
  writeCpuMax("", "200000 100000");
  EXPECT_DOUBLE_EQ(cgroupCpuLimit("0::/\n", root_).value_or(0), 2.0);
}

TEST_F(CgroupCpuLimitTest, NoQuotaNoFileOrCgroupV1MeansNoLimit) {
  writeCpuMax("kubepods/pod1/c1", "max 100000");
  EXPECT_FALSE(cgroupCpuLimit("0::/kubepods/pod1/c1\n", root_).has_value());
  EXPECT_FALSE(cgroupCpuLimit("0::/elsewhere\n", root_).has_value());
  // v1 hierarchies name their controllers; their quota files have other names.
  EXPECT_FALSE(cgroupCpuLimit("4:cpu,cpuacct:/kubepods/pod1/c1\n", root_).has_value());
}

TEST(UsableCpusTest, FollowsTheAffinityMask) {
  cpu_set_t saved;
  ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &saved)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  size_t pinned = usableCpus();
  ASSERT_EQ(sched_setaffinity(0, sizeof saved, &saved), 0);
  EXPECT_EQ(pinned, 1u);
  EXPECT_GE(usableCpus(), 1u);
  EXPECT_LE(usableCpus(), static_cast<size_t>(CPU_COUNT(&saved)));
}

}  // namespace
}  // namespace logship
