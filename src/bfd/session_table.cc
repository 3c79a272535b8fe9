#include "bfd/session_table.h"

#include <algorithm>

#include "model/config.h"

namespace vigil::bfd {

std::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kNoSession:
      return "no_session";
    case DropReason::kBadTtl:
      return "bad_ttl";
  }
  return "unknown";
}

std::vector<SessionConfig> SessionsFromModel(const model::Config& config) {
  std::vector<SessionConfig> out;
  for (const auto& b : config.bfd_instances) {
    SessionConfig s;
    s.name = b.name;
    s.neighbor = b.neighbor_ip;
    s.source = b.source_ip;
    s.params.desired_min_tx = std::chrono::duration_cast<Micros>(b.min_tx);
    s.params.required_min_rx = std::chrono::duration_cast<Micros>(b.min_rx);
    s.params.idle_tx = std::chrono::duration_cast<Micros>(b.idle_tx);
    s.params.detect_mult = static_cast<uint8_t>(b.multiplier);
    s.params.passive = b.passive;
    s.ttl = static_cast<uint8_t>(b.ttl);
    s.max_hops = static_cast<uint8_t>(b.max_hops);
    s.multihop = b.multihop;
    out.push_back(std::move(s));
  }
  return out;
}

SessionTable::SessionTable(RandomBetween random) : random_(std::move(random)) {}

uint32_t SessionTable::NewDiscriminator() const {
  for (;;) {
    auto d = static_cast<uint32_t>(random_(1, 0xffffffffu));
    if (d == 0) continue;
    bool used = std::any_of(sessions_.begin(), sessions_.end(), [d](const auto& e) {
      return e.second.session && e.second.session->local_discriminator() == d;
    });
    if (!used) return d;
  }
}

std::vector<std::string> SessionTable::Configure(const std::vector<SessionConfig>& configs,
                                                 TimePoint now, Output& out) {
  std::vector<std::string> removed;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto c = std::find_if(configs.begin(), configs.end(),
                          [&](const SessionConfig& s) { return s.name == it->first; });
    if (c == configs.end() || !c->SamePeer(it->second.config)) {
      removed.push_back(it->first);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& c : configs) {
    auto it = sessions_.find(c.name);
    if (it != sessions_.end()) {
      if (!(it->second.config == c)) {
        it->second.session->SetParams(c.params, now);
        it->second.config = c;
      }
      continue;
    }
    Entry e;
    e.config = c;
    e.session = std::make_unique<Session>(c.params, NewDiscriminator(), random_);
    Entry& placed = sessions_.emplace(c.name, std::move(e)).first->second;
    Collect(placed, placed.session->Start(now), out);
  }
  return removed;
}

SessionTable::Entry* SessionTable::Match(const Received& d, const ControlPacket& p) {
  for (auto& [name, e] : sessions_) {
    if (e.config.multihop != d.multihop) continue;
    if (p.your_discriminator != 0) {
      if (e.session->local_discriminator() == p.your_discriminator) return &e;
      continue;
    }
    if (e.config.neighbor != d.from) continue;
    if (e.config.source && d.to && *e.config.source != *d.to) continue;
    return &e;
  }
  return nullptr;
}

void SessionTable::OnReceive(const Received& d, TimePoint now, Output& out) {
  auto packet = Decode(d.payload);
  if (!packet) {
    ++dropped_[std::string(RejectReasonName(packet.error()))];
    return;
  }
  Entry* e = Match(d, *packet);
  // A session found by its discriminator must still be its neighbor's (RFC 5881 4).
  if (!e || e->config.neighbor != d.from) {
    ++dropped_[std::string(DropReasonName(DropReason::kNoSession))];
    return;
  }
  if (!TtlAcceptable(d.ttl, e->config.ttl, e->config.max_hops)) {
    ++dropped_[std::string(DropReasonName(DropReason::kBadTtl))];
    return;
  }
  ++e->counters.received;
  Collect(*e, e->session->OnPacket(*packet, now, d.arrived), out);
}

void SessionTable::OnTimer(TimePoint now, Output& out) {
  for (auto& [name, e] : sessions_) {
    auto due = e.session->NextDeadline();
    if (due && *due <= now) Collect(e, e.session->OnTimer(now), out);
  }
}

std::optional<TimePoint> SessionTable::NextDeadline() const {
  std::optional<TimePoint> next;
  for (const auto& [name, e] : sessions_) {
    auto due = e.session->NextDeadline();
    if (due && (!next || *due < *next)) next = due;
  }
  return next;
}

void SessionTable::Collect(Entry& e, std::vector<Action> actions, Output& out) {
  for (auto& a : actions) {
    if (auto* t = std::get_if<Transmit>(&a)) {
      ++e.counters.sent;
      out.sends.push_back({e.config.name, Encode(t->packet)});
    } else if (auto* c = std::get_if<StateChange>(&a)) {
      if (c->to == State::kUp) ++e.counters.up;
      if (c->from == State::kUp) ++e.counters.down;
      out.transitions.push_back({e.config.name, c->from, c->to, c->diag});
    }
  }
}

}  // namespace vigil::bfd
