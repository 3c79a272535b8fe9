#include "check/syn_prober.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio.hpp>
#include <cerrno>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vigil::check {
namespace {

using asio::ip::tcp;

// Raw sockets need CAP_NET_RAW; without it the prober declines every probe.
bool HaveRawSockets() {
  const int fd = ::socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

class SynProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveRawSockets()) GTEST_SKIP() << "no CAP_NET_RAW";
  }

  ConnectOptions Target(const std::string& address, uint16_t port,
                        Duration timeout = std::chrono::seconds(3)) {
    ConnectOptions c;
    c.address = address;
    c.port = port;
    c.connect_timeout = timeout;
    return c;
  }

  // Runs probes of `targets` at once; returns their results in order.
  std::vector<ProbeResult> Run(const std::vector<ConnectOptions>& targets) {
    return Run(prober_, targets);
  }

  std::vector<ProbeResult> Run(SynProber& prober, const std::vector<ConnectOptions>& targets) {
    std::vector<std::optional<ProbeResult>> out(targets.size());
    size_t left = targets.size();
    for (size_t i = 0; i < targets.size(); ++i) {
      EXPECT_TRUE(prober.Start(targets[i], [&, i](ProbeResult r) {
        out[i] = std::move(r);
        if (--left == 0) io_.stop();
      }));
    }
    io_.restart();
    io_.run_for(std::chrono::seconds(10));
    std::vector<ProbeResult> results;
    for (auto& r : out) results.push_back(r.value_or(ProbeResult{false, "never completed", {}}));
    return results;
  }

  ProbeResult RunOne(const ConnectOptions& target) { return Run({target})[0]; }

  asio::io_context io_;
  SynProber prober_{io_};
};

// The listener's accept queue stays empty: the handshake never completes.
void ExpectNothingAccepted(tcp::acceptor& acceptor) {
  acceptor.non_blocking(true);
  std::error_code ec;
  tcp::socket s = acceptor.accept(ec);
  EXPECT_EQ(ec, asio::error::would_block) << "a connection reached accept()";
}

TEST_F(SynProberTest, AListenerIsOpenAndSeesNoConnection) {
  tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  ProbeResult r = RunOne(Target("127.0.0.1", acceptor.local_endpoint().port()));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "");
  ExpectNothingAccepted(acceptor);
}

