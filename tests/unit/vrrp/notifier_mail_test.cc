#include <gtest/gtest.h>

#include "model/config.h"
#include "vrrp/instance_spec.h"
#include "vrrp/notifier.h"

namespace vigil::vrrp {
namespace {

using alert::MailState;

TEST(NotifierMailTest, MailForFollowsKeepalivedsLastMailedState) {
  EXPECT_EQ(MailFor(NotifyEvent::kBackup, std::nullopt, false), MailState::kBackup);
  EXPECT_EQ(MailFor(NotifyEvent::kMaster, NotifyEvent::kBackup, false), MailState::kMaster);
  EXPECT_EQ(MailFor(NotifyEvent::kMaster, NotifyEvent::kMaster, false), std::nullopt);
  EXPECT_EQ(MailFor(NotifyEvent::kFault, NotifyEvent::kMaster, false), MailState::kFault);
  // no_email_faults: the fault is not mailed, and the state last mailed stays the one before.
  EXPECT_EQ(MailFor(NotifyEvent::kFault, NotifyEvent::kMaster, true), std::nullopt);
  EXPECT_EQ(MailFor(NotifyEvent::kStop, NotifyEvent::kMaster, false), std::nullopt);
  EXPECT_EQ(MailFor(NotifyEvent::kMasterRxLowerPriority, NotifyEvent::kMaster, false),
            std::nullopt);
  EXPECT_EQ(MailFor(NotifyEvent::kPriorityChanged, NotifyEvent::kMaster, false), std::nullopt);
}

model::Config MailConfig() {
  model::Config c;
  c.global.router_id = "LB_A";
  c.global.smtp_server = "10.0.0.25";
  c.global.smtp_port = 2525;
  c.global.notification_email = {"ops@example.com"};
  c.global.notification_email_from = "lb@example.com";
  c.global.smtp_helo_name = "lb-a";
  for (const char* name : {"VI_1", "VI_2", "VI_3"}) {
    model::VrrpInstance vi;
    vi.name = name;
    vi.interface = "eth0";
    vi.virtual_router_id = static_cast<uint8_t>(c.vrrp_instances.size() + 1);
    c.vrrp_instances.push_back(std::move(vi));
  }
  c.vrrp_instances[1].smtp_alert = true;
  c.vrrp_instances[2].smtp_alert = false;
  return c;
}

std::vector<bool> InstanceAlerts(const VrrpSpec& s) {
  std::vector<bool> out;
  for (const auto& in : s.instances) out.push_back(in.notify.smtp_alert);
  return out;
}

TEST(NotifierMailTest, SpecCarriesTheSettingsAndEachInstancesSmtpAlert) {
  model::Config c = MailConfig();
  VrrpSpec s = SpecFromModel(c);
  EXPECT_EQ(s.router_id, "LB_A");
  EXPECT_EQ(s.smtp.server, "10.0.0.25");
  EXPECT_EQ(s.smtp.port, 2525);
  EXPECT_EQ(s.smtp.from, "lb@example.com");
  EXPECT_EQ(s.smtp.helo_name, "lb-a");
  EXPECT_EQ(s.smtp.recipients, std::vector<std::string>{"ops@example.com"});
  EXPECT_FALSE(s.no_email_faults);
  // Unset everywhere: no mail; an instance's own smtp_alert wins.
  EXPECT_EQ(InstanceAlerts(s), (std::vector<bool>{false, true, false}));

  c.global.smtp_alert = true;
  EXPECT_EQ(InstanceAlerts(SpecFromModel(c)), (std::vector<bool>{true, true, false}));
  c.global.smtp_alert_vrrp = false;  // over smtp_alert for VRRP
  EXPECT_EQ(InstanceAlerts(SpecFromModel(c)), (std::vector<bool>{false, true, false}));

  c.global.other.push_back({"no_email_faults", {}, {}});
  EXPECT_TRUE(SpecFromModel(c).no_email_faults);
}

}  // namespace
}  // namespace vigil::vrrp
