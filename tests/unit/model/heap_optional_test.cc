#include "model/heap_optional.h"

#include <gtest/gtest.h>

#include <string>

#include "model/config.h"

namespace vigil::model {
namespace {

TEST(HeapOptionalTest, CopiesTheValueAndComparesValues) {
  HeapOptional<std::string> a;
  EXPECT_FALSE(a);
  EXPECT_EQ(a, HeapOptional<std::string>(std::nullopt));
  a = std::string("up");
  HeapOptional<std::string> b = a;
  ASSERT_TRUE(b);
  EXPECT_NE(&*a, &*b);  // a copy of its own
  EXPECT_EQ(a, b);
  *b = "down";
  EXPECT_EQ(*a, "up");
  EXPECT_NE(a, b);
  EXPECT_NE(a, HeapOptional<std::string>());
  b = std::optional<std::string>();
  EXPECT_FALSE(b);
  b = a;
  EXPECT_EQ(b->size(), 2u);
  b.reset();
  EXPECT_FALSE(b);
}

TEST(HeapOptionalTest, RealServersCompareTheirNotifyScriptsByValue) {
  Script up;
  up.command = "/bin/up";
  RealServer x, y;
  x.notify_up = up;
  EXPECT_NE(x, y);
  y.notify_up = up;
  EXPECT_EQ(x, y);
  RealServer z = x;
  z.notify_up->command = "/bin/other";
  EXPECT_NE(x, z);
  EXPECT_EQ(x.notify_up->command, "/bin/up");
}

}  // namespace
}  // namespace vigil::model
