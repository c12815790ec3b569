#include "pipelines/common/event_fields.h"

#include <gtest/gtest.h>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::addString;
using testing::makeBatch;

// One pass finds what one Batch::findField per name finds: the event's own field before the
// batch's, the first of repeated keys, names of every length (past the length buckets too).
TEST(FieldLookupTest, FindsWhatFindFieldFinds) {
  const std::string long_name(40, 'k');
  FieldLookup lookup({"host.name", "level", "lvl", "user.name", long_name, "absent", "level"});
  Batch batch = makeBatch({"a line", "another"});
  batch.addSharedString("host.name", "from-batch");
  batch.addSharedString("user.name", "shared-user");
  addString(batch, 0, "host.name", "from-event");
  addString(batch, 0, "level", "warn");
  addString(batch, 0, "level", "error");
  addString(batch, 0, long_name, "long");
  addString(batch, 1, "lvl", "3");

  std::vector<const Field*> found(lookup.size());
  for (const Event& event : batch.events()) {
    lookup.find(batch, event, found.data());
    for (size_t i = 0; i < lookup.size(); ++i) {
      EXPECT_EQ(found[i], batch.findField(event, lookup.name(i))) << lookup.name(i);
    }
  }
  lookup.find(batch, batch.events()[0], found.data());
  ASSERT_NE(found[0], nullptr);
  EXPECT_EQ(found[0]->value.string_value, "from-event");
  EXPECT_EQ(found[1]->value.string_value, "warn");
  EXPECT_EQ(found[6], found[1]);
  EXPECT_EQ(found[3]->value.string_value, "shared-user");
  EXPECT_EQ(found[4]->value.string_value, "long");
  EXPECT_EQ(found[5], nullptr);
}

}  // namespace
}  // namespace logship