TEST_F(SynProberTest, AClosedPortIsRefused) {
  uint16_t port;
  {
    tcp::acceptor a(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  ProbeResult r = RunOne(Target("127.0.0.1", port));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "connection to 127.0.0.1:" + std::to_string(port) + " failed: Connection refused");
}

// A loopback listener whose accept queue is full: it drops every SYN without an answer
// until Drain() accepts the connection that fills it.
class FullListener {
 public:
  explicit FullListener(asio::io_context& io) : acceptor_(io), filler_(io) {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen(0);
    filler_.connect(acceptor_.local_endpoint());
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void Drain() { accepted_.emplace(acceptor_.accept()); }

 private:
  tcp::acceptor acceptor_;
  tcp::socket filler_;
  std::optional<tcp::socket> accepted_;
};

// Thousands of probes started in one turn of the loop (a late timer) leave a few hundred
// at a time, so that no queue on the way drops them, and every one is answered.
TEST_F(SynProberTest, ABurstLeavesInTurnsAndEveryProbeIsAnswered) {
  tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("0.0.0.0"), 0));
  acceptor.listen(4096);
  const uint16_t port = acceptor.local_endpoint().port();
  std::vector<ConnectOptions> targets;
  for (int i = 0; i < 2000; ++i)  // all of 127/8 reaches lo
    targets.push_back(Target("127.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1), port));
  std::vector<ProbeResult> results = Run(targets);
  size_t ok = 0;
  for (const ProbeResult& r : results) ok += r.ok;
  EXPECT_EQ(ok, targets.size()) << results[0].detail;
  ExpectNothingAccepted(acceptor);
}

// Probes of `count` addresses of 127.1/16 (all reach lo) to `port`, in the order started.
std::vector<ConnectOptions> LoopbackTargets(size_t count, uint16_t port) {
  std::vector<ConnectOptions> out;
  for (size_t i = 0; i < count; ++i) {
    ConnectOptions c;
    c.address = "127.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    c.port = port;
    c.connect_timeout = std::chrono::seconds(3);
    out.push_back(c);
  }
  return out;
}

// The prober's SendSyns for a test: passes SYNs on to sendmmsg(2) but, on the calls it is
// told, sends only the first few or fails with an errno without sending any; notes every
// call and the destination of every SYN the kernel took, in order.
class ScriptedSend {
 public:
  struct Call {
    std::string first;  // the destination of the call's first SYN
    unsigned count;     // SYNs offered
    int result;         // SYNs taken, or -1
    bool operator==(const Call&) const = default;
  };

  // Call number `call` (from 0) takes only `count` SYNs.
  void TakeOnly(int call, unsigned count) { take_only_[call] = count; }
  // Call number `call` takes none and fails with `err`.
  void Fail(int call, int err) { fail_[call] = err; }

  SendSyns Fn() {
    return [this](int fd, mmsghdr* msgs, unsigned count) {
      const int call = static_cast<int>(calls.size());
      calls.push_back(Call{Destination(msgs[0]), count, -1});
      if (auto it = fail_.find(call); it != fail_.end()) {
        errno = it->second;
        return -1;
      }
      if (auto it = take_only_.find(call); it != take_only_.end()) count = it->second;
      const int got = ::sendmmsg(fd, msgs, count, 0);
      const int saved = errno;
      calls.back().result = got;
      for (int i = 0; i < got; ++i) sent.push_back(Destination(msgs[i]));
      errno = saved;
      return got;
    };
  }

  // The destinations in the order their first SYN left.
  std::vector<std::string> FirstSent() const {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const std::string& d : sent)
      if (seen.insert(d).second) out.push_back(d);
    return out;
  }

  std::vector<Call> calls;
  std::vector<std::string> sent;

 private:
  static std::string Destination(const mmsghdr& m) {
    const auto* in = static_cast<const sockaddr_in*>(m.msg_hdr.msg_name);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    return text;
  }

  std::map<int, unsigned> take_only_;
  std::map<int, int> fail_;
};

class SynProberSendTest : public SynProberTest {
 protected:
  // 600 probes started in one turn (three bursts of at most 256): the first call takes 100
  // SYNs, the second finds the socket's buffer or the device's queue full (`err`), and so
  // does the first call after the wait. Every SYN goes in the order its probe started, the
  // deferred ones first after the wait, and no probe fails for it.
  void ExpectDeferredInOrder(int err) {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("0.0.0.0"), 0));
    acceptor.listen(4096);
    const auto targets = LoopbackTargets(600, acceptor.local_endpoint().port());
    ScriptedSend send;
    send.TakeOnly(0, 100);
    send.Fail(1, err);
    send.Fail(2, err);
    SynProber prober(io_, send.Fn());
    const std::vector<ProbeResult> results = Run(prober, targets);
    size_t ok = 0;
    for (const ProbeResult& r : results) ok += r.ok;
    EXPECT_EQ(ok, targets.size());
    std::vector<std::string> started;
    for (const ConnectOptions& t : targets) started.push_back(t.address);
    EXPECT_EQ(send.FirstSent(), started);
    using Call = ScriptedSend::Call;
    ASSERT_GE(send.calls.size(), 5u);
    EXPECT_EQ(std::vector<Call>(send.calls.begin(), send.calls.begin() + 5),
              (std::vector<Call>{{"127.1.0.1", 256, 100},     // 100 of the first 256 go
                                 {"127.1.0.101", 156, -1},    // the rest find no room
                                 {"127.1.0.101", 256, -1},    // nor after the wait
                                 {"127.1.0.101", 256, 256},   // SYNs 101-356 go
                                 {"127.1.1.107", 244, 244}}));  // after the burst gap
    ExpectNothingAccepted(acceptor);
  }
};

TEST_F(SynProberSendTest, AFullSendBufferDelaysTheSynsInOrder) { ExpectDeferredInOrder(EAGAIN); }

TEST_F(SynProberSendTest, ADroppedSynPausesTheSynsInOrder) { ExpectDeferredInOrder(ENOBUFS); }

