#include "check/mail.h"

#include <gtest/gtest.h>

namespace vigil::check {
namespace {

TEST(CheckMailTest, BodiesAreKeepalivedsPerCheckerKind) {
  EXPECT_EQ(CheckerMailBody(TcpCheck{}, false), "=> TCP CHECK failed on service <=");
  EXPECT_EQ(CheckerMailBody(TcpCheck{}, true), "=> TCP CHECK succeed on service <=");
  EXPECT_EQ(CheckerMailBody(HttpCheck{}, true), "=> CHECK succeed on service <=");
  EXPECT_EQ(CheckerMailBody(HttpCheck{}, false),
            "=> CHECK failed on service : HTTP request failed <=");
  EXPECT_EQ(CheckerMailBody(SmtpCheck{}, false), "=> CHECK failed on service <=");
  EXPECT_EQ(CheckerMailBody(DnsCheck{}, false), "=> DNS_CHECK: failed on service <=");
  EXPECT_EQ(CheckerMailBody(UdpCheck{}, true), "=> UDP CHECK succeed on service <=");
  EXPECT_EQ(CheckerMailBody(PingCheck{}, false), "=> ICMP CHECK failed on service <=");
  EXPECT_EQ(CheckerMailBody(MiscCheck{}, true), "=> MISC CHECK succeeded on service <=");
  EXPECT_EQ(CheckerMailBody(BfdCheck{"b1"}, false), "=> BFD CHECK b1 failed on service <=");
  EXPECT_EQ(CheckerMailBody(FileCheck{}, false), std::nullopt);
}

TEST(CheckMailTest, SmtpCheckFailuresAreWordedByTheStepThatFailed) {
  const MailTarget t{"10.0.1.2", 2525, "[10.0.1.2]:25"};
  auto body = [&](FailureKind f) { return CheckerMailBody(SmtpCheck{}, false, f, t); };
  EXPECT_EQ(body(FailureKind::kConnectError),
            "=> CHECK failed on service : Error connecting to server [10.0.1.2]:2525 <=");
  EXPECT_EQ(body(FailureKind::kConnectTimeout),
            "=> CHECK failed on service : Connection timeout to server [10.0.1.2]:2525 <=");
  EXPECT_EQ(body(FailureKind::kConnectFailed),
            "=> CHECK failed on service : Could not connect to server [10.0.1.2]:2525 <=");
  EXPECT_EQ(body(FailureKind::kUnreachable),
            "=> CHECK failed on service : Network unreachable for server 10.0.1.2 - real server "
            "[10.0.1.2]:25 <=");
  EXPECT_EQ(body(FailureKind::kReadTimeout),
            "=> CHECK failed on service : Read timeout from server [10.0.1.2]:2525 <=");
  EXPECT_EQ(body(FailureKind::kReadFailure),
            "=> CHECK failed on service : Read failure from server [10.0.1.2]:2525 <=");
  EXPECT_EQ(body(FailureKind::kWriteTimeout),
            "=> CHECK failed on service : Write timeout to server [10.0.1.2]:2525 <=");
  EXPECT_EQ(body(FailureKind::kWriteFailure),
            "=> CHECK failed on service : Write failure to server [10.0.1.2]:2525 <=");
  EXPECT_EQ(body(FailureKind::kBadGreeting),
            "=> CHECK failed on service : Bad greeting banner from server [10.0.1.2]:2525 <=");
  EXPECT_EQ(body(FailureKind::kBadHelo),
            "=> CHECK failed on service : Bad HELO response from server [10.0.1.2]:2525 <=");
  EXPECT_EQ(body(FailureKind::kUnspecified), "=> CHECK failed on service <=");
  EXPECT_EQ(CheckerMailBody(SmtpCheck{}, false, FailureKind::kReadFailure,
                            {"fd00::2", 25, "[fd00::2]:25"}),
            "=> CHECK failed on service : Read failure from server [fd00::2]:25 <=");
  EXPECT_EQ(CheckerMailBody(SmtpCheck{}, true, FailureKind::kUnspecified, t),
            "=> CHECK succeed on service <=");
  // The other kinds' bodies do not name the failure.
  EXPECT_EQ(CheckerMailBody(TcpCheck{}, false, FailureKind::kConnectTimeout, t),
            "=> TCP CHECK failed on service <=");
}

TEST(CheckMailTest, MiscCheckStoppedAtItsTimeoutTimedOut) {
  EXPECT_EQ(CheckerMailBody(MiscCheck{}, false, FailureKind::kTimedOut),
            "=> MISC CHECK timed out on service <=");
  EXPECT_EQ(CheckerMailBody(MiscCheck{}, false), "=> MISC CHECK failed on service <=");
}

TEST(CheckMailTest, OnlyMiscCheckMailsItsFirstResult) {
  EXPECT_TRUE(MailsFirstMiscResult(MiscCheck{}, true));
  EXPECT_FALSE(MailsFirstMiscResult(MiscCheck{}, false));
  EXPECT_FALSE(MailsFirstMiscResult(TcpCheck{}, true));
}

TEST(CheckMailTest, NoCheckerEmailsMailsOnlyRealServerChanges) {
  EXPECT_TRUE(MailsCheckerChange(true, false, false));
  EXPECT_TRUE(MailsCheckerChange(true, true, true));
  EXPECT_FALSE(MailsCheckerChange(true, false, true));
  EXPECT_FALSE(MailsCheckerChange(false, true, false));
}

TEST(CheckMailTest, QuorumBodies) {
  EXPECT_EQ(QuorumMailBody(true, false, 2, 1, 3, 4), "=> Gained quorum 2+1=3 <= 4 <=");
  EXPECT_EQ(QuorumMailBody(true, true, 1, 0, 1, 2), "=> Starting with quorum up 1+0=1 <= 2 <=");
  EXPECT_EQ(QuorumMailBody(false, false, 2, 1, 1, 0), "=> Lost quorum 2+1=1 <= 0 <=");
  EXPECT_EQ(QuorumMailBody(false, true, 2, 0, 2, 1), "=> Starting with quorum down 2+0=2 <= 1 <=");
}

}  // namespace
}  // namespace vigil::check
