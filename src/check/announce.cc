#include "check/announce.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "net/rtnetlink.h"

namespace vigil::check {
namespace {

// Appends the addresses of a group entry `e` (a range varies the last byte of IPv4, the
// last 16 bits of IPv6, as the load balancer reads it), at most `max_range` of them.
void AppendEntry(const model::VsgEntry& e, std::size_t max_range,
                 std::vector<model::IpAddress>& out) {
  if (e.fwmark || e.address.is_unspec()) return;
  if (!e.range_end || *e.range_end == e.address || e.range_end->family() != e.address.family()) {
    out.push_back(e.address);
    return;
  }
  const auto& lo = e.address.bytes();
  const auto& hi = e.range_end->bytes();
  const bool v4 = e.address.is_v4();
  const std::size_t fixed = v4 ? 3 : 14;
  if (!std::equal(lo.begin(), lo.begin() + fixed, hi.begin())) return;  // refused elsewhere
  uint32_t from = lo[fixed];
  uint32_t to = hi[fixed];
  if (!v4) {
    from = (from << 8) | lo[15];
    to = (to << 8) | hi[15];
  }
  for (uint32_t v = from; v <= to && v - from < max_range; ++v) {
    std::array<uint8_t, 16> b = lo;
    if (v4) {
      b[3] = static_cast<uint8_t>(v);
      out.push_back(model::IpAddress::V4((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                                         (uint32_t{b[2]} << 8) | b[3]));
    } else {
      b[14] = static_cast<uint8_t>(v >> 8);
      b[15] = static_cast<uint8_t>(v);
      out.push_back(model::IpAddress::V6(b));
    }
  }
}

net::RawAddress Raw(const model::IpAddress& a) {
  return net::RawAddress::FromBytes(a.bytes().data(), a.is_v4() ? 4 : 16);
}

net::RouteSpec HostRoute(const model::IpAddress& a, std::uint32_t table) {
  net::RouteSpec spec;
  spec.family = a.is_v4() ? AF_INET : AF_INET6;
  spec.dst = Raw(a);
  spec.dst_len = a.is_v4() ? 32 : 128;
  spec.table = table;
  spec.protocol = kAnnounceProtocol;
  spec.type = RTN_BLACKHOLE;
  spec.scope = RT_SCOPE_UNIVERSE;
  return spec;
}

}  // namespace

std::vector<model::IpAddress> AnnounceAddresses(
    const model::VirtualServer& vs, const std::vector<model::VirtualServerGroup>& groups,
    std::size_t max_range) {
  std::vector<model::IpAddress> out;
  if (vs.address && !vs.address->is_unspec()) {
    out.push_back(*vs.address);
  } else if (vs.group) {
    for (const auto& g : groups)
      if (g.name == *vs.group)
        for (const auto& e : g.entries) AppendEntry(e, max_range, out);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::set<model::IpAddress> DesiredAnnouncements(std::span<const AnnounceSource> sources,
                                                const std::set<std::string>& masters,
                                                bool maintenance) {
  std::set<model::IpAddress> out;
  if (maintenance) return out;
  for (const AnnounceSource& s : sources) {
    if (!s.up) continue;
    if (s.with && !masters.contains(*s.with)) continue;
    out.insert(s.addresses.begin(), s.addresses.end());
  }
  return out;
}

AnnounceDelta DiffAnnouncements(const std::set<model::IpAddress>& installed,
                                const std::set<model::IpAddress>& desired) {
  AnnounceDelta d;
  std::set_difference(installed.begin(), installed.end(), desired.begin(), desired.end(),
                      std::back_inserter(d.withdraw));
  std::set_difference(desired.begin(), desired.end(), installed.begin(), installed.end(),
                      std::back_inserter(d.announce));
  return d;
}

Result<int> RouteAnnouncer::Flush() {
  installed_.clear();
  auto routes = rt_.ListRoutes(table_);
  if (!routes) return std::unexpected(routes.error());
  int deleted = 0;
  std::optional<Error> first;
  for (const net::RouteInfo& r : *routes) {
    if (r.protocol != kAnnounceProtocol || !r.dst) continue;
    net::RouteSpec spec;
    spec.family = r.family;
    spec.dst = r.dst;
    spec.dst_len = r.dst_len;
    spec.table = table_;
    spec.type = r.type;
    if (auto d = rt_.DeleteRoute(spec); d) ++deleted;
    else if (!first) first = d.error();
  }
  if (first) return std::unexpected(*first);
  return deleted;
}

Result<void> RouteAnnouncer::Apply(const std::set<model::IpAddress>& desired) {
  const AnnounceDelta d = DiffAnnouncements(installed_, desired);
  std::optional<Error> first;
  for (const auto& a : d.withdraw) {
    auto r = rt_.DeleteRoute(HostRoute(a, table_));
    // Gone already (someone deleted it): withdrawn all the same.
    if (r || r.error().sys_errno() == ESRCH || r.error().sys_errno() == ENOENT) installed_.erase(a);
    else if (!first) first = Error(r.error().code(), "withdrawing " + a.ToString() + " from table " +
                                                         std::to_string(table_) + ": " +
                                                         r.error().ToString(), r.error().sys_errno());
  }
  for (const auto& a : d.announce) {
    auto r = rt_.AddRoute(HostRoute(a, table_));
    if (r || r.error().sys_errno() == EEXIST) installed_.insert(a);
    else if (!first) first = Error(r.error().code(), "announcing " + a.ToString() + " in table " +
                                                         std::to_string(table_) + ": " +
                                                         r.error().ToString(), r.error().sys_errno());
  }
  if (first) return std::unexpected(*first);
  return {};
}

}  // namespace vigil::check