// Any other error fails the one probe whose SYN the kernel refused; the SYNs behind it go on.
TEST_F(SynProberSendTest, ARefusedSynFailsOnlyItsProbe) {
  tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("0.0.0.0"), 0));
  acceptor.listen(64);
  const uint16_t port = acceptor.local_endpoint().port();
  const std::vector<ConnectOptions> targets = LoopbackTargets(10, port);
  ScriptedSend send;
  send.TakeOnly(0, 3);
  send.Fail(1, EPERM);
  SynProber prober(io_, send.Fn());
  const std::vector<ProbeResult> results = Run(prober, targets);
  for (size_t i = 0; i < results.size(); ++i) {
    if (i == 3) continue;
    EXPECT_TRUE(results[i].ok) << targets[i].address << ": " << results[i].detail;
  }
  EXPECT_FALSE(results[3].ok);
  EXPECT_EQ(results[3].detail,
            "connection to 127.1.0.4:" + std::to_string(port) + " failed: Operation not permitted");
  using Call = ScriptedSend::Call;
  ASSERT_GE(send.calls.size(), 3u);
  EXPECT_EQ(send.calls[0], (Call{"127.1.0.1", 10, 3}));
  EXPECT_EQ(send.calls[1], (Call{"127.1.0.4", 7, -1}));
  EXPECT_EQ(send.calls[2], (Call{"127.1.0.5", 6, 6}));
  ExpectNothingAccepted(acceptor);
}

// A SYN the device's queue keeps refusing never leaves: its probe waits beyond
// connect_timeout (the timeout counts from the leaving), but not for ever — after 10 of them
// it fails, and says why.
TEST_F(SynProberSendTest, ASynThatNeverLeavesFailsAfterTenTimeouts) {
  tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("0.0.0.0"), 0));
  acceptor.listen(4);
  const uint16_t port = acceptor.local_endpoint().port();
  ScriptedSend send;
  for (int call = 0; call < 100000; ++call) send.Fail(call, ENOBUFS);
  SynProber prober(io_, send.Fn());
  ConnectOptions target = Target("127.1.0.1", port, std::chrono::milliseconds(50));
  const auto started = std::chrono::steady_clock::now();
  const ProbeResult r = Run(prober, {target})[0];
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "connection to 127.1.0.1:" + std::to_string(port) +
                          " timed out before its SYN could leave");
  // (A lower bound only, which load cannot break: not before its 10 timeouts.)
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
  EXPECT_TRUE(send.sent.empty());
}

TEST_F(SynProberTest, ASilentServerTimesOut) {
  FullListener listener(io_);
  const uint16_t port = listener.port();
  ProbeResult r = RunOne(Target("127.0.0.1", port, std::chrono::milliseconds(300)));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "connection to 127.0.0.1:" + std::to_string(port) + " timed out");
}

TEST(SynRetransmitTest, WaitsOneSecondThenTwiceThePreviousWait) {
  using std::chrono::seconds;
  EXPECT_EQ(NextSynWait(Duration::zero()), Duration(seconds(1)));
  EXPECT_EQ(NextSynWait(seconds(1)), Duration(seconds(2)));
  EXPECT_EQ(NextSynWait(seconds(8)), Duration(seconds(16)));
}

TEST(SynRetransmitTest, FollowsTheKernelsDoublingScheduleWithinTheTimeout) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  using Offsets = std::vector<Duration>;
  EXPECT_EQ(SynRetransmitOffsets(milliseconds(500)), Offsets{});
  EXPECT_EQ(SynRetransmitOffsets(seconds(1)), Offsets{});
  EXPECT_EQ(SynRetransmitOffsets(milliseconds(1001)), Offsets{seconds(1)});
  EXPECT_EQ(SynRetransmitOffsets(seconds(3)), Offsets{seconds(1)});
  EXPECT_EQ(SynRetransmitOffsets(seconds(5)), (Offsets{seconds(1), seconds(3)}));
  EXPECT_EQ(SynRetransmitOffsets(seconds(20)),
            (Offsets{seconds(1), seconds(3), seconds(7), seconds(15)}));
}

