#include "daemon/frames.h"

#include <gtest/gtest.h>

#include "model/codec.h"

namespace vigil::daemon {
namespace {

TEST(FramesTest, EncodesLengthTypePayload) {
  EXPECT_EQ(EncodeFrame(FrameType::kStatus, "{}"), std::string("\0\0\0\x02S{}", 7));
  EXPECT_EQ(EncodeFrame(FrameType::kReportRequest, ""), std::string("\0\0\0\0Q", 5));
  EXPECT_EQ(EncodeFrame(FrameType::kReload, "VGM"), std::string("\0\0\0\x03HVGM", 8));
  EXPECT_EQ(EncodeFrame(FrameType::kEvent, "{}"), std::string("\0\0\0\x02"
                                                              "E{}",
                                                              7));
}

TEST(FramesTest, EventFramesKeepTheirOrder) {
  FrameReader r;
  r.Append(EncodeFrame(FrameType::kEvent, R"({"type":"a"})") +
           EncodeFrame(FrameType::kStatus, "{}") +
           EncodeFrame(FrameType::kEvent, R"({"type":"b"})"));
  std::vector<std::string> events;
  while (auto f = r.Next())
    if (f->type == FrameType::kEvent) events.push_back(f->payload);
  EXPECT_FALSE(r.bad());
  EXPECT_EQ(events, (std::vector<std::string>{R"({"type":"a"})", R"({"type":"b"})"}));
}

TEST(FramesTest, ReassemblesFramesSplitAnywhere) {
  std::string wire = EncodeFrame(FrameType::kReportRequest, "") +
                     EncodeFrame(FrameType::kReload, "") +
                     EncodeFrame(FrameType::kReloadResult, "1ok") +
                     EncodeFrame(FrameType::kStatus, std::string(1000, 'x'));
  FrameReader r;
  std::vector<Frame> got;
  for (char c : wire) {  // one byte at a time: the worst split
    r.Append(std::string_view(&c, 1));
    while (auto f = r.Next()) got.push_back(*f);
  }
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].type, FrameType::kReportRequest);
  EXPECT_EQ(got[1].type, FrameType::kReload);
  EXPECT_EQ(got[2].payload, "1ok");
  EXPECT_EQ(got[3].payload.size(), 1000u);
  EXPECT_FALSE(r.bad());
}

TEST(FramesTest, CarriesABfdSessionsNews) {
  FrameReader r;
  r.Append(EncodeFrame(FrameType::kBfdState, "1to_router"));
  auto f = r.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, FrameType::kBfdState);
  EXPECT_EQ(f->payload, "1to_router");
  EXPECT_FALSE(r.bad());
}

TEST(FramesTest, CarriesVrrpAndMaintenanceNews) {
  FrameReader r;
  r.Append(EncodeFrame(FrameType::kVrrpState, "1VI_1") + EncodeFrame(FrameType::kMaintenance, "0"));
  auto f = r.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, FrameType::kVrrpState);
  EXPECT_EQ(f->payload, "1VI_1");
  f = r.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, FrameType::kMaintenance);
  EXPECT_EQ(f->payload, "0");
  EXPECT_FALSE(r.bad());
}

TEST(FramesTest, CarriesLoadBalancerReadiness) {
  FrameReader r;
  r.Append(EncodeFrame(FrameType::kLbReady, "0") + EncodeFrame(FrameType::kLbReady, "1"));
  for (const char* payload : {"0", "1"}) {
    auto f = r.Next();
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->type, FrameType::kLbReady);
    EXPECT_EQ(f->payload, payload);
  }
  EXPECT_FALSE(r.bad());
}

TEST(FramesTest, CarriesAReloadsModelUpToTheLimit) {
  model::Config config;
  config.virtual_servers.resize(3);
  const std::string model = model::EncodeConfig(config);
  FrameReader r;
  r.Append(EncodeFrame(FrameType::kReload, model));
  auto f = r.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, FrameType::kReload);
  EXPECT_EQ(f->payload, model);
  auto decoded = model::DecodeConfig(f->payload);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->virtual_servers.size(), 3u);
  // A payload of kMaxFramePayload bytes is awaited; one byte more is refused.
  auto header = [](uint32_t n) {
    return std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 8), static_cast<char>(n), 'H'};
  };
  FrameReader at_limit;
  at_limit.Append(header(kMaxFramePayload));
  EXPECT_FALSE(at_limit.Next().has_value());
  EXPECT_FALSE(at_limit.bad());
  FrameReader beyond;
  beyond.Append(header(kMaxFramePayload + 1));
  EXPECT_FALSE(beyond.Next().has_value());
  EXPECT_TRUE(beyond.bad());
}

TEST(FramesTest, RejectsOversizedAndUnknownFrames) {
  FrameReader r;
  r.Append(std::string("\x7f\0\0\0S", 5));
  EXPECT_FALSE(r.Next().has_value());
  EXPECT_TRUE(r.bad());
  FrameReader r2;
  r2.Append(std::string("\0\0\0\0Z", 5));
  EXPECT_FALSE(r2.Next().has_value());
  EXPECT_TRUE(r2.bad());
}

}  // namespace
}  // namespace vigil::daemon
