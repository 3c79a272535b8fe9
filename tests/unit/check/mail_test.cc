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
