// The load balancer's desired (or actual) state: virtual services and their destinations.
//
// These are lb's own value types, independent of the config model: whoever builds a State
// (the daemon, from the model) resolves defaults first, so a State says exactly what the
// kernel should hold. All types are regular values with a total order (operator<=>), so
// a State iterates in one stable order and two States compare with ==.
//
// The forwarding method is a property of each Destination, as in the kernel (IPVS stores
// it per destination). A config's virtual-server-level `lb_kind` is a default that the
// builder copies into each Destination.
#ifndef VIGIL_LB_STATE_H_
#define VIGIL_LB_STATE_H_

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/error.h"

namespace vigil::lb {

enum class Family : uint8_t { kIpv4, kIpv6 };

// Returns "ipv4" or "ipv6".
std::string_view FamilyName(Family family);

// Returns the number of address bits of `family` (32 or 128).
int FamilyBits(Family family);

// An IPv4 or IPv6 address. IPv4 addresses use the first 4 bytes; the rest stay zero.
class IpAddress {
 public:
  IpAddress() = default;

  // Returns the address written in `text` (dotted quad or RFC 4291 text), or kInvalidArgument.
  static Result<IpAddress> Parse(std::string_view text);
  // Returns an address from raw network-order bytes (4 for IPv4, 16 for IPv6).
  static IpAddress FromBytes(Family family, const uint8_t* bytes);

  Family family() const { return family_; }
  // Returns the network-order bytes (16; only the first 4 are used for IPv4).
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // Returns 4 or 16.
  size_t size() const { return family_ == Family::kIpv4 ? 4 : 16; }

  // Returns the canonical text form (inet_ntop).
  std::string ToString() const;

  auto operator<=>(const IpAddress&) const = default;

 private:
  Family family_ = Family::kIpv4;
  std::array<uint8_t, 16> bytes_{};
};

enum class Protocol : uint8_t { kTcp, kUdp, kSctp };

// Returns "tcp", "udp" or "sctp".
std::string_view ProtocolName(Protocol protocol);
// Returns the protocol named `name` (lower case), or nullopt.
std::optional<Protocol> ParseProtocol(std::string_view name);
// Returns the IANA protocol number (6, 17, 132).
uint8_t ProtocolNumber(Protocol protocol);
// Returns the protocol with IANA number `number`, or nullopt.
std::optional<Protocol> ProtocolFromNumber(uint8_t number);

// A service reached by (protocol, virtual address, port).
struct AddressKey {
  Protocol protocol = Protocol::kTcp;
  IpAddress address;
  uint16_t port = 0;

  auto operator<=>(const AddressKey&) const = default;
};

// A service reached by a firewall mark, for one address family.
struct FwmarkKey {
  Family family = Family::kIpv4;
  uint32_t mark = 0;

