#include "base/inotify.h"

#include <sys/inotify.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil {
namespace {

// Appends one event as the kernel lays it out: the header, then the name NUL-padded to `len`.
void Put(std::vector<uint8_t>& out, int wd, uint32_t mask, const std::string& name,
         uint32_t len) {
  inotify_event e{};
  e.wd = wd;
  e.mask = mask;
  e.len = len;
  const auto* p = reinterpret_cast<const uint8_t*>(&e);
  out.insert(out.end(), p, p + sizeof(e));
  std::vector<uint8_t> padded(len, 0);
  std::memcpy(padded.data(), name.data(), std::min<size_t>(name.size(), len));
  out.insert(out.end(), padded.begin(), padded.end());
}

TEST(InotifyTest, ParsesEventsWithPaddedNames) {
  std::vector<uint8_t> bytes;
  Put(bytes, 1, IN_CLOSE_WRITE, "weight", 16);
  Put(bytes, 1, IN_MOVED_TO, "a-longer-name.tmp", 32);
  Put(bytes, 2, IN_IGNORED, "", 0);
  std::vector<InotifyEvent> want = {
      {1, IN_CLOSE_WRITE, "weight"}, {1, IN_MOVED_TO, "a-longer-name.tmp"}, {2, IN_IGNORED, ""}};
  EXPECT_EQ(ParseInotifyEvents(bytes), want);
}

TEST(InotifyTest, DropsATruncatedLastEvent) {
  std::vector<uint8_t> bytes;
  Put(bytes, 3, IN_DELETE, "x", 16);
  Put(bytes, 3, IN_DELETE, "y", 16);
  bytes.resize(bytes.size() - 4);
  std::vector<InotifyEvent> want = {{3, IN_DELETE, "x"}};
  EXPECT_EQ(ParseInotifyEvents(bytes), want);
  bytes.resize(sizeof(inotify_event) - 1);
  EXPECT_TRUE(ParseInotifyEvents(bytes).empty());
}

TEST(InotifyTest, NamesMasks) {
  EXPECT_EQ(InotifyMaskName(IN_CLOSE_WRITE), "IN_CLOSE_WRITE");
  EXPECT_EQ(InotifyMaskName(IN_MOVED_FROM | IN_ISDIR), "IN_MOVED_FROM|IN_ISDIR");
  EXPECT_EQ(InotifyMaskName(0), "");
}

}  // namespace
}  // namespace vigil
