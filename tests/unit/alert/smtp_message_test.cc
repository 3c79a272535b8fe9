#include "alert/smtp_message.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace vigil::alert {
namespace {

SmtpSettings Settings() {
  SmtpSettings s;
  s.server = "10.0.0.25";
  s.helo_name = "lb1.example.com";
  s.from = "keepalived@lb1.example.com";
  s.recipients = {"ops@example.com", "oncall@example.com"};
  return s;
}

std::string Joined(const std::vector<SmtpStep>& steps) {
  std::string all;
  for (const SmtpStep& s : steps) all += s.command;
  return all;
}

TEST(SmtpMessageTest, InstanceMailsAreKeepalivedsSubjectsAndBodies) {
  EXPECT_EQ(InstanceMail("LVS_A", "VI_1", MailState::kMaster),
            (Mail{"[LVS_A] VRRP Instance VI_1 - Entering MASTER state",
                  "=> VRRP Instance is now owning VRRP VIPs <="}));
  EXPECT_EQ(InstanceMail("LVS_A", "VI_1", MailState::kBackup),
            (Mail{"[LVS_A] VRRP Instance VI_1 - Entering BACKUP state",
                  "=> VRRP Instance is no longer owning VRRP VIPs <="}));
  EXPECT_EQ(InstanceMail("LVS_A", "VI_1", MailState::kFault),
            (Mail{"[LVS_A] VRRP Instance VI_1 - Entering FAULT state",
                  "=> VRRP Instance is no longer owning VRRP VIPs <="}));
  EXPECT_EQ(InstanceMail("LVS_A", "VI_1", MailState::kStop),
            (Mail{"[LVS_A] VRRP Instance VI_1 - Stopping", "=> VRRP Instance stopping <="}));
  EXPECT_EQ(InstanceMail("LVS_A", "VI_1", MailState::kDeleted),
            (Mail{"[LVS_A] VRRP Instance VI_1 - Deleted", "=> VRRP Deleted at reload <="}));
}

TEST(SmtpMessageTest, GroupMailsAreKeepalivedsAndNoneForADeletedGroup) {
  EXPECT_EQ(GroupMail("r", "G1", MailState::kMaster),
            (Mail{"[r] VRRP Group G1 - Entering MASTER state",
                  "=> All VRRP group instances are now in MASTER state <="}));
  EXPECT_EQ(GroupMail("r", "G1", MailState::kBackup),
            (Mail{"[r] VRRP Group G1 - Entering BACKUP state",
                  "=> All VRRP group instances are now in BACKUP state <="}));
  EXPECT_EQ(GroupMail("r", "G1", MailState::kFault),
            (Mail{"[r] VRRP Group G1 - Entering FAULT state",
                  "=> All VRRP group instances are now in FAULT state <="}));
  EXPECT_EQ(GroupMail("r", "G1", MailState::kStop),
            (Mail{"[r] VRRP Group G1 - Stopping",
                  "=> All VRRP group instances are now stopping <="}));
  EXPECT_EQ(GroupMail("r", "G1", MailState::kDeleted), std::nullopt);
}

TEST(SmtpMessageTest, CheckerMails) {
  EXPECT_EQ(RealServerMail("r", "[10.0.1.2]:tcp:80", "[10.0.0.10]:tcp:80", false,
                           "=> TCP CHECK failed on service <="),
            (Mail{"[r] Realserver [10.0.1.2]:tcp:80 of virtual server [10.0.0.10]:tcp:80 - DOWN",
                  "=> TCP CHECK failed on service <="}));
  EXPECT_EQ(RealServerRemovedMail("r", "RS", "VS", true),
            (Mail{"[r] Realserver RS of virtual server VS - DOWN", "=> Shutting down <="}));
  EXPECT_EQ(RealServerRemovedMail("r", "RS", "VS", false),
            (Mail{"[r] Realserver RS of virtual server VS - DOWN", "=> Removing <="}));
  EXPECT_EQ(VirtualServerMail("r", "VS", true, "=> Gained quorum 1+0=1 <= 1 for VS <="),
            (Mail{"[r] Virtualserver VS - UP", "=> Gained quorum 1+0=1 <= 1 for VS <="}));
}

TEST(SmtpMessageTest, DialogueBytesOfAVrrpTransition) {
  std::vector<SmtpStep> steps =
      SmtpDialogue(Settings(), InstanceMail("LVS_A", "VI_1", MailState::kMaster),
                   "Mon, 07 Dec 2026 02:10:00 +0000");
  ASSERT_EQ(steps.size(), 8u);
  std::vector<int> codes;
  for (const SmtpStep& s : steps) codes.push_back(s.expect);
  EXPECT_EQ(codes, (std::vector<int>{220, 250, 250, 250, 250, 354, 250, 221}));
  EXPECT_EQ(Joined(steps),
            "HELO lb1.example.com\r\n"
            "MAIL FROM:<keepalived@lb1.example.com>\r\n"
            "RCPT TO:<ops@example.com>\r\n"
            "RCPT TO:<oncall@example.com>\r\n"
            "DATA\r\n"
            "Date: Mon, 07 Dec 2026 02:10:00 +0000\r\n"
            "From: keepalived@lb1.example.com\r\n"
            "Subject: [LVS_A] VRRP Instance VI_1 - Entering MASTER state\r\n"
            "X-Mailer: Keepalived\r\n"
            "To: ops@example.com, oncall@example.com\r\n"
            "\r\n"
            "=> VRRP Instance is now owning VRRP VIPs <=\r\n"
            "\r\n.\r\n"
            "QUIT\r\n");
}

TEST(SmtpMessageTest, DialogueBytesOfACheckerChangeAndHeloDefault) {
  SmtpSettings s = Settings();
  s.helo_name.clear();
  s.recipients = {"ops@example.com"};
  std::vector<SmtpStep> steps = SmtpDialogue(
      s, RealServerMail("LVS_A", "[10.0.1.2]:tcp:80", "[10.0.0.10]:tcp:80", false,
                        "=> TCP CHECK failed on service <="),
      "D");
  EXPECT_EQ(Joined(steps),
            "HELO localhost\r\n"
            "MAIL FROM:<keepalived@lb1.example.com>\r\n"
            "RCPT TO:<ops@example.com>\r\n"
            "DATA\r\n"
            "Date: D\r\nFrom: keepalived@lb1.example.com\r\n"
            "Subject: [LVS_A] Realserver [10.0.1.2]:tcp:80 of virtual server [10.0.0.10]:tcp:80 - DOWN\r\n"
            "X-Mailer: Keepalived\r\nTo: ops@example.com\r\n\r\n"
            "=> TCP CHECK failed on service <=\r\n\r\n.\r\n"
            "QUIT\r\n");
}

TEST(SmtpMessageTest, MailDateIsRfc822InLocalTime) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(MailDate(1796609400), "Mon, 07 Dec 2026 02:10:00 +0000");
}

TEST(SmtpMessageTest, TakeReplyCodeReadsMultiLineAndPartialReplies) {
  std::string b = "250-lb.example\r\n250-PIPELINING\r\n250 HELP\r\n354 go";
  EXPECT_EQ(TakeReplyCode(b), 250);
  EXPECT_EQ(b, "354 go");
  EXPECT_EQ(TakeReplyCode(b), std::nullopt);
  b += "\r\n";
  EXPECT_EQ(TakeReplyCode(b), 354);
  EXPECT_EQ(b, "");
  b = "220-first\r\n220-";
  EXPECT_EQ(TakeReplyCode(b), std::nullopt);
  EXPECT_EQ(b, "220-");
  b = "xyz bad\r\n";
  EXPECT_EQ(TakeReplyCode(b), -1);
}

}  // namespace
}  // namespace vigil::alert
