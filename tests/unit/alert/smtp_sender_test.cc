#include "alert/smtp_sender.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace vigil::alert {
namespace {

using asio::awaitable;
using asio::use_awaitable;

// A scripted SMTP server on 127.0.0.1: records what each connection sent, answers each
// command line as a mail server does (or `rcpt_reply` to RCPT), or never answers (`mute`).
struct Sink {
  explicit Sink(asio::io_context& io) : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}) {}
  uint16_t port() const { return acceptor.local_endpoint().port(); }

  awaitable<void> Serve(int connections) {
    for (int c = 0; c < connections; ++c) {
      asio::ip::tcp::socket s = co_await acceptor.async_accept(use_awaitable);
      received.emplace_back();
      std::string& got = received.back();
      if (mute) {
        char chunk[64];
        std::error_code ec;
        co_await s.async_read_some(asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
        continue;
      }
      co_await asio::async_write(s, asio::buffer(std::string("220-sink\r\n220 ready\r\n")), use_awaitable);
      std::string pending;
      bool data = false;
      for (;;) {
        char chunk[512];
        std::error_code ec;
        size_t n = co_await s.async_read_some(asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
        if (ec) break;
        got.append(chunk, n);
        pending.append(chunk, n);
        std::string reply;
        if (data) {
          if (pending.find("\r\n.\r\n") == std::string::npos) continue;
          data = false;
          reply = "250 queued\r\n";
        } else {
          if (pending.find("\r\n") == std::string::npos) continue;
          if (pending.starts_with("RCPT")) reply = rcpt_reply;
          else if (pending.starts_with("DATA")) { reply = "354 go\r\n"; data = true; }
          else if (pending.starts_with("QUIT")) reply = "221 bye\r\n";
          else reply = "250 ok\r\n";
        }
        pending.clear();
        co_await asio::async_write(s, asio::buffer(reply), use_awaitable);
        if (reply.starts_with("221")) break;
      }
    }
  }

  asio::ip::tcp::acceptor acceptor;
  std::vector<std::string> received;
  std::string rcpt_reply = "250 ok\r\n";
  bool mute = false;
};

SmtpSettings Settings(uint16_t port) {
  SmtpSettings s;
  s.server = "127.0.0.1";
  s.port = port;
  s.helo_name = "lb1";
  s.from = "k@lb1";
  s.recipients = {"a@x", "b@x"};
  return s;
}

void RunUntilIdle(asio::io_context& io, const SmtpSender& sender) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (sender.pending() != 0 && std::chrono::steady_clock::now() < deadline)
    io.run_for(std::chrono::milliseconds(10));
}

// Strips the Date header's value, which is the time of sending.
std::string WithoutDate(std::string s) {
  size_t d = s.find("Date: ");
  if (d != std::string::npos) s.erase(d + 6, s.find("\r\n", d) - d - 6);
  return s;
}

TEST(SmtpSenderTest, DeliversQueuedMailsInOrderOneConnectionEach) {
  asio::io_context io;
  Sink sink(io);
  asio::co_spawn(io, sink.Serve(2), asio::detached);
  SmtpSender sender(io);
  sender.Configure(Settings(sink.port()));
  sender.Send(InstanceMail("r", "VI_1", MailState::kMaster));
  sender.Send(InstanceMail("r", "VI_1", MailState::kBackup));
  EXPECT_EQ(sender.pending(), 2u);
  RunUntilIdle(io, sender);
  EXPECT_EQ(sender.counters(), (SmtpSender::Counters{2, 0, 0}));
  ASSERT_EQ(sink.received.size(), 2u);
  EXPECT_EQ(WithoutDate(sink.received[0]),
            "HELO lb1\r\nMAIL FROM:<k@lb1>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"
            "Date: \r\nFrom: k@lb1\r\nSubject: [r] VRRP Instance VI_1 - Entering MASTER state\r\n"
            "X-Mailer: Keepalived\r\nTo: a@x, b@x\r\n\r\n"
            "=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\nQUIT\r\n");
  EXPECT_NE(sink.received[1].find("Subject: [r] VRRP Instance VI_1 - Entering BACKUP state\r\n"),
            std::string::npos);
}

TEST(SmtpSenderTest, ARefusedRecipientEndsWithQuitAndCountsAFailure) {
  asio::io_context io;
  Sink sink(io);
  sink.rcpt_reply = "550 no such user\r\n";
  asio::co_spawn(io, sink.Serve(1), asio::detached);
  SmtpSender sender(io);
  sender.Configure(Settings(sink.port()));
  sender.Send(InstanceMail("r", "VI_1", MailState::kMaster));
  RunUntilIdle(io, sender);
  EXPECT_EQ(sender.counters(), (SmtpSender::Counters{0, 1, 0}));
  ASSERT_EQ(sink.received.size(), 1u);
  EXPECT_EQ(sink.received[0], "HELO lb1\r\nMAIL FROM:<k@lb1>\r\nRCPT TO:<a@x>\r\nQUIT\r\n");
}

TEST(SmtpSenderTest, AnUnreachableServerFailsEachMailAndTheNextStillGoes) {
  asio::io_context io;
  uint16_t closed_port;
  {
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = a.local_endpoint().port();
  }
  SmtpSender sender(io);
  sender.Configure(Settings(closed_port));
  sender.Send(InstanceMail("r", "VI_1", MailState::kMaster));
  sender.Send(InstanceMail("r", "VI_1", MailState::kBackup));
  RunUntilIdle(io, sender);
  EXPECT_EQ(sender.counters(), (SmtpSender::Counters{0, 2, 0}));
}

TEST(SmtpSenderTest, AServerThatNeverAnswersIsAbandonedAtTheTimeout) {
  asio::io_context io;
  Sink sink(io);
  sink.mute = true;
  asio::co_spawn(io, sink.Serve(1), asio::detached);
  SmtpSender sender(io);
  SmtpSettings s = Settings(sink.port());
  s.timeout = std::chrono::milliseconds(200);
  sender.Configure(s);
  sender.Send(InstanceMail("r", "VI_1", MailState::kMaster));
  RunUntilIdle(io, sender);
  EXPECT_EQ(sender.counters(), (SmtpSender::Counters{0, 1, 0}));
  EXPECT_EQ(sender.pending(), 0u);
}

TEST(SmtpSenderTest, TheQueueIsBoundedAndMailOffSendsNothing) {
  asio::io_context io;
  SmtpSender off(io);
  off.Send(InstanceMail("r", "VI_1", MailState::kMaster));
  EXPECT_EQ(off.pending(), 0u);

  SmtpSender sender(io);
  sender.Configure(Settings(9));  // nothing runs the io_context: all wait
  for (size_t i = 0; i < SmtpSender::kMaxQueued + 5; ++i)
    sender.Send(InstanceMail("r", "VI_" + std::to_string(i), MailState::kMaster));
  EXPECT_EQ(sender.pending(), SmtpSender::kMaxQueued);
  EXPECT_EQ(sender.counters().dropped, 5u);
}

}  // namespace
}  // namespace vigil::alert