  auto operator<=>(const FwmarkKey&) const = default;
};

// What identifies a virtual service. Address keys order before fwmark keys.
using ServiceKey = std::variant<AddressKey, FwmarkKey>;

// Returns the family of the service's traffic.
Family KeyFamily(const ServiceKey& key);

// Returns "tcp 10.0.0.1:80", "tcp [fd00::1]:80" or "fwmark 7 ipv4".
std::string KeyToString(const ServiceKey& key);

// Scheduling algorithms: IPVS's, plus kRandom which only the nftables backend has.
enum class Scheduler : uint8_t {
  kRr,
  kWrr,
  kLc,
  kWlc,
  kLblc,
  kLblcr,
  kDh,
  kSh,
  kSed,
  kNq,
  kFo,
  kOvf,
  kMh,
  kTwos,
  kRandom,
};

// Returns the scheduler's name as written in keepalived.conf / IPVS ("rr", "wlc", ...).
std::string_view SchedulerName(Scheduler scheduler);
// Returns the scheduler named `name`, or nullopt.
std::optional<Scheduler> ParseScheduler(std::string_view name);

// IPVS scheduler flag bits (IP_VS_SVC_F_SCHED1..3); their meaning depends on the scheduler:
// for sh and mh, kSchedFlag1 is "fallback" and kSchedFlag2 is "port".
inline constexpr uint8_t kSchedFlag1 = 1;
inline constexpr uint8_t kSchedFlag2 = 2;
inline constexpr uint8_t kSchedFlag3 = 4;

// Forwarding methods: NAT (IPVS "masquerading"), direct routing, tunnelling.
enum class Forwarding : uint8_t { kNat, kDirectRoute, kTunnel };

// Returns "NAT", "DR" or "TUN" (keepalived's lb_kind words).
std::string_view ForwardingName(Forwarding forwarding);

// Tunnel encapsulation for Forwarding::kTunnel (values as IP_VS_CONN_F_TUNNEL_TYPE_*).
enum class TunnelType : uint8_t { kIpip = 0, kGue = 1, kGre = 2 };

// Tunnel checksum flag bits (IP_VS_TUNNEL_ENCAP_FLAG_*).
inline constexpr uint16_t kTunnelFlagCsum = 1;
inline constexpr uint16_t kTunnelFlagRemCsum = 2;

struct Tunnel {
  TunnelType type = TunnelType::kIpip;
  uint16_t port = 0;   // GUE only, host order.
  uint16_t flags = 0;  // GUE/GRE only.

  auto operator<=>(const Tunnel&) const = default;
};

// A virtual service's kernel attributes. Default scheduler is keepalived's (wlc).
struct Service {
  ServiceKey key;
  Scheduler scheduler = Scheduler::kWlc;
  uint8_t scheduler_flags = 0;  // kSchedFlag* bits.
  bool one_packet = false;      // IPVS "ops": schedule each UDP datagram.
  // Seconds a client sticks to its destination after its last connection; 0 = no persistence.
  uint32_t persistence_timeout = 0;
  // Prefix length of the client address that persistence keys on; nullopt = the whole
  // address (keepalived's persistence_granularity). Meaningful only with persistence.
  std::optional<uint8_t> persistence_prefix;
  // IPVS persistence engine ("sip": persistence keyed on the SIP Call-ID); empty = none.
  std::string persistence_engine;

  auto operator<=>(const Service&) const = default;
};

// Identifies a destination within a service.
struct DestinationKey {
  IpAddress address;
  uint16_t port = 0;

  auto operator<=>(const DestinationKey&) const = default;
};

// Returns "10.0.0.1:80" or "[fd00::1]:80".
std::string DestinationKeyToString(const DestinationKey& key);

// A real server behind a service. Weight 0 keeps the entry but takes it out of scheduling
// (keepalived's inhibit_on_failure).
struct Destination {
  DestinationKey key;
  uint32_t weight = 1;
  Forwarding forwarding = Forwarding::kNat;
  Tunnel tunnel;                 // Used only with Forwarding::kTunnel.
  uint32_t upper_threshold = 0;  // Max connections; 0 = no limit.
  uint32_t lower_threshold = 0;

  auto operator<=>(const Destination&) const = default;
};

// One service with its destinations, ordered by key.
struct ServiceEntry {
  Service service;
  std::map<DestinationKey, Destination> destinations;

  bool operator==(const ServiceEntry&) const = default;
};

// The whole load-balancer state, ordered by service key.
struct State {
  std::map<ServiceKey, ServiceEntry> services;

  // Adds (or replaces) `service`, keeping its destinations if it existed; returns its entry.
  ServiceEntry& Put(const Service& service);
  // Adds (or replaces) `destination` under the service `key`, which must exist.
  void PutDestination(const ServiceKey& key, const Destination& destination);
  // Returns the entry for `key`, or nullptr.
  const ServiceEntry* Find(const ServiceKey& key) const;

  bool operator==(const State&) const = default;
};

// Returns a multi-line, stable description of `state` (for logs and test failure output).
std::string ToString(const State& state);
std::string ToString(const Service& service);
std::string ToString(const Destination& destination);

}  // namespace vigil::lb

#endif  // VIGIL_LB_STATE_H_
