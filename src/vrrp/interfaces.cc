#include "vrrp/interfaces.h"

#include <asio.hpp>

#include "base/log.h"

namespace vigil::vrrp {

using std::chrono::steady_clock;

struct Interfaces::Timer {
  explicit Timer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

Interfaces::Interfaces(asio::io_context& io, Settled on_settled)
    : on_settled_(std::move(on_settled)), timer_(std::make_unique<Timer>(io)) {}

Interfaces::~Interfaces() = default;

std::vector<net::InterfaceChange> Interfaces::Refresh(net::Rtnetlink& rtnl) {
  auto links = rtnl.ListLinks();
  if (!links) {
    log::Error("cannot list interfaces: " + links.error().ToString());
    return {};
  }
  auto changes = table_.Replace(*links);
  Debounce(changes);
  return changes;
}

std::vector<net::InterfaceChange> Interfaces::Apply(const net::LinkChanged& event) {
  std::vector<net::InterfaceChange> changes;
  if (auto c = table_.Apply(event, &changes)) changes.push_back(*c);
  Debounce(changes);
  return changes;
}

void Interfaces::Put(const net::LinkInfo& link) {
  const net::LinkInfo* before = table_.Find(link.name);
  net::InterfaceChange c{link.name, before ? before->ifindex : 0, link.ifindex,
                         table_.Usable(link.name), false};
  table_.Put(link);
  c.usable = table_.Usable(link.name);
  Debounce({c});
}

void Interfaces::Forget(const std::string& name) { debounce_.Remove(name); }

void Interfaces::Stop() {
  stopped_ = true;
  timer_->timer.cancel();
}

void Interfaces::SetDelays(const VrrpSpec& spec) {
  debounce_.SetDelays(spec.up_down_delays);
  for (const auto& s : spec.instances) {
    if (s.interface.empty()) continue;
    const UpDownDelays before = debounce_.DelaysOf(s.interface);
    if (!debounce_.Cap(s.interface, s.params.down_timer_adverts, s.params.advert_interval))
      continue;
    const UpDownDelays after = debounce_.DelaysOf(s.interface);
    log::Warning(s.name + ": interface_up_down_delays of " + s.interface + " (down " +
                 FormatDelay(before.down) + " s, up " + FormatDelay(before.up) + " s) " +
                 (s.params.down_timer_adverts <= 1
                      ? "cannot be used with down_timer_adverts 1: no delay"
                      : "must stay below " + std::to_string(s.params.down_timer_adverts - 1) +
                            " advert intervals: down " + FormatDelay(after.down) + " s, up " +
                            FormatDelay(after.up) + " s"));
  }
}

void Interfaces::CapForMasterInterval(const std::string& who, const std::string& interface,
                                      uint32_t down_timer_adverts,
                                      std::chrono::microseconds interval) {
  if (!debounce_.Cap(interface, down_timer_adverts, interval)) return;
  const UpDownDelays d = debounce_.DelaysOf(interface);
  log::Notice(who + ": the master's advert interval of " + FormatDelay(interval) +
              " s lowers interface_up_down_delays of " + interface + " to down " +
              FormatDelay(d.down) + " s, up " + FormatDelay(d.up) + " s");
}

bool Interfaces::Usable(const std::string& name) const {
  return debounce_.Knows(name) ? debounce_.Usable(name) : table_.Usable(name);
}

void Interfaces::Debounce(const std::vector<net::InterfaceChange>& changes) {
  auto now = steady_clock::now();
  for (const auto& c : changes) {
    if (c.ifindex == 0) {
      debounce_.Remove(c.name);
      continue;
    }
    const bool was_pending = debounce_.Pending(c.name);
    debounce_.Observe(c.name, c.usable, c.rebound(), now);
    const bool pending = debounce_.Pending(c.name);
    if (pending && !was_pending) {
      const UpDownDelays d = debounce_.DelaysOf(c.name);
      log::Info("interface " + c.name + " is " + (c.usable ? "up" : "down") +
                "; that counts once it lasts " + FormatDelay(c.usable ? d.up : d.down) +
                " s (interface_up_down_delays)");
    } else if (was_pending && !pending) {
      log::Info("interface " + c.name + " is " + (c.usable ? "up" : "down") +
                " again before its delay ended: no change");
    }
  }
  Arm();
}

void Interfaces::Arm() {
  auto next = debounce_.NextDeadline();
  if (!next) {
    timer_->timer.cancel();
    return;
  }
  timer_->timer.expires_at(*next);
  timer_->timer.async_wait([this](std::error_code ec) {
    if (ec || stopped_) return;
    auto changed = debounce_.Expire(steady_clock::now());
    for (const auto& name : changed)
      log::Info("interface " + name + " has been " + (debounce_.Usable(name) ? "up" : "down") +
                " for its delay: it counts now");
    if (!changed.empty()) on_settled_();
    Arm();
  });
}

}  // namespace vigil::vrrp
