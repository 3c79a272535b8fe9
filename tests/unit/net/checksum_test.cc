#include "net/checksum.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace vigil::net {
namespace {

TEST(ChecksumTest, Rfc1071ExampleSum) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
  const std::vector<uint8_t> bytes = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InternetChecksum(bytes), 0x220d);
}

TEST(ChecksumTest, Ipv4HeaderChecksumMatchesKnownHeader) {
  std::vector<uint8_t> hdr = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                              0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(InternetChecksum(hdr), 0xb861);
  hdr[10] = 0xb8;
  hdr[11] = 0x61;
  EXPECT_EQ(InternetChecksum(hdr), 0);  // a correct checksum verifies to zero
}

TEST(ChecksumTest, OddLengthPadsWithZero) {
  EXPECT_EQ(InternetChecksum(std::vector<uint8_t>{0x12, 0x34, 0x56}),
            InternetChecksum(std::vector<uint8_t>{0x12, 0x34, 0x56, 0x00}));
  EXPECT_EQ(InternetChecksum(std::vector<uint8_t>{0x12, 0x34, 0x56}), 0x97cb);
}

TEST(ChecksumTest, EmptyBufferIsAllOnes) { EXPECT_EQ(InternetChecksum({}), 0xffff); }

TEST(ChecksumTest, PiecewiseOddSplitsEqualContiguous) {
  const std::vector<uint8_t> all = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xff, 0xfe};
  ChecksumAccumulator acc;
  acc.Add(std::span(all).subspan(0, 3));
  acc.Add(std::span(all).subspan(3, 1));
  acc.Add(std::span(all).subspan(4, 5));
  EXPECT_EQ(acc.Finish(), InternetChecksum(all));
}

TEST(ChecksumTest, CarriesFoldMoreThanOnce) {
  std::vector<uint8_t> ones(2 * 70000, 0xff);
  // 70000 words of 0xffff: one's-complement sum is 0xffff, checksum 0.
  EXPECT_EQ(InternetChecksum(ones), 0x0000);
}

TEST(ChecksumTest, Ipv4PseudoHeaderEqualsExplicitLayout) {
  const std::array<uint8_t, 4> src = {10, 0, 0, 1};
  const std::array<uint8_t, 4> dst = {224, 0, 0, 18};
  const std::vector<uint8_t> payload = {0x31, 0x01, 0x64, 0x01, 0x00, 0x64,
                                        0x00, 0x00, 10,   0,    0,    100};
  std::vector<uint8_t> explicit_buf = {10, 0, 0, 1, 224, 0, 0, 18, 0, 112, 0, 12};
  explicit_buf.insert(explicit_buf.end(), payload.begin(), payload.end());
  EXPECT_EQ(Ipv4PseudoHeaderChecksum(src, dst, 112, payload), InternetChecksum(explicit_buf));
  EXPECT_EQ(Ipv4PseudoHeaderChecksum(src, dst, 112, payload), 0x75a5);
}

TEST(ChecksumTest, Ipv6PseudoHeaderEqualsExplicitLayout) {
  std::array<uint8_t, 16> src{};
  std::array<uint8_t, 16> dst{};
  src[0] = 0xfe;
  src[1] = 0x80;
  src[15] = 0x01;
  dst[0] = 0xff;
  dst[1] = 0x02;
  dst[15] = 0x12;
  const std::vector<uint8_t> payload = {0x31, 0x01, 0x64, 0x01, 0x00, 0x64, 0x00};
  std::vector<uint8_t> explicit_buf(src.begin(), src.end());
  explicit_buf.insert(explicit_buf.end(), dst.begin(), dst.end());
  const std::vector<uint8_t> tail = {0, 0, 0, 7, 0, 0, 0, 112};
  explicit_buf.insert(explicit_buf.end(), tail.begin(), tail.end());
  explicit_buf.insert(explicit_buf.end(), payload.begin(), payload.end());
  EXPECT_EQ(Ipv6PseudoHeaderChecksum(src, dst, 112, payload), InternetChecksum(explicit_buf));
}

}  // namespace
}  // namespace vigil::net
