#include "check/virtual_server.h"

#include <algorithm>
#include <utility>

namespace vigil::check {
namespace {

int64_t ClampWeight(int64_t w) { return std::clamp<int64_t>(w, 0, kMaxWeight); }

}  // namespace

VirtualServerState::VirtualServerState(VirtualServerConfig config)
    : config_(std::move(config)), servers_(config_.real_servers.size()) {
  int64_t total = 0;
  for (const auto& rs : config_.real_servers) total += ClampWeight(rs.weight);
  if (static_cast<int64_t>(config_.quorum) > total) config_.quorum = static_cast<uint32_t>(total);
  if (config_.hysteresis >= config_.quorum) {
    config_.hysteresis = config_.quorum > 0 ? config_.quorum - 1 : 0;
  }
  // keepalived evaluates quorum once before any server is alive.
  quorum_up_ = 0 >= static_cast<int64_t>(config_.quorum) + config_.hysteresis;
}

CheckerId VirtualServerState::AddChecker(size_t rs, bool starts_up) {
  checkers_.push_back(Checker{rs, starts_up, 0});
  if (!starts_up) ++servers_[rs].failed_checkers;
  return checkers_.size() - 1;
}

const char* AdminModeName(RealServerAdmin::Mode mode) {
  switch (mode) {
    case RealServerAdmin::Mode::kEnabled: return "enabled";
    case RealServerAdmin::Mode::kDisabled: return "disabled";
    case RealServerAdmin::Mode::kDraining: return "draining";
  }
  return "enabled";
}

int64_t VirtualServerState::effective_weight(size_t rs) const {
  const Server& s = servers_[rs];
  if (s.admin.mode == RealServerAdmin::Mode::kDraining) return 0;
  return ClampWeight(s.admin.weight.value_or(config_.real_servers[rs].weight) + s.extra_weight);
}

int64_t VirtualServerState::LiveWeight() const {
  int64_t sum = 0;
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (InPool(i)) sum += effective_weight(i);
  }
  return sum;
}

std::vector<Event> VirtualServerState::SetAdmin(size_t rs, const RealServerAdmin& admin) {
  std::vector<Event> events;
  servers_[rs].admin = admin;
  if (started_) UpdateQuorum(/*init=*/false, events);
  return events;
}

std::vector<Event> VirtualServerState::Start() {
  std::vector<Event> events;
  if (started_) return events;
  started_ = true;
  for (size_t i = 0; i < servers_.size(); ++i) {
    servers_[i].alive = servers_[i].failed_checkers == 0;
    if (servers_[i].alive && config_.rs_init_notifies) {
      events.push_back(Event{.kind = Event::Kind::kRealServerUp, .real_server = i, .init = true});
    }
  }
  UpdateQuorum(/*init=*/true, events);
  return events;
}

void VirtualServerState::SetAlive(size_t rs, bool alive, std::vector<Event>& events) {
  if (servers_[rs].alive == alive) return;
  servers_[rs].alive = alive;
  events.push_back(Event{
      .kind = alive ? Event::Kind::kRealServerUp : Event::Kind::kRealServerDown,
      .real_server = rs});
  UpdateQuorum(/*init=*/false, events);
}

void VirtualServerState::UpdateQuorum(bool init, std::vector<Event>& events) {
  const int64_t sum = LiveWeight();
  const int64_t quorum = config_.quorum;
  const int64_t hysteresis = config_.hysteresis;
  const int64_t threshold = quorum_up_ ? quorum - hysteresis : quorum + hysteresis;
  const bool has_sorry = config_.sorry_server.has_value();

  if (!quorum_up_ && sum >= threshold) {
    quorum_up_ = true;
    sorry_active_ = false;
    events.push_back(Event{.kind = Event::Kind::kQuorumUp,
                           .init = init,
                           .live_weight = sum,
                           .threshold = threshold});
  } else if ((quorum_up_ && (sum == 0 || sum < threshold)) ||
             (init && !quorum_up_ && has_sorry && !sorry_active_)) {
    quorum_up_ = false;
    if (has_sorry) sorry_active_ = true;
    events.push_back(Event{.kind = Event::Kind::kQuorumDown,
                           .init = init,
                           .live_weight = sum,
                           .threshold = threshold});
  }
}

std::vector<Event> VirtualServerState::SetCheckerUp(CheckerId id, bool up) {
  std::vector<Event> events;
  Checker& c = checkers_[id];
  if (c.up == up) return events;
  c.up = up;
  Server& s = servers_[c.rs];
  if (!up) {
    // The contribution goes silently; the server is leaving the pool anyway.
    s.extra_weight -= c.contribution;
    c.contribution = 0;
    ++s.failed_checkers;
    if (started_) SetAlive(c.rs, false, events);
  } else {
    if (s.failed_checkers > 0) --s.failed_checkers;
    if (started_ && s.failed_checkers == 0) SetAlive(c.rs, true, events);
  }
  return events;
}

void VirtualServerState::ChangeContribution(Checker& c, int64_t contribution,
                                            std::vector<Event>& events) {
  Server& s = servers_[c.rs];
  const int64_t before = effective_weight(c.rs);
  s.extra_weight += contribution - c.contribution;
  c.contribution = contribution;
  if (started_ && s.alive && effective_weight(c.rs) != before) UpdateQuorum(false, events);
}

std::vector<Event> VirtualServerState::SetCheckerWeight(CheckerId id, const WeightUpdate& update) {
  std::vector<Event> events;
  Checker& c = checkers_[id];
  const int64_t contribution = update.kind == WeightUpdate::Kind::kAbsolute
                                   ? update.value - config_.real_servers[c.rs].weight
                                   : update.value;
  ChangeContribution(c, contribution, events);
  return events;
}

std::vector<Event> VirtualServerState::ReportFirstResultDown(CheckerId id) {
  std::vector<Event> events;
  const size_t rs = checkers_[id].rs;
  if (!servers_[rs].alive) {
    events.push_back(Event{.kind = Event::Kind::kRealServerDown, .real_server = rs});
  }
  return events;
}

std::vector<Destination> VirtualServerState::Desired() const {
  std::vector<Destination> out;
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i].admin.mode == RealServerAdmin::Mode::kDisabled) continue;
    if (servers_[i].alive && !sorry_active_) {
      out.push_back(Destination{i, effective_weight(i)});
    } else if (config_.real_servers[i].inhibit_on_failure) {
      out.push_back(Destination{i, 0});
    }
  }
  if (config_.sorry_server) {
    if (sorry_active_) {
      out.push_back(Destination{Destination::kSorryServer, ClampWeight(config_.sorry_server->weight)});
    } else if (config_.sorry_server->inhibit_on_failure) {
      out.push_back(Destination{Destination::kSorryServer, 0});
    }
  }
  return out;
}

}  // namespace vigil::check
