#include "vrrp/start_gate.h"

#include <fstream>
#include <string>

#include "base/log.h"
#include "vrrp/link_debounce.h"
#include "vrrp/startup_delay.h"

namespace vigil::vrrp {

void StartGate::Begin(const VrrpSpec& spec) {
  std::optional<std::chrono::microseconds> uptime;
  if (spec.delay_after_boot.count() > 0) {
    std::ifstream in("/proc/uptime");
    std::string text;
    if (std::getline(in, text)) uptime = ParseUptime(text);
    if (!uptime) log::Warning("cannot read /proc/uptime: vrrp_delay_after_boot ignored");
  }
  const auto delay = StartupDelay(spec.startup_delay, spec.delay_after_boot, uptime);
  if (delay.count() <= 0) return;
  until_ = std::chrono::steady_clock::now() + delay;
  log::Info("delaying VRRP start for " + FormatDelay(delay) + " s");
  timer_.expires_at(*until_);
  timer_.async_wait([](std::error_code ec) {
    if (!ec) log::Info("delayed VRRP start completed");
  });
}

}  // namespace vigil::vrrp