TEST_F(SynProberTest, ALostSynIsSentAgain) {
  // The first SYN meets a full accept queue and is dropped; the queue is emptied at 300 ms,
  // so the SYN sent again at 1 s is answered.
  FullListener listener(io_);
  asio::steady_timer drain(io_, std::chrono::milliseconds(300));
  drain.async_wait([&](std::error_code) { listener.Drain(); });
  ProbeResult r = RunOne(Target("127.0.0.1", listener.port(), std::chrono::seconds(2)));
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST_F(SynProberTest, TheTimeoutCountsFromWhenTheSynLeaves) {
  // The loop is busy for 1.2 s before the SYN can leave (a late turn, a burst ahead of it);
  // it meets a full accept queue and is dropped; the queue is emptied at 2 s and the SYN
  // sent again 1 s after it left (2.2 s) is answered: within connect_timeout (1.5 s) of its
  // leaving, though not of the probe's start.
  FullListener listener(io_);
  asio::post(io_, [] { std::this_thread::sleep_for(std::chrono::milliseconds(1200)); });
  asio::steady_timer drain(io_, std::chrono::milliseconds(2000));
  drain.async_wait([&](std::error_code) { listener.Drain(); });
  ProbeResult r = RunOne(Target("127.0.0.1", listener.port(), std::chrono::milliseconds(1500)));
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST_F(SynProberTest, ProbesOfOneServerInFlightTogetherUseTheirOwnPorts) {
  tcp::acceptor open(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t closed;
  {
    tcp::acceptor a(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed = a.local_endpoint().port();
  }
  const ConnectOptions up = Target("127.0.0.1", open.local_endpoint().port());
  std::vector<ProbeResult> r = Run({up, up, up, Target("127.0.0.1", closed), up});
  ASSERT_EQ(r.size(), 5u);
  for (size_t i : {0, 1, 2, 4}) EXPECT_TRUE(r[i].ok) << i << ": " << r[i].detail;
  EXPECT_FALSE(r[3].ok);
  ExpectNothingAccepted(open);
}

TEST_F(SynProberTest, SendsFromTheBindtoAddress) {
  // The listener only answers 127.0.0.2 as the client... so let it accept from any source
  // and check the prober used 127.0.0.2 by the reply reaching it at all.
  tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  ConnectOptions c = Target("127.0.0.1", acceptor.local_endpoint().port());
  c.bind_address = "127.0.0.2";
  c.fwmark = 7;
  c.bind_if = "lo";
  ProbeResult r = RunOne(c);
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST_F(SynProberTest, WorksOverIpv6) {
  tcp::acceptor acceptor(io_);
  std::error_code ec;
  acceptor.open(tcp::v6(), ec);
  if (!ec) acceptor.bind(tcp::endpoint(asio::ip::make_address("::1"), 0), ec);
  if (ec) GTEST_SKIP() << "no IPv6 loopback: " << ec.message();
  acceptor.listen();
  ProbeResult r = RunOne(Target("::1", acceptor.local_endpoint().port()));
  EXPECT_TRUE(r.ok) << r.detail;
  ExpectNothingAccepted(acceptor);
  uint16_t closed;
  {
    tcp::acceptor a(io_, tcp::endpoint(asio::ip::make_address("::1"), 0));
    closed = a.local_endpoint().port();
  }
  r = RunOne(Target("::1", closed));
  EXPECT_EQ(r.detail, "connection to [::1]:" + std::to_string(closed) + " failed: Connection refused");
}

TEST_F(SynProberTest, AMemoCarriesTheRouteBetweenRuns) {
  tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const ConnectOptions target = Target("127.0.0.1", acceptor.local_endpoint().port());
  ProbeMemo memo;
  for (int run = 0; run < 2; ++run) {
    std::optional<ProbeResult> out;
    ASSERT_TRUE(prober_.Start(target, [&](ProbeResult r) { out = r; io_.stop(); }, &memo));
    io_.restart();
    io_.run_for(std::chrono::seconds(5));
    ASSERT_TRUE(out && out->ok) << run;
    EXPECT_NE(memo.endpoint, nullptr);
  }
  // A memo another prober filled is not trusted.
  asio::io_context other_io;
  SynProber other(other_io);
  std::optional<ProbeResult> out;
  ASSERT_TRUE(other.Start(target, [&](ProbeResult r) { out = r; other_io.stop(); }, &memo));
  other_io.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(out && out->ok);
}

TEST_F(SynProberTest, DeclinesWhatNeedsARealConnect) {
  bool called = false;
  ProbeCallback done = [&](ProbeResult) { called = true; };
  ConnectOptions fixed_port = Target("127.0.0.1", 80);
  fixed_port.bind_port = 40000;
  EXPECT_FALSE(prober_.Start(fixed_port, std::move(done)));
  ASSERT_TRUE(done);  // left to the caller, who falls back to connect()
  EXPECT_FALSE(prober_.Start(Target("fe80::1%lo", 80), std::move(done)));
  EXPECT_FALSE(prober_.Start(Target("not-an-ip", 80), std::move(done)));
  ConnectOptions bad_if = Target("127.0.0.1", 80);
  bad_if.bind_if = "no-such-if0";
  EXPECT_FALSE(prober_.Start(bad_if, std::move(done)));
  ASSERT_TRUE(done);
  io_.poll();
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace vigil::check
