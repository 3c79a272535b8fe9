#include "vrrp/advert_intake.h"

#include <cstdlib>
#include <string>

#include "base/log.h"
#include "vrrp/kernel_addresses.h"

namespace vigil::vrrp {

AdvertIntake::Outcome AdvertIntake::Take(const InstanceSpec& spec,
                                         std::span<const model::IpAddress> advertised,
                                         const StateMachine& sm, AdvertSender& sender,
                                         const net::ReceivedPacket& p,
                                         control::InstanceStatus& status,
                                         std::chrono::steady_clock::time_point now,
                                         std::chrono::system_clock::time_point wall) {
  const model::IpAddress source = FromRaw(p.source);
  ReceivedPacket pkt;
  pkt.bytes = p.data;
  pkt.family = spec.family;
  pkt.source = source;
  pkt.destination = FromRaw(p.destination);
  pkt.hop_limit = p.ttl;
  Expectation e = ExpectationFor(spec, advertised, sm.ShouldCheckAdvertAddresses(source),
                                 sender.unicast_checksum(spec));
  if (e.hmac) {
    e.hmac_state = &hmac_;
    e.wall_clock = wall;
  }
  auto valid = ValidateAdvert(pkt, e);
  if (!valid) {
    RejectReason reason = valid.error();
    ++status.rejected[std::string(RejectReasonName(reason))];
    auto& throttle = reject_log_.try_emplace(reason, kRejectLogInterval).first->second;
    if (throttle.Pass(now)) {
      log::Warning(spec.name + ": dropped an advert from " + source.ToString() + ": " +
                   std::string(RejectReasonName(reason)) + " (logged at most every 10 s)");
    }
    return {Fate::kRejected, {}};
  }
  if (sm.IgnoresAdverts()) {
    // owner_ignore_adverts: dropped before it counts, as keepalived (logged at most every 10 s).
    if (owner_drop_log_.Pass(now)) {
      log::Info(spec.name + ": dropping adverts from " + source.ToString() +
                ": we are the address owner (owner_ignore_adverts)");
    }
    return {Fate::kIgnored, {}};
  }
  if (valid->hmac_skew &&
      2 * std::abs(*valid->hmac_skew) > static_cast<int64_t>(spec.auth_hmac->time_window)) {
    if (skew_log_.Pass(now)) {
      log::Warning(spec.name + ": auth_hmac clock skew " + std::to_string(*valid->hmac_skew) +
                   " s from " + source.ToString() + " approaches the window of " +
                   std::to_string(spec.auth_hmac->time_window) +
                   " s (logged at most every 10 s)");
    }
  }
  if (valid->legacy_unicast_checksum && sender.UseLegacyChecksum()) {
    log::Info(spec.name + ": peer uses the old unicast checksum; answering in kind");
  }
  ++status.adverts_received;
  if (valid->advert.priority == 0) ++status.priority_zero_received;
  Outcome out{Fate::kAccepted, {}};
  out.advert.source = valid->source;
  out.advert.priority = valid->advert.priority;
  out.advert.interval = IntervalDuration(valid->advert.version, valid->advert.interval);
  return out;
}

}  // namespace vigil::vrrp
