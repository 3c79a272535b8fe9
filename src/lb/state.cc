#include "lb/state.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace vigil::lb {

std::string_view FamilyName(Family family) { return family == Family::kIpv4 ? "ipv4" : "ipv6"; }

int FamilyBits(Family family) { return family == Family::kIpv4 ? 32 : 128; }

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  std::string s(text);
  uint8_t buf[16] = {};
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) return FromBytes(Family::kIpv4, buf);
  } else if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    return FromBytes(Family::kIpv6, buf);
  }
  return Fail(ErrorCode::kInvalidArgument, "'" + s + "' is not an IP address");
}

IpAddress IpAddress::FromBytes(Family family, const uint8_t* bytes) {
  IpAddress a;
  a.family_ = family;
  std::memcpy(a.bytes_.data(), bytes, family == Family::kIpv4 ? 4 : 16);
  return a;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family_ == Family::kIpv4 ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kUdp:
      return "udp";
    case Protocol::kSctp:
      return "sctp";
  }
  return "?";
}

std::optional<Protocol> ParseProtocol(std::string_view name) {
  if (name == "tcp") return Protocol::kTcp;
  if (name == "udp") return Protocol::kUdp;
  if (name == "sctp") return Protocol::kSctp;
  return std::nullopt;
}

uint8_t ProtocolNumber(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTcp:
      return IPPROTO_TCP;
    case Protocol::kUdp:
      return IPPROTO_UDP;
    case Protocol::kSctp:
      return IPPROTO_SCTP;
  }
  return 0;
}

std::optional<Protocol> ProtocolFromNumber(uint8_t number) {
  switch (number) {
    case IPPROTO_TCP:
      return Protocol::kTcp;
    case IPPROTO_UDP:
      return Protocol::kUdp;
    case IPPROTO_SCTP:
      return Protocol::kSctp;
    default:
      return std::nullopt;
  }
}

Family KeyFamily(const ServiceKey& key) {
  if (const auto* a = std::get_if<AddressKey>(&key)) return a->address.family();
  return std::get<FwmarkKey>(key).family;
}

namespace {

std::string HostPort(const IpAddress& address, uint16_t port) {
  if (address.family() == Family::kIpv6) {
    return "[" + address.ToString() + "]:" + std::to_string(port);
  }
  return address.ToString() + ":" + std::to_string(port);
}

}  // namespace

std::string KeyToString(const ServiceKey& key) {
  if (const auto* a = std::get_if<AddressKey>(&key)) {
    return std::string(ProtocolName(a->protocol)) + " " + HostPort(a->address, a->port);
  }
  const auto& f = std::get<FwmarkKey>(key);
  return "fwmark " + std::to_string(f.mark) + " " + std::string(FamilyName(f.family));
}

namespace {

struct SchedulerNameEntry {
  Scheduler scheduler;
  std::string_view name;
};

constexpr SchedulerNameEntry kSchedulerNames[] = {
    {Scheduler::kRr, "rr"},   {Scheduler::kWrr, "wrr"},   {Scheduler::kLc, "lc"},
    {Scheduler::kWlc, "wlc"}, {Scheduler::kLblc, "lblc"}, {Scheduler::kLblcr, "lblcr"},
    {Scheduler::kDh, "dh"},   {Scheduler::kSh, "sh"},     {Scheduler::kSed, "sed"},
    {Scheduler::kNq, "nq"},   {Scheduler::kFo, "fo"},     {Scheduler::kOvf, "ovf"},
    {Scheduler::kMh, "mh"},   {Scheduler::kTwos, "twos"}, {Scheduler::kRandom, "random"},
};

}  // namespace

std::string_view SchedulerName(Scheduler scheduler) {
  for (const auto& e : kSchedulerNames) {
    if (e.scheduler == scheduler) return e.name;
  }
  return "?";
}

std::optional<Scheduler> ParseScheduler(std::string_view name) {
  for (const auto& e : kSchedulerNames) {
    if (e.name == name) return e.scheduler;
  }
  return std::nullopt;
}

std::string_view ForwardingName(Forwarding forwarding) {
  switch (forwarding) {
    case Forwarding::kNat:
      return "NAT";
    case Forwarding::kDirectRoute:
      return "DR";
    case Forwarding::kTunnel:
      return "TUN";
  }
  return "?";
}

std::string DestinationKeyToString(const DestinationKey& key) {
  return HostPort(key.address, key.port);
}

ServiceEntry& State::Put(const Service& service) {
  ServiceEntry& entry = services[service.key];
  entry.service = service;
  return entry;
}

void State::PutDestination(const ServiceKey& key, const Destination& destination) {
  services.at(key).destinations[destination.key] = destination;
}

const ServiceEntry* State::Find(const ServiceKey& key) const {
  auto it = services.find(key);
  return it == services.end() ? nullptr : &it->second;
}

std::string ToString(const Service& s) {
  std::string out = KeyToString(s.key) + " " + std::string(SchedulerName(s.scheduler));
  if (s.scheduler_flags != 0) out += " flags=" + std::to_string(s.scheduler_flags);
  if (s.one_packet) out += " ops";
  if (s.persistence_timeout != 0) {
    out += " persistent=" + std::to_string(s.persistence_timeout);
    if (s.persistence_prefix) out += "/" + std::to_string(*s.persistence_prefix);
  }
  if (!s.persistence_engine.empty()) out += " pe=" + s.persistence_engine;
  return out;
}

std::string ToString(const Destination& d) {
  std::string out = DestinationKeyToString(d.key) + " " +
                    std::string(ForwardingName(d.forwarding)) +
                    " weight=" + std::to_string(d.weight);
  if (d.forwarding == Forwarding::kTunnel) {
    out += " tun=" + std::to_string(static_cast<int>(d.tunnel.type)) + "/" +
           std::to_string(d.tunnel.port) + "/" + std::to_string(d.tunnel.flags);
  }
  if (d.upper_threshold != 0 || d.lower_threshold != 0) {
    out += " thresholds=" + std::to_string(d.upper_threshold) + "/" +
           std::to_string(d.lower_threshold);
  }
  return out;
}

std::string ToString(const State& state) {
  std::string out;
  for (const auto& [key, entry] : state.services) {
    out += ToString(entry.service) + "\n";
    for (const auto& [dkey, d] : entry.destinations) out += "  -> " + ToString(d) + "\n";
  }
  return out;
}

}  // namespace vigil::lb
