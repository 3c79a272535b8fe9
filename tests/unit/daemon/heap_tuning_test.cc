#include "daemon/heap_tuning.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

// A buffer of a reload's size (the encoded model, the file's text: megabytes) comes from
// the heap and stays there once freed: not a mapping of its own, and no trim of the heap.
TEST(HeapTuningTest, AReloadsBuffersStayInTheHeapOnceFreed) {
  KeepHeapForReloads();
  constexpr size_t kSize = 24u << 20;  // above glibc's default and adaptive thresholds
  const struct mallinfo2 before = mallinfo2();
  void* p = std::malloc(kSize);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, kSize);
  const struct mallinfo2 during = mallinfo2();
  EXPECT_EQ(during.hblkhd, before.hblkhd);  // no mapping of its own: heap bytes in use
  EXPECT_GE(during.uordblks, before.uordblks + kSize);
  std::free(p);
  const struct mallinfo2 after = mallinfo2();
  EXPECT_EQ(after.arena, during.arena);  // kept: the next reload touches no new pages
  EXPECT_GE(after.fordblks, kSize);
}

}  // namespace
}  // namespace vigil::daemon
