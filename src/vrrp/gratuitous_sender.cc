#include "vrrp/gratuitous_sender.h"

#include <net/if.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include <asio.hpp>

#include "base/log.h"
#include "net/arp_ndisc.h"

namespace vigil::vrrp {

PacingSchedule::TimePoint PacingSchedule::Take(const GarpPacing& pacing, TimePoint now) {
  auto& next = next_[pacing.key];
  if (pacing.interval.count() == 0 || next <= now) {
    next = now + pacing.interval;
    return now;
  }
  TimePoint at = next;
  next += pacing.interval;
  return at;
}

std::vector<PacingSchedule::Slot> PacingSchedule::TakeRounds(
    std::span<const GratuitousItem> items, uint32_t count, TimePoint now) {
  std::vector<Slot> out;
  out.reserve(items.size() * count);
  for (uint32_t round = 0; round < count; ++round) {
    for (size_t i = 0; i < items.size(); ++i) out.push_back(Slot{i, Take(items[i].pacing, now)});
  }
  return out;
}

std::vector<uint8_t> GratuitousFrame(const GratuitousItem& item) {
  if (item.address.is_v4()) {
    in_addr a{};
    std::memcpy(&a, item.address.bytes().data(), 4);
    return net::BuildGratuitousArp(item.mac, a);
  }
  in6_addr a{};
  std::memcpy(&a, item.address.bytes().data(), 16);
  return net::BuildUnsolicitedNa(item.mac, a, item.router);
}

AnnounceRule ReadAnnounceRule(const net::LinkInfo& base, const net::Sysctl& sysctl) {
  AnnounceRule rule;
  rule.send = (base.flags & IFF_NOARP) == 0;
  if (auto v = sysctl.Read("net/ipv6/conf/" + base.name + "/forwarding"); v) {
    int forwarding = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), forwarding);
    rule.router = ec == std::errc() && end == v->data() + v->size() && forwarding != 0;
  }
  return rule;
}

struct GratuitousSender::Pending {
  explicit Pending(asio::io_context& io, PacingSchedule::TimePoint at) : timer(io, at) {}
  asio::steady_timer timer;
};

GratuitousSender::GratuitousSender(asio::io_context& io) : io_(io) {}

GratuitousSender::~GratuitousSender() { Stop(); }

Result<void> GratuitousSender::Open() {
  auto s = net::PacketSocket::Open();
  if (!s) return std::unexpected(s.error());
  socket_.emplace(std::move(*s));
  return {};
}

void GratuitousSender::Stop() {
  stopped_ = true;
  for (const auto& p : pending_) p->timer.cancel();  // their handlers no longer touch this
  pending_.clear();
}

void GratuitousSender::Send(const std::string& who, std::span<const GratuitousItem> items,
                            uint32_t count) {
  const auto now = std::chrono::steady_clock::now();
  for (const PacingSchedule::Slot& slot : schedule_.TakeRounds(items, count, now)) {
    const GratuitousItem& item = items[slot.item];
    const bool v4 = item.address.is_v4();
    Queue(who, item.ifindex, slot.at, now, GratuitousFrame(item),
          std::string(v4 ? "ARP" : "NA") + " for " + item.address.ToString());
  }
}

void GratuitousSender::Queue(const std::string& who, int ifindex, PacingSchedule::TimePoint at,
                             PacingSchedule::TimePoint now, std::vector<uint8_t> frame,
                             const std::string& what) {
  if (at <= now) {
    Transmit(who, ifindex, frame, what);
    return;
  }
  if (stopped_) return;  // (a stopped sender keeps no timer)
  auto p = std::make_shared<Pending>(io_, at);
  pending_.insert(p);
  p->timer.async_wait(
      [this, p, who, ifindex, what, frame = std::move(frame)](std::error_code ec) {
        if (ec) return;
        pending_.erase(p);
        Transmit(who, ifindex, frame, what);
      });
}

void GratuitousSender::Transmit(const std::string& who, int ifindex,
                                const std::vector<uint8_t>& frame, const std::string& what) {
  if (!socket_) return;
  if (auto r = socket_->Send(ifindex, frame); !r)
    log::Warning(who + ": gratuitous " + what + ": " + r.error().ToString());
}

}  // namespace vigil::vrrp
