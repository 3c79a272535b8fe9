#include "base/error.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(ErrorTest, FromErrnoMapsCodes) {
  EXPECT_EQ(Error::FromErrno(ENOENT, "open x").code(), ErrorCode::kNotFound);
  EXPECT_EQ(Error::FromErrno(EEXIST, "add").code(), ErrorCode::kExists);
  EXPECT_EQ(Error::FromErrno(EPERM, "bind").code(), ErrorCode::kPermission);
  EXPECT_EQ(Error::FromErrno(EIO, "read").code(), ErrorCode::kIo);
}

TEST(ErrorTest, ToStringAppendsStrerror) {
  EXPECT_EQ(Error::FromErrno(ENOENT, "open x").ToString(), "open x: No such file or directory");
  EXPECT_EQ(Error(ErrorCode::kParse, "bad").ToString(), "bad");
}

TEST(ErrorTest, ResultCarriesValueOrError) {
  Result<int> ok = 3;
  Result<int> bad = Fail(ErrorCode::kTimeout, "slow");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 3);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kTimeout);
}

}  // namespace
}  // namespace vigil
