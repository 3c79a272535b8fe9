#include "alert/settings.h"

#include <gtest/gtest.h>

namespace vigil::alert {
namespace {

TEST(AlertSettingsTest, KeepalivedsDefaultsFromTheHostAndUser) {
  model::Global g;
  g.smtp_server = "192.0.2.25";
  g.notification_email = {"a@x", "b@x"};
  SmtpSettings s = SmtpSettingsOf(g, "lb1.example.com", "root");
  EXPECT_EQ(s.server, "192.0.2.25");
  EXPECT_EQ(s.port, 25);
  EXPECT_EQ(s.from, "root@lb1.example.com");
  EXPECT_EQ(s.helo_name, "lb1.example.com");
  EXPECT_EQ(s.recipients, (std::vector<std::string>{"a@x", "b@x"}));
  EXPECT_EQ(s.timeout, std::chrono::seconds(30));
  EXPECT_TRUE(s.enabled());
  EXPECT_EQ(RouterIdOf(g, "lb1.example.com"), "lb1.example.com");
  g.router_id = "LB_A";
  EXPECT_EQ(RouterIdOf(g, "lb1.example.com"), "LB_A");

  g.notification_email.clear();
  EXPECT_FALSE(SmtpSettingsOf(g, "h", "u").enabled());
}

TEST(AlertSettingsTest, AnUnknownHostSetsNoDefaultsAndTheNameIsAskedOnlyWhenNeeded) {
  model::Global g;
  g.smtp_server = "192.0.2.25";
  g.notification_email = {"a@x"};
  SmtpSettings s = SmtpSettingsOf(g, kUnknownHost, "root");
  EXPECT_EQ(s.helo_name, "");  // HELO localhost
  EXPECT_EQ(s.from, "");
  EXPECT_EQ(RouterIdOf(g, kUnknownHost), "[unknown]");

  g.router_id = "r";
  g.smtp_helo_name = "h";
  g.notification_email_from = "f@x";
  EXPECT_EQ(LocalNameFor(g), "");
  model::Global silent;  // mails nothing
  EXPECT_EQ(LocalNameFor(silent), "");
}

TEST(AlertSettingsTest, VrrpAlertsOwnThenSmtpAlertVrrpThenSmtpAlert) {
  model::Global g;
  EXPECT_FALSE(VrrpAlerts(g, std::nullopt));
  EXPECT_TRUE(VrrpAlerts(g, true));
  g.smtp_alert = true;
  EXPECT_TRUE(VrrpAlerts(g, std::nullopt));
  EXPECT_FALSE(VrrpAlerts(g, false));
  g.smtp_alert_vrrp = false;
  EXPECT_FALSE(VrrpAlerts(g, std::nullopt));
}

TEST(AlertSettingsTest, GlobalFlag) {
  model::Global g;
  EXPECT_FALSE(GlobalFlag(g, "no_email_faults"));
  g.other.push_back({"no_email_faults", {}, {}});
  EXPECT_TRUE(GlobalFlag(g, "no_email_faults"));
}

}  // namespace
}  // namespace vigil::alert
