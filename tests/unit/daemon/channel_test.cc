#include "daemon/channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <asio.hpp>
#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

// Two channels over a socket pair on one loop.
struct Pair {
  Pair() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
    a = Channel::Open(io, sv[0], [](Frame) {}, [] {});
    b = Channel::Open(io, sv[1], [this](Frame f) { got.push_back(std::move(f)); },
                      [this] { ++closed; });
  }
  asio::io_context io;
  std::vector<Frame> got;
  int closed = 0;
  std::shared_ptr<Channel> a, b;
};

TEST(ChannelTest, ABurstOfFramesArrivesWholeAndInOrder) {
  Pair p;
  // 20,000 events and a 3 MB status among them: more than a socket's buffer holds.
  for (int i = 0; i < 20000; ++i) {
    p.a->Send(FrameType::kEvent, "{\"type\":\"e\",\"n\":" + std::to_string(i) + "}");
    if (i == 10000) p.a->Send(FrameType::kStatus, std::string(3 << 20, 's'));
  }
  for (int i = 0; i < 500 && p.got.size() < 20001; ++i)
    p.io.run_for(std::chrono::milliseconds(10));
  ASSERT_EQ(p.got.size(), 20001u);
  size_t n = 0;
  for (size_t i = 0; i < p.got.size(); ++i) {
    if (i == 10001) {
      EXPECT_EQ(p.got[i].type, FrameType::kStatus);
      EXPECT_EQ(p.got[i].payload.size(), size_t{3} << 20);
      continue;
    }
    EXPECT_EQ(p.got[i].type, FrameType::kEvent);
    EXPECT_EQ(p.got[i].payload, "{\"type\":\"e\",\"n\":" + std::to_string(n++) + "}");
  }
  EXPECT_EQ(p.closed, 0);
}

TEST(ChannelTest, DrainDeliversWhatAnExitedPeerWroteLast) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
  asio::io_context io;
  std::vector<std::string> got;
  int failed = 0;
  auto c = Channel::Open(io, sv[1], [&](Frame f) { got.push_back(f.payload); },
                         [&] { ++failed; });
  // The engine's last words, then its exit; the loop has not read them yet.
  std::string wire = EncodeFrame(FrameType::kEvent, R"({"type":"a"})") +
                     EncodeFrame(FrameType::kEvent, R"({"type":"b"})");
  ASSERT_EQ(write(sv[0], wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  close(sv[0]);
  c->Drain();
  EXPECT_EQ(got, (std::vector<std::string>{R"({"type":"a"})", R"({"type":"b"})"}));
  c->Close();
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(got.size(), 2u) << "nothing twice";
  EXPECT_EQ(failed, 0) << "a close asked for is no failure";
}

}  // namespace
}  // namespace vigil::daemon
