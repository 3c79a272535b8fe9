#include "model/garp_extra.h"

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

using std::chrono::seconds;

std::expected<GarpExtra, std::string> Bad(std::string word) { return std::unexpected(word); }

TEST(GarpExtraTest, ParsesDelayAndAllInAnyOrderAndNamesWhatKeepalivedIgnores) {
  EXPECT_EQ(ParseGarpExtra({"100"}, 0), (GarpExtra{seconds(100), false}));
  EXPECT_EQ(ParseGarpExtra({"all", "100"}, 0), (GarpExtra{seconds(100), true}));
  EXPECT_EQ(ParseGarpExtra({"100", "all"}, 1), (GarpExtra{seconds(100), true}));
  EXPECT_EQ(ParseGarpExtra({"0"}, 0), (GarpExtra{seconds(0), false}));
  EXPECT_EQ(ParseGarpExtra({"86400"}, 1), (GarpExtra{seconds(86400), false}));
  EXPECT_EQ(ParseGarpExtra({"0"}, 1), Bad("0"));  // global_defs: 1..86400
  EXPECT_EQ(ParseGarpExtra({"86401"}, 0), Bad("86401"));
  EXPECT_EQ(ParseGarpExtra({"all"}, 0), Bad(""));  // no time
  EXPECT_EQ(ParseGarpExtra({"10s"}, 0), Bad("10s"));
  EXPECT_EQ(ParseGarpExtra({"every", "10"}, 0), Bad("every"));
}

}  // namespace
}  // namespace vigil::model
