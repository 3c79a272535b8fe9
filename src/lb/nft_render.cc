#include "lb/nft_render.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>

#include "lb/maglev.h"
#include "net/nft_runner.h"

namespace vigil::lb::nft {
namespace {

constexpr std::string_view kServiceTag = "vigil-svc";
constexpr std::string_view kDestinationTag = "vigil-dst";
// A record comment's weight word when the weight is in the destination's slot comment.
constexpr std::string_view kWeightInSlot = "-";
// Upper bound on remembered clients per destination for persistent services.
constexpr int kPersistenceSetSize = 1048576;

// ---------------------------------------------------------------------------------------
// Names and tokens.

// Returns `address` as a chain-name-safe token: nft identifiers allow [A-Za-z0-9/._-], so
// IPv6 colons become '-' (unambiguous: IPv6 text never contains '-').
std::string AddressToken(const IpAddress& address) {
  std::string s = address.ToString();
  std::replace(s.begin(), s.end(), ':', '-');
  return s;
}

std::string KeyToken(const ServiceKey& key) {
  if (const auto* a = std::get_if<AddressKey>(&key)) {
    return std::string(ProtocolName(a->protocol)) + "_" + AddressToken(a->address) + "_" +
           std::to_string(a->port);
  }
  const auto& f = std::get<FwmarkKey>(key);
  return (f.family == Family::kIpv4 ? "fwm4_" : "fwm6_") + std::to_string(f.mark);
}

std::string DestToken(const DestinationKey& d) {
  return AddressToken(d.address) + "_" + std::to_string(d.port);
}

// The three comment tokens naming a service: "tcp 10.0.0.1 80" or "fwmark ipv4 7".
std::string KeyWords(const ServiceKey& key) {
  if (const auto* a = std::get_if<AddressKey>(&key)) {
    return std::string(ProtocolName(a->protocol)) + " " + a->address.ToString() + " " +
           std::to_string(a->port);
  }
  const auto& f = std::get<FwmarkKey>(key);
  return "fwmark " + std::string(FamilyName(f.family)) + " " + std::to_string(f.mark);
}

std::string Context(const ServiceKey& key) { return "virtual server " + KeyToString(key); }

std::string UnavailableError(const ServiceKey& key, const std::string& what,
                             const std::string& hint, bool plural = false) {
  return Context(key) + ": " + what + (plural ? " are" : " is") +
         " not available with the nftables backend (" + hint + ")";
}

// ---------------------------------------------------------------------------------------
// Expressions.

std::string_view IpWord(Family f) { return f == Family::kIpv4 ? "ip" : "ip6"; }

// Returns the mask of the first `prefix` bits of `family` as an address.
IpAddress PrefixMask(Family family, int prefix) {
  uint8_t bytes[16] = {};
  for (int i = 0; i < prefix; ++i) bytes[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
  return IpAddress::FromBytes(family, bytes);
}

// The client expression persistence keys on: "ip saddr" or "ip saddr & 255.255.255.0".
std::string ClientExpr(const Service& s) {
  Family f = KeyFamily(s.key);
  std::string e = std::string(IpWord(f)) + " saddr";
  if (s.persistence_prefix && *s.persistence_prefix < FamilyBits(f)) {
    e += " & " + PrefixMask(f, *s.persistence_prefix).ToString();
  }
  return e;
}

bool Persistent(const Service& s) { return s.persistence_timeout != 0; }

bool SamePersistence(const Service& a, const Service& b) {
  return a.persistence_timeout == b.persistence_timeout &&
         (!Persistent(a) || a.persistence_prefix == b.persistence_prefix);
}

// Returns the dispatch map and element key for a service: {"svc4", "tcp . 10.0.0.1 . 80"}
// ({"dr4", ...} for a DR service, `dr`).
std::pair<std::string, std::string> DispatchElement(const ServiceKey& key, bool dr = false) {
  if (const auto* a = std::get_if<AddressKey>(&key)) {
    const bool v4 = a->address.family() == Family::kIpv4;
    return {dr ? (v4 ? "dr4" : "dr6") : (v4 ? "svc4" : "svc6"),
            std::string(ProtocolName(a->protocol)) + " . " + a->address.ToString() + " . " +
                std::to_string(a->port)};
  }
  const auto& f = std::get<FwmarkKey>(key);
  return {"fwm", std::string(FamilyName(f.family)) + " . " + std::to_string(f.mark)};
}

// Returns the masquerade set and element for a service: {"masq4", "10.0.0.1"}.
std::pair<std::string, std::string> MasqueradeElement(const ServiceKey& key) {
  if (const auto* a = std::get_if<AddressKey>(&key)) {
    return {a->address.family() == Family::kIpv4 ? "masq4" : "masq6", a->address.ToString()};
  }
  const auto& f = std::get<FwmarkKey>(key);
  return {"masqm", std::string(FamilyName(f.family)) + " . " + std::to_string(f.mark)};
}

// ---------------------------------------------------------------------------------------
// Command text.

class Commands {
 public:
  explicit Commands(const Options& options) : table_(TableRef(options)) {}
  // Makes the following commands name table `ref` ("inet vigil" or "netdev vigil").
  void Use(std::string ref) { table_ = std::move(ref); }
  void Add(std::string line) {
    text_ += line;
    text_ += '\n';
  }
  void Rule(const std::string& chain, const std::string& body) {
    Add("add rule " + table_ + " " + chain + " " + body);
  }
  void AddChain(const std::string& chain) { Add("add chain " + table_ + " " + chain); }
  void DeleteChain(const std::string& chain) {
    Add("flush chain " + table_ + " " + chain);
    Add("delete chain " + table_ + " " + chain);
  }
  void FlushChain(const std::string& chain) { Add("flush chain " + table_ + " " + chain); }
  // Appends commands (whole lines).
  void Append(const std::string& text) { text_ += text; }
  // "inet vigil"
  const std::string& table() const { return table_; }
  std::string Take() { return std::move(text_); }

 private:
  std::string table_;
  std::string text_;
};

void AddPersistenceSet(Commands& c, const Service& s, const DestinationKey& d) {
  std::string type = KeyFamily(s.key) == Family::kIpv4 ? "ipv4_addr" : "ipv6_addr";
  c.Add("add set " + c.table() + " " + PersistenceSetName(s.key, d) + " { type " + type +
        "; size " + std::to_string(kPersistenceSetSize) + "; flags dynamic,timeout; timeout " +
        std::to_string(s.persistence_timeout) + "s; }");
}

void DeletePersistenceSet(Commands& c, const Service& s, const DestinationKey& d) {
  c.Add("delete set " + c.table() + " " + PersistenceSetName(s.key, d));
}

// Emits the rules of destination `d`'s (empty) chain; `slotted`: d has a slot in the
// service's slot map (RecordComment).
void DestinationRules(Commands& c, const Service& s, const Destination& d, bool slotted,
                      const Options& options) {
  std::string chain = DestinationChainName(s.key, d.key);
  if (Persistent(s)) {
    c.Rule(chain, "update @" + PersistenceSetName(s.key, d.key) + " { " + ClientExpr(s) + " }");
  }
  std::string rule;
  if (d.forwarding == Forwarding::kDirectRoute) {
    // (Validated: the device is known.)
    auto dev = options.dr_devices.find(d.key.address);
    rule = "fwd " + std::string(IpWord(d.key.address.family())) + " to " +
           d.key.address.ToString() + " device \"" +
           (dev == options.dr_devices.end() ? std::string() : dev->second) + "\" comment \"" +
           RecordComment(s, d, slotted) + "\"";
    c.Rule(chain, rule);
    return;
  }
  if (d.key.port != 0) {
    if (const auto* a = std::get_if<AddressKey>(&s.key)) {
      rule = "meta l4proto " + std::string(ProtocolName(a->protocol)) + " ";
    } else {
      rule = "meta l4proto { tcp, udp, sctp } ";
    }
  }
  std::string target = d.key.address.ToString();
  if (d.key.address.family() == Family::kIpv6 && d.key.port != 0) target = "[" + target + "]";
  if (d.key.port != 0) target += ":" + std::to_string(d.key.port);
  rule += "dnat " + std::string(IpWord(d.key.address.family())) + " to " + target;
  rule += " comment \"" + RecordComment(s, d, slotted) + "\"";
  c.Rule(chain, rule);
}

// Emits the rules of the service's (empty) chain and the elements of its (empty) slot map,
// whose destinations are `keys` (Slots(e)).
void ServiceRules(Commands& c, const ServiceEntry& e, const std::vector<DestinationKey>& keys) {
  const Service& s = e.service;
  std::string chain = ServiceChainName(s.key);
  const std::vector<std::string> slots = SlotValues(e, keys);
  const std::vector<std::string> comments = SlotComments(e, keys);
  if (!slots.empty()) {
    if (Persistent(s)) {
      for (const auto& [k, d] : e.destinations) {
        if (d.weight == 0) continue;
        c.Rule(chain, ClientExpr(s) + " @" + PersistenceSetName(s.key, d.key) + " goto " +
                          DestinationChainName(s.key, d.key));
      }
    }
    std::string selector;
    Family f = KeyFamily(s.key);
    switch (s.scheduler) {
      case Scheduler::kRandom:
        selector = "numgen random mod ";
        break;
      case Scheduler::kSh:
      case Scheduler::kMh:
        selector = "jhash " + std::string(IpWord(f)) + " saddr";
        if (s.scheduler_flags & kSchedFlag2) selector += " . th sport";
        selector += " mod ";
        break;
      default:
        selector = "numgen inc mod ";
        break;
    }
    selector += std::to_string(slots.size());
    if (HashedSelector(s)) selector += " seed 0x0";
    if (AddressSlots(e)) {
      const auto& a = std::get<AddressKey>(s.key);
      c.Rule(chain, "meta l4proto " + std::string(ProtocolName(a.protocol)) + " dnat " +
                        std::string(IpWord(f)) + " to " + selector + " map @" + SlotMapName(s.key));
    } else {
      c.Rule(chain, selector + " vmap @" + SlotMapName(s.key));
    }
    // The slot map's elements, a bounded number per command line.
    constexpr size_t kPerLine = 64;
    for (size_t first = 0; first < slots.size(); first += kPerLine) {
      std::string line = "add element " + c.table() + " " + SlotMapName(s.key) + " { ";
      for (size_t i = first; i < slots.size() && i < first + kPerLine; ++i) {
        if (i > first) line += ", ";
        line += std::to_string(i);
        if (!comments[i].empty()) line += " comment \"" + comments[i] + "\"";
        line += " : " + slots[i];
      }
      c.Add(line + " }");
    }
  }
  c.Rule(chain, "drop comment \"" + ServiceComment(s) + "\"");
}

bool VipStillUsed(const State& desired, const ServiceKey& key) {
  const auto* a = std::get_if<AddressKey>(&key);
  if (a == nullptr) return false;
  for (const auto& [k, e] : desired.services) {
    if (DirectRouted(e)) continue;  // (never in the masquerade sets)
    const auto* other = std::get_if<AddressKey>(&k);
    if (other != nullptr && other->address == a->address) return true;
  }
  return false;
}

Result<void> ValidateEntry(const ServiceEntry& e) {
  const Service& s = e.service;
  switch (s.scheduler) {
    case Scheduler::kRr:
    case Scheduler::kWrr:
    case Scheduler::kSh:
    case Scheduler::kMh:
    case Scheduler::kRandom:
      break;
    default:
      return Fail(
          ErrorCode::kUnsupported,
          UnavailableError(s.key, "scheduler '" + std::string(SchedulerName(s.scheduler)) + "'",
                           "use rr, wrr, sh, mh or random, or the ipvs backend"));
  }
  // mh-fallback has nothing to do: the table holds only servers that can take connections
  // (weight above 0; thresholds are refused below), so no lookup lands on an unavailable one.
  const uint8_t allowed = s.scheduler == Scheduler::kSh   ? kSchedFlag2
                          : s.scheduler == Scheduler::kMh ? kSchedFlag1 | kSchedFlag2
                                                          : 0;
  if (s.scheduler == Scheduler::kSh && (s.scheduler_flags & kSchedFlag1)) {
    return Fail(ErrorCode::kUnsupported,
                UnavailableError(s.key, "scheduler flag 'sh-fallback'", "use the ipvs backend"));
  }
  if ((s.scheduler_flags & ~allowed) != 0) {
    return Fail(ErrorCode::kUnsupported,
                UnavailableError(s.key,
                                 "scheduler flags " + std::to_string(s.scheduler_flags) +
                                     " with '" + std::string(SchedulerName(s.scheduler)) + "'",
                                 "use the ipvs backend", /*plural=*/true));
  }
  if (s.one_packet) {
    return Fail(ErrorCode::kUnsupported,
                UnavailableError(s.key, "one-packet scheduling (ops)", "use the ipvs backend"));
  }
  if (!s.persistence_engine.empty()) {
    return Fail(ErrorCode::kUnsupported,
                UnavailableError(s.key, "persistence engine '" + s.persistence_engine + "'",
                                 "use the ipvs backend"));
  }
  Family family = KeyFamily(s.key);
  if (const auto* a = std::get_if<AddressKey>(&s.key); a != nullptr && a->port == 0) {
    return Fail(
        ErrorCode::kUnsupported,
        UnavailableError(s.key, "port 0 (all ports)", "use a fwmark service, or the ipvs backend"));
  }
  if (s.persistence_prefix && *s.persistence_prefix > FamilyBits(family)) {
    return Fail(ErrorCode::kInvalidArgument,
                Context(s.key) + ": persistence prefix /" + std::to_string(*s.persistence_prefix) +
                    " is longer than an " + std::string(FamilyName(family)) + " address");
  }
  const bool dr = DirectRouted(e);
  for (const auto& [k, d] : e.destinations) {
    if (d.forwarding == Forwarding::kNat && !dr && d.upper_threshold == 0 &&
        d.lower_threshold == 0 && d.key.address.family() == family) {
      continue;  // (the common case: no name to build)
    }
    std::string rs = "real server " + DestinationKeyToString(d.key);
    if (d.forwarding == Forwarding::kTunnel) {
      return Fail(
          ErrorCode::kUnsupported,
          UnavailableError(
              s.key, rs + ": forwarding method '" + std::string(ForwardingName(d.forwarding)) + "'",
              "use NAT or DR, or the ipvs backend"));
    }
    if (dr && d.forwarding != Forwarding::kDirectRoute) {
      return Fail(ErrorCode::kUnsupported,
                  UnavailableError(s.key, rs + ": forwarding method '" +
                                              std::string(ForwardingName(d.forwarding)) +
                                              "' beside DR real servers",
                                   "give all real servers of a virtual server one method"));
    }
    if (d.upper_threshold != 0 || d.lower_threshold != 0) {
      return Fail(ErrorCode::kUnsupported,
                  UnavailableError(s.key, rs + ": connection thresholds (uthreshold/lthreshold)",
                                   "use the ipvs backend", /*plural=*/true));
    }
    if (d.key.address.family() != family) {
      return Fail(ErrorCode::kUnsupported,
                  UnavailableError(s.key, rs + ": a real server of another address family",
                                   "use the same family as the virtual server"));
    }
  }
  if (dr) {
    if (std::holds_alternative<FwmarkKey>(s.key)) {
      return Fail(ErrorCode::kUnsupported,
                  UnavailableError(s.key, "DR for a fwmark service",
                                   "marks are set after the ingress hook DR runs at: use an "
                                   "address service, or the ipvs backend"));
    }
    if (!HashedSelector(s)) {
      return Fail(ErrorCode::kUnsupported,
                  UnavailableError(s.key,
                                   "scheduler '" + std::string(SchedulerName(s.scheduler)) +
                                       "' with DR",
                                   "DR keeps no connection state, so only the hashing "
                                   "schedulers sh and mh keep a connection on one real server: "
                                   "use sh or mh, or the ipvs backend"));
    }
    if (Persistent(s)) {
      return Fail(ErrorCode::kUnsupported,
                  UnavailableError(s.key, "persistence with DR", "use sh or mh, or the ipvs backend"));
    }
  }
  return {};
}

// Returns whether every DR real server of `e` has an egress device in `options`.
Result<void> ValidateDevices(const ServiceEntry& e, const Options& options) {
  for (const auto& [k, d] : e.destinations) {
    if (d.forwarding != Forwarding::kDirectRoute || options.dr_devices.contains(k.address)) {
      continue;
    }
    return Fail(ErrorCode::kNotFound,
                Context(e.service.key) + ": real server " + DestinationKeyToString(k) +
                    ": no interface of this host has an address on its subnet (DR sends to "
                    "real servers on a link of this host)");
  }
  return {};
}

}  // namespace

Result<void> ValidateService(const ServiceEntry& entry) { return ValidateEntry(entry); }

Result<void> Validate(const State& state) {
  for (const auto& [key, entry] : state.services) {
    if (auto r = ValidateEntry(entry); !r) return r;
  }
  return {};
}

std::string ServiceChainName(const ServiceKey& key) { return "s_" + KeyToken(key); }

std::string DestinationChainName(const ServiceKey& key, const DestinationKey& dest) {
  return "d_" + KeyToken(key) + "_" + DestToken(dest);
}

std::string SlotMapName(const ServiceKey& key) { return "v_" + KeyToken(key); }

bool DirectRouted(const ServiceEntry& entry) {
  for (const auto& [k, d] : entry.destinations) {
    if (d.forwarding == Forwarding::kDirectRoute) return true;
  }
  return false;
}

std::string TableRefFor(const ServiceEntry& entry, const Options& options) {
  return (DirectRouted(entry) ? "netdev " : "inet ") + options.table;
}

bool AddressSlots(const ServiceEntry& entry) {
  const Service& s = entry.service;
  return std::holds_alternative<AddressKey>(s.key) && !Persistent(s) && !DirectRouted(entry);
}

std::string SlotMapType(const ServiceEntry& entry) {
  const Service& s = entry.service;
  if (!AddressSlots(entry)) return "typeof numgen inc mod 1 : verdict";
  const auto& a = std::get<AddressKey>(s.key);
  return "typeof numgen inc mod 1 : " + std::string(IpWord(KeyFamily(s.key))) + " daddr . " +
         std::string(ProtocolName(a.protocol)) + " dport";
}

bool HashedSelector(const Service& s) {
  return s.scheduler == Scheduler::kSh || s.scheduler == Scheduler::kMh;
}

std::vector<DestinationKey> Slots(const ServiceEntry& entry) {
  const Service& s = entry.service;
  if (s.scheduler == Scheduler::kMh) {
    std::vector<maglev::Server> servers;
    for (const auto& [k, d] : entry.destinations) servers.push_back({k, d.weight});
    return maglev::BuildKeyTable(servers);
  }
  uint32_t g = 0;
  for (const auto& [k, d] : entry.destinations) g = std::gcd(g, d.weight);
  std::vector<DestinationKey> slots;
  if (s.scheduler == Scheduler::kSh || s.scheduler == Scheduler::kRr) {
    for (const auto& [k, d] : entry.destinations) {
      if (d.weight == 0) continue;
      const uint32_t n = s.scheduler == Scheduler::kRr ? 1 : d.weight / g;
      slots.insert(slots.end(), n, k);
    }
    return slots;
  }
  // Interleaved: round r takes each destination with more than r slots.
  std::vector<std::pair<const DestinationKey*, uint32_t>> left;
  size_t total = 0;
  for (const auto& [k, d] : entry.destinations) {
    if (d.weight == 0) continue;
    left.emplace_back(&k, d.weight / g);
    total += d.weight / g;
  }
  slots.reserve(total);
  for (uint32_t round = 0; !left.empty(); ++round) {
    std::erase_if(left, [round](const auto& e) { return e.second <= round; });
    for (const auto& [k, n] : left) slots.push_back(*k);
  }
  return slots;
}

uint16_t SlotPort(const Service& s, const DestinationKey& d) {
  return d.port != 0 ? d.port : std::get<AddressKey>(s.key).port;
}

std::vector<std::string> SlotValues(const ServiceEntry& entry,
                                    const std::vector<DestinationKey>& slots) {
  const Service& s = entry.service;
  std::vector<std::string> out;
  out.reserve(slots.size());
  for (const DestinationKey& d : slots) {
    out.push_back(AddressSlots(entry) ? d.address.ToString() + " . " + std::to_string(SlotPort(s, d))
                                  : "goto " + DestinationChainName(s.key, d));
  }
  return out;
}

std::vector<std::string> SlotValues(const ServiceEntry& entry) {
  return SlotValues(entry, Slots(entry));
}

std::vector<int64_t> SlotCommentWeights(const ServiceEntry& entry,
                                        const std::vector<DestinationKey>& slots) {
  std::vector<int64_t> out(slots.size(), -1);
  if (!AddressSlots(entry)) return out;
  std::set<DestinationKey> seen;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (!seen.insert(slots[i]).second) continue;
    if (auto it = entry.destinations.find(slots[i]); it != entry.destinations.end()) {
      out[i] = it->second.weight;
    }
  }
  return out;
}

std::vector<std::string> SlotComments(const ServiceEntry& entry,
                                      const std::vector<DestinationKey>& slots) {
  const std::vector<int64_t> weights = SlotCommentWeights(entry, slots);
  std::vector<std::string> out(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    if (weights[i] >= 0) out[i] = DestinationComment(entry.service, entry.destinations.at(slots[i]));
  }
  return out;
}

std::string PersistenceSetName(const ServiceKey& key, const DestinationKey& dest) {
  return "p_" + KeyToken(key) + "_" + DestToken(dest);
}

std::string TableRef(const Options& options) { return "inet " + options.table; }

std::string ServiceComment(const Service& s) {
  std::string prefix = s.persistence_prefix ? std::to_string(*s.persistence_prefix) : "-";
  return std::string(kServiceTag) + " " + KeyWords(s.key) + " " +
         std::string(SchedulerName(s.scheduler)) + " " + std::to_string(s.scheduler_flags) + " " +
         std::to_string(s.persistence_timeout) + " " + prefix;
}

std::string DestinationComment(const Service& s, const Destination& d) {
  return std::string(kDestinationTag) + " " + KeyWords(s.key) + " " + d.key.address.ToString() +
         " " + std::to_string(d.key.port) + " " + std::to_string(d.weight);
}

std::string RecordComment(const Service& s, const Destination& d, bool slotted) {
  if (!std::holds_alternative<AddressKey>(s.key) || Persistent(s) ||
      d.forwarding != Forwarding::kNat || !slotted) {
    return DestinationComment(s, d);
  }
  return std::string(kDestinationTag) + " " + KeyWords(s.key) + " " + d.key.address.ToString() +
         " " + std::to_string(d.key.port) + " " + std::string(kWeightInSlot);
}


std::string TableName(const std::optional<std::string>& config_id) {
  return net::NftTableName(kDefaultTable, config_id);
}

std::string RenderSkeleton(const Options& options) {
  Commands c(options);
  const std::string& t = c.table();
  c.Add("add table " + t);
  c.Add("add map " + t + " svc4 { type inet_proto . ipv4_addr . inet_service : verdict; }");
  c.Add("add map " + t + " svc6 { type inet_proto . ipv6_addr . inet_service : verdict; }");
  c.Add("add map " + t + " fwm { type nf_proto . mark : verdict; }");
  c.Add("add set " + t + " masq4 { type ipv4_addr; }");
  c.Add("add set " + t + " masq6 { type ipv6_addr; }");
  c.Add("add set " + t + " masqm { type nf_proto . mark; }");
  c.AddChain("dispatch");
  c.Rule("dispatch", "meta mark != 0 meta nfproto . meta mark vmap @fwm");
  c.Rule("dispatch", "meta l4proto . ip daddr . th dport vmap @svc4");
  c.Rule("dispatch", "meta l4proto . ip6 daddr . th dport vmap @svc6");
  c.Add("add chain " + t +
        " prerouting { type nat hook prerouting priority dstnat; policy accept; }");
  c.Rule("prerouting", "jump dispatch");
  c.Add("add chain " + t + " output { type nat hook output priority -100; policy accept; }");
  c.Rule("output", "jump dispatch");
  c.Add("add chain " + t +
        " postrouting { type nat hook postrouting priority srcnat; policy accept; }");
  c.Rule("postrouting", "ct status dnat ct original ip daddr @masq4 masquerade");
  c.Rule("postrouting", "ct status dnat ct original ip6 daddr @masq6 masquerade");
  c.Rule("postrouting", "ct status dnat meta nfproto . meta mark @masqm masquerade");
  return c.Take();
}

std::string RenderMasqueradeResync(const State& state, const Options& options) {
  Commands c(options);
  for (const char* set : {"masq4", "masq6", "masqm"}) {
    c.Add("flush set " + c.table() + " " + set);
  }
  if (options.masquerade) {
    std::set<std::pair<std::string, std::string>> elements;
    for (const auto& [key, e] : state.services) {
      if (!DirectRouted(e)) elements.insert(MasqueradeElement(key));
    }
    for (const auto& [set, element] : elements) {
      c.Add("add element " + c.table() + " " + set + " { " + element + " }");
    }
  }
  return c.Take();
}

std::string RenderDirectRouteSkeleton(const Options& options) {
  Commands c(options);
  c.Use("netdev " + options.table);
  const std::string& t = c.table();
  c.Add("add table " + t);
  c.Add("add map " + t + " dr4 { type inet_proto . ipv4_addr . inet_service : verdict; }");
  c.Add("add map " + t + " dr6 { type inet_proto . ipv6_addr . inet_service : verdict; }");
  std::string devices;
  for (const std::string& d : options.dr_hook_devices) {
    devices += (devices.empty() ? "\"" : ", \"") + d + "\"";
  }
  if (devices.empty()) devices = "\"lo\"";  // (a namespace with no other interface)
  c.Add("add chain " + t + " ingress { type filter hook ingress devices = { " + devices +
        " } priority filter; policy accept; }");
  c.FlushChain("ingress");
  // Only frames for this host: a switch floods frames for a MAC it has not learnt (or whose
  // port went down) to every port, and each director forwarding a copy would duplicate them.
  c.Rule("ingress", "meta pkttype host meta l4proto . ip daddr . th dport vmap @dr4");
  c.Rule("ingress", "meta pkttype host meta l4proto . ip6 daddr . th dport vmap @dr6");
  return c.Take();
}

std::string RenderTeardown(const Options& options) {
  // `add` first, so that deleting a table that is not there cannot fail.
  return "add table " + TableRef(options) + "\ndelete table " + TableRef(options) +
         "\nadd table netdev " + options.table + "\ndelete table netdev " + options.table +
         "\n";
}

Result<std::string> RenderOps(const std::vector<Op>& given, const State& desired,
                              const State& actual, const Options& options) {
  const std::string inet = TableRef(options);

  // Services named by the ops, in key order; those that exist now get their chain flushed
  // first so nothing refers to a destination chain or set that is about to go.
  std::set<ServiceKey> touched;
  for (const Op& op : given) touched.insert(op.service.key);
  bool any_dr = false;  // a touched service is DR as desired
  for (const ServiceKey& key : touched) {
    if (const ServiceEntry* want = desired.Find(key)) {
      if (auto r = ValidateEntry(*want); !r) return std::unexpected(r.error());
      if (auto r = ValidateDevices(*want, options); !r) return std::unexpected(r.error());
      any_dr = any_dr || DirectRouted(*want);
    }
  }
  // A service that changes tables (NAT <-> DR, or DR with no real server left) is deleted
  // from one and added to the other: its ops become exactly that.
  std::set<ServiceKey> moved;
  for (const ServiceKey& key : touched) {
    const ServiceEntry* have = actual.Find(key);
    const ServiceEntry* want = desired.Find(key);
    if (have != nullptr && want != nullptr && DirectRouted(*have) != DirectRouted(*want)) {
      moved.insert(key);
    }
  }
  std::vector<Op> moved_ops;
  const std::vector<Op>* ops_ptr = &given;
  if (!moved.empty()) {
    std::vector<Op> deletes, adds;
    for (const Op& op : given) {
      if (!moved.contains(op.service.key)) {
        (op.kind == OpKind::kDeleteDestination || op.kind == OpKind::kDeleteService ? deletes
                                                                                     : adds)
            .push_back(op);
      }
    }
    for (const ServiceKey& key : moved) {
      const ServiceEntry& have = *actual.Find(key);
      const ServiceEntry& want = *desired.Find(key);
      for (const auto& [k, d] : have.destinations) {
        deletes.push_back({OpKind::kDeleteDestination, have.service, d});
      }
      deletes.push_back({OpKind::kDeleteService, have.service, std::nullopt});
      adds.push_back({OpKind::kAddService, want.service, std::nullopt});
      for (const auto& [k, d] : want.destinations) {
        adds.push_back({OpKind::kAddDestination, want.service, d});
      }
    }
    moved_ops = std::move(deletes);
    moved_ops.insert(moved_ops.end(), adds.begin(), adds.end());
    ops_ptr = &moved_ops;
  }
  const std::vector<Op>& ops = *ops_ptr;
  // Each touched service's slots as desired, and which destinations have one.
  std::map<ServiceKey, std::vector<DestinationKey>> slots;
  std::map<ServiceKey, std::set<DestinationKey>> slotted;
  for (const ServiceKey& key : touched) {
    if (const ServiceEntry* want = desired.Find(key)) {
      slots[key] = Slots(*want);
      slotted[key] = std::set<DestinationKey>(slots[key].begin(), slots[key].end());
    }
  }
  auto has_slot = [&slotted](const ServiceKey& key, const DestinationKey& dest) {
    auto it = slotted.find(key);
    return it != slotted.end() && it->second.contains(dest);
  };
  std::set<std::pair<ServiceKey, DestinationKey>> recorded;  // records the ops rewrite
  Commands c(options);
  if (any_dr) c.Append(RenderDirectRouteSkeleton(options));
  for (const ServiceKey& key : touched) {
    const ServiceEntry* have = actual.Find(key);
    if (have == nullptr) continue;
    c.Use(TableRefFor(*have, options));
    c.FlushChain(ServiceChainName(key));
    c.Add("flush map " + c.table() + " " + SlotMapName(key));
  }

  for (const Op& op : ops) {
    const ServiceKey& key = op.service.key;
    const ServiceEntry* have = actual.Find(key);
    const ServiceEntry* want = desired.Find(key);
    auto mismatch = [&](const std::string& why) {
      return Fail(ErrorCode::kInvalidArgument, "nftables: operation '" + ToString(op) + "' " + why);
    };
    const bool deleting =
        op.kind == OpKind::kDeleteDestination || op.kind == OpKind::kDeleteService;
    if (const ServiceEntry* where = deleting ? have : want) c.Use(TableRefFor(*where, options));
    const std::string& t = c.table();
    switch (op.kind) {
      case OpKind::kDeleteDestination: {
        if (have == nullptr || !op.destination) return mismatch("names no current service");
        c.DeleteChain(DestinationChainName(key, op.destination->key));
        if (Persistent(have->service)) DeletePersistenceSet(c, have->service, op.destination->key);
        break;
      }
      case OpKind::kDeleteService: {
        if (have == nullptr) return mismatch("names no current service");
        const bool dr = DirectRouted(*have);
        auto [map, element] = DispatchElement(key, dr);
        c.Add("delete element " + t + " " + map + " { " + element + " }");
        if (options.masquerade && !dr && !VipStillUsed(desired, key)) {
          auto [set, masq] = MasqueradeElement(key);
          c.Add("delete element " + t + " " + set + " { " + masq + " }");
        }
        c.Add("delete chain " + t + " " + ServiceChainName(key));
        c.Add("delete map " + t + " " + SlotMapName(key));
        break;
      }
      case OpKind::kAddService: {
        if (want == nullptr) return mismatch("names no desired service");
        const bool dr = DirectRouted(*want);
        c.Add("add map " + t + " " + SlotMapName(key) + " { " + SlotMapType(*want) + "; }");
        c.AddChain(ServiceChainName(key));
        auto [map, element] = DispatchElement(key, dr);
        c.Add("add element " + t + " " + map + " { " + element + " : goto " +
              ServiceChainName(key) + " }");
        if (options.masquerade && !dr) {
          auto [set, masq] = MasqueradeElement(key);
          c.Add("add element " + t + " " + set + " { " + masq + " }");
        }
        break;
      }
      case OpKind::kUpdateService: {
        if (want == nullptr || have == nullptr) return mismatch("names no current service");
        if (SamePersistence(have->service, want->service)) break;
        if (SlotMapType(*have) != SlotMapType(*want)) {
          // (Flushed above, and no rule refers to it any more.)
          c.Add("delete map " + t + " " + SlotMapName(key));
          c.Add("add map " + t + " " + SlotMapName(key) + " { " + SlotMapType(*want) + "; }");
        }
        // Persistence changed: rebuild the chains (and sets) of the destinations that stay.
        for (const auto& [dkey, d] : want->destinations) {
          if (!have->destinations.contains(dkey)) continue;
          c.FlushChain(DestinationChainName(key, dkey));
          if (Persistent(have->service)) DeletePersistenceSet(c, have->service, dkey);
          if (Persistent(want->service)) AddPersistenceSet(c, want->service, dkey);
          DestinationRules(c, want->service, d, has_slot(key, dkey), options);
          recorded.emplace(key, dkey);
        }
        break;
      }
      case OpKind::kAddDestination: {
        if (want == nullptr || !op.destination) return mismatch("names no desired service");
        if (Persistent(want->service)) AddPersistenceSet(c, want->service, op.destination->key);
        c.AddChain(DestinationChainName(key, op.destination->key));
        DestinationRules(c, want->service, *op.destination, has_slot(key, op.destination->key),
                         options);
        break;
      }
      case OpKind::kUpdateDestination: {
        if (want == nullptr || !op.destination) return mismatch("names no desired service");
        c.FlushChain(DestinationChainName(key, op.destination->key));
        DestinationRules(c, want->service, *op.destination, has_slot(key, op.destination->key),
                         options);
        recorded.emplace(key, op.destination->key);
        break;
      }
    }
  }

  for (const ServiceKey& key : touched) {
    const ServiceEntry* want = desired.Find(key);
    if (want == nullptr) continue;
    c.Use(TableRefFor(*want, options));
    // A record whose comment changes although its destination does not (it gained or lost
    // its slot through the others' weights: mh) is rewritten too.
    if (const ServiceEntry* have = actual.Find(key); have != nullptr && !moved.contains(key)) {
      const std::vector<DestinationKey> before = Slots(*have);
      const std::set<DestinationKey> had_slot(before.begin(), before.end());
      for (const auto& [dkey, d] : want->destinations) {
        auto old = have->destinations.find(dkey);
        if (old == have->destinations.end() || recorded.contains({key, dkey})) continue;
        if (RecordComment(have->service, old->second, had_slot.contains(dkey)) ==
            RecordComment(want->service, d, has_slot(key, dkey))) {
          continue;
        }
        c.FlushChain(DestinationChainName(key, dkey));
        DestinationRules(c, want->service, d, has_slot(key, dkey), options);
      }
    }
    ServiceRules(c, *want, slots[key]);
  }
  // The netdev table goes with its last DR service.
  bool had_dr = false;
  for (const ServiceKey& key : touched) {
    if (const ServiceEntry* have = actual.Find(key)) had_dr = had_dr || DirectRouted(*have);
  }
  if (had_dr && !any_dr) {
    bool dr_left = false;
    for (const auto& [key, e] : desired.services) dr_left = dr_left || DirectRouted(e);
    if (!dr_left) c.Add("delete table netdev " + options.table);
  }
  return c.Take();
}

// ---------------------------------------------------------------------------------------
// Read-back.

namespace {

std::string Plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Result<uint64_t> Number(const std::string& word, uint64_t max, const std::string& comment) {
  uint64_t v = 0;
  if (word.empty() || word.size() > 20) {
    return Fail(ErrorCode::kParse,
                "nftables: bad number '" + word + "' in comment \"" + comment + "\"");
  }
  for (char ch : word) {
    if (ch < '0' || ch > '9') {
      return Fail(ErrorCode::kParse,
                  "nftables: bad number '" + word + "' in comment \"" + comment + "\"");
    }
    v = v * 10 + static_cast<uint64_t>(ch - '0');
  }
  if (v > max) {
    return Fail(ErrorCode::kParse,
                "nftables: number '" + word + "' out of range in comment \"" + comment + "\"");
  }
  return v;
}

// Parses the three key words starting at words[i].
Result<ServiceKey> ParseKeyWords(const std::vector<std::string>& w, size_t i,
                                 const std::string& comment) {
  auto bad = [&] {
    return Fail(ErrorCode::kParse, "nftables: bad service in comment \"" + comment + "\"");
  };
  if (w[i] == "fwmark") {
    FwmarkKey f;
    if (w[i + 1] == "ipv4")
      f.family = Family::kIpv4;
    else if (w[i + 1] == "ipv6")
      f.family = Family::kIpv6;
    else
      return bad();
    auto mark = Number(w[i + 2], UINT32_MAX, comment);
    if (!mark) return std::unexpected(mark.error());
    f.mark = static_cast<uint32_t>(*mark);
    return f;
  }
  auto proto = ParseProtocol(w[i]);
  auto addr = IpAddress::Parse(w[i + 1]);
  auto port = Number(w[i + 2], UINT16_MAX, comment);
  if (!proto || !addr || !port) return bad();
  return AddressKey{*proto, *addr, static_cast<uint16_t>(*port)};
}


Result<nlohmann::json> ParseJson(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("nftables") ||
      !doc["nftables"].is_array()) {
    return Fail(ErrorCode::kParse, "nftables: list output is not libnftables JSON");
  }
  return doc;
}

// A destination as a comment describes it: "vigil-dst <key words> <address> <port>
// <weight>", the weight "-" (kWeightInSlot) in a record whose slot carries it.
struct DestinationWords {
  ServiceKey key;
  Destination destination;
  bool weight_in_slot = false;
};

Result<DestinationWords> ParseDestinationComment(const std::vector<std::string>& w,
                                                 const std::string& comment) {
  if (w.size() != 7) return Fail(ErrorCode::kParse, "nftables: bad comment \"" + comment + "\"");
  auto key = ParseKeyWords(w, 1, comment);
  if (!key) return std::unexpected(key.error());
  DestinationWords out;
  out.key = *key;
  auto addr = IpAddress::Parse(w[4]);
  auto port = Number(w[5], UINT16_MAX, comment);
  out.weight_in_slot = w[6] == kWeightInSlot;
  auto weight = out.weight_in_slot ? Result<uint64_t>(0) : Number(w[6], UINT32_MAX, comment);
  if (!addr || !port || !weight) {
    return Fail(ErrorCode::kParse, "nftables: bad comment \"" + comment + "\"");
  }
  out.destination.key = DestinationKey{*addr, static_cast<uint16_t>(*port)};
  out.destination.weight = static_cast<uint32_t>(*weight);
  return out;
}

Result<State> ParseDoc(const nlohmann::json& doc) {
  State state;
  // The destinations the records describe, and those the slots' comments describe (whose
  // weights override the records').
  std::vector<DestinationWords> records, notes;
  for (const auto& item : doc["nftables"]) {
    if (item.is_object() && item.contains("map")) {
      // The comments of an address service's slots: "vigil-dst ..." with the weight.
      const auto& m = item["map"];
      if (!m.is_object() || !m.contains("elem") || !m["elem"].is_array()) continue;
      for (const auto& e : m["elem"]) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_object() || !e[0].contains("elem")) {
          continue;
        }
        const auto& elem = e[0]["elem"];
        if (!elem.is_object() || !elem.contains("comment") || !elem["comment"].is_string()) {
          continue;
        }
        const std::string comment = elem["comment"].get<std::string>();
        std::vector<std::string> w = Words(comment);
        if (w.empty() || w[0] != kDestinationTag) continue;
        auto d = ParseDestinationComment(w, comment);
        if (!d) return std::unexpected(d.error());
        if (d->weight_in_slot) {
          return Fail(ErrorCode::kParse, "nftables: bad comment \"" + comment + "\"");
        }
        notes.push_back(std::move(*d));
      }
      continue;
    }
    if (!item.is_object() || !item.contains("rule")) continue;
    const auto& rule = item["rule"];
    if (!rule.is_object() || !rule.contains("comment") || !rule["comment"].is_string()) continue;
    std::string comment = rule["comment"].get<std::string>();
    std::vector<std::string> w = Words(comment);
    if (w.empty()) continue;
    if (w[0] == kServiceTag) {
      if (w.size() != 8)
        return Fail(ErrorCode::kParse, "nftables: bad comment \"" + comment + "\"");
      auto key = ParseKeyWords(w, 1, comment);
      if (!key) return std::unexpected(key.error());
      Service s;
      s.key = *key;
      auto sched = ParseScheduler(w[4]);
      if (!sched) return Fail(ErrorCode::kParse, "nftables: bad comment \"" + comment + "\"");
      auto flags = Number(w[5], 255, comment);
      if (!flags) return std::unexpected(flags.error());
      auto timeout = Number(w[6], UINT32_MAX, comment);
      if (!timeout) return std::unexpected(timeout.error());
      s.scheduler = *sched;
      s.scheduler_flags = static_cast<uint8_t>(*flags);
      s.persistence_timeout = static_cast<uint32_t>(*timeout);
      if (w[7] != "-") {
        auto prefix = Number(w[7], 128, comment);
        if (!prefix) return std::unexpected(prefix.error());
        s.persistence_prefix = static_cast<uint8_t>(*prefix);
      }
      state.Put(s);
    } else if (w[0] == kDestinationTag) {
      auto d = ParseDestinationComment(w, comment);
      if (!d) return std::unexpected(d.error());
      // The netdev table's records are DR real servers.
      if (rule.contains("family") && rule["family"] == "netdev") {
        d->destination.forwarding = Forwarding::kDirectRoute;
      }
      records.push_back(std::move(*d));
    }
  }
  std::set<std::pair<ServiceKey, DestinationKey>> weighed;
  for (const auto* list : {&records, &notes}) {
    for (const auto& [key, d, weight_in_slot] : *list) {
      // A destination chain whose service chain is gone is left to be reported, not guessed.
      if (!state.services.contains(key)) {
        return Fail(ErrorCode::kParse, "nftables: real server " + DestinationKeyToString(d.key) +
                                           " belongs to no service (" + KeyToString(key) + ")");
      }
      state.PutDestination(key, d);
      if (!weight_in_slot) weighed.emplace(key, d.key);
    }
  }
  for (const auto& [key, d, weight_in_slot] : records) {
    if (!weighed.contains({key, d.key})) {
      return Fail(ErrorCode::kParse, "nftables: real server " + DestinationKeyToString(d.key) +
                                         " of " + KeyToString(key) +
                                         " has its weight in a slot that is missing");
    }
  }
  return state;
}

// What a table holds, object by object: rules per chain, the chains the dispatch maps'
// elements go to, and the sets (with their element counts).
struct Inventory {
  std::map<std::string, size_t> chains;                         // chain -> rules
  std::map<std::string, std::map<std::string, size_t>> maps;    // map -> goto target -> n
  std::map<std::string, size_t> sets;                           // set -> elements
};

// The inventory of the table that vigil's own commands `text` build (add commands only,
// one object per line, as the Render functions write them).
Inventory InventoryOfCommands(const std::string& text, const std::string& table) {
  Inventory inv;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto words = Words(line);
    if (words.size() < 5 || words[0] != "add" || (words[2] != "inet" && words[2] != "netdev") ||
        words[3] != table) {
      continue;
    }
    const std::string& kind = words[1];
    const std::string& name = words[4];
    if (kind == "chain") {
      inv.chains.try_emplace(name, 0);
    } else if (kind == "rule") {
      ++inv.chains[name];
    } else if (kind == "map") {
      inv.maps.try_emplace(name);
    } else if (kind == "set") {
      inv.sets.try_emplace(name, 0);
    } else if (kind == "element") {
      // One line may add several elements: "{ 0 : goto d_a, 1 : goto d_b }".
      bool map = false;
      for (size_t i = 5; i + 1 < words.size(); ++i) {
        if (words[i] != "goto") continue;
        std::string target = words[i + 1];
        if (!target.empty() && target.back() == ',') target.pop_back();
        ++inv.maps[name][target];
        map = true;
      }
      if (!map && inv.maps.contains(name)) {
        // A data map's elements: "{ 0 : 10.1.0.1 . 80, 1 : ... }", one " : " each.
        for (size_t i = 5; i < words.size(); ++i) {
          if (words[i] == ":") ++inv.maps[name][""];
        }
      } else if (!map) {
        ++inv.sets[name];
      }
    }
  }
  return inv;
}

Inventory InventoryOfJson(const nlohmann::json& doc) {
  Inventory inv;
  auto str = [](const nlohmann::json& o, const char* k) {
    return o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string();
  };
  for (const auto& item : doc["nftables"]) {
    if (!item.is_object()) continue;
    if (item.contains("chain")) {
      inv.chains.try_emplace(str(item["chain"], "name"), 0);
    } else if (item.contains("rule")) {
      ++inv.chains[str(item["rule"], "chain")];
    } else if (item.contains("map")) {
      auto& targets = inv.maps[str(item["map"], "name")];
      const auto& m = item["map"];
      if (m.contains("elem") && m["elem"].is_array()) {
        for (const auto& e : m["elem"]) {
          std::string target;
          if (e.is_array() && e.size() == 2 && e[1].is_object() && e[1].contains("goto")) {
            target = str(e[1]["goto"], "target");
          }
          ++targets[target];
        }
      }
    } else if (item.contains("set")) {
      const auto& set = item["set"];
      inv.sets[str(set, "name")] =
          set.contains("elem") && set["elem"].is_array() ? set["elem"].size() : 0;
    }
  }
  return inv;
}

}  // namespace

Result<std::string> JoinListings(std::string_view inet, std::string_view netdev) {
  auto a = ParseJson(inet);
  if (!a) return std::unexpected(a.error());
  if (netdev.empty()) return std::string(inet);
  auto b = ParseJson(netdev);
  if (!b) return std::unexpected(b.error());
  for (auto& item : (*b)["nftables"]) {
    if (item.is_object() && item.contains("metainfo")) continue;
    (*a)["nftables"].push_back(std::move(item));
  }
  return a->dump();
}

Result<State> ParseTable(std::string_view json) {
  auto doc = ParseJson(json);
  if (!doc) return std::unexpected(doc.error());
  return ParseDoc(*doc);
}

Result<std::string> RenderRebuild(const State& state, const Options& options) {
  auto ops = RenderOps(Reconcile(state, State{}), state, State{}, options);
  if (!ops) return std::unexpected(ops.error());
  // (RenderTeardown cannot fail on a missing table, and the new table is built in the same
  // transaction.)
  return RenderTeardown(options) + RenderSkeleton(options) + *ops;
}

std::vector<std::string> AuditTable(std::string_view json, const State& state,
                                    const Options& options, size_t limit) {
  std::vector<std::string> out;
  auto note = [&](std::string finding) {
    if (out.size() < limit) out.push_back(std::move(finding));
  };
  auto doc = ParseJson(json);
  if (!doc) return {doc.error().ToString()};
  auto parsed = ParseDoc(*doc);
  if (!parsed) return {"the table is inconsistent: " + parsed.error().ToString()};
  // Services and real servers, as the rule comments describe them.
  for (const auto& [key, have] : parsed->services) {
    if (!state.services.contains(key)) note("service " + KeyToString(key) + " is not vigil's");
  }
  for (std::string& d : Differences(state, *parsed, limit)) note(std::move(d));
  // Objects.
  auto expected = RenderRebuild(state, options);
  if (!expected) return {expected.error().ToString()};
  const Inventory want = InventoryOfCommands(*expected, options.table);
  const Inventory have = InventoryOfJson(*doc);
  for (const auto& [chain, rules] : want.chains) {
    auto it = have.chains.find(chain);
    if (it == have.chains.end()) {
      note("chain " + chain + " is missing");
    } else if (it->second != rules) {
      note("chain " + chain + " has " + Plural(it->second, "rule") + ", " +
           std::to_string(rules) + " expected");
    }
  }
  for (const auto& [chain, rules] : have.chains) {
    if (!want.chains.contains(chain)) note("chain " + chain + " is not vigil's");
  }
  for (const auto& [map, targets] : want.maps) {
    auto it = have.maps.find(map);
    if (it == have.maps.end()) {
      note("map " + map + " is missing");
      continue;
    }
    for (const auto& [target, n] : targets) {
      auto t = it->second.find(target);
      if (t == it->second.end() || t->second != n) {
        note("map " + map + " lacks the element that goes to " + target);
      }
    }
    for (const auto& [target, n] : it->second) {
      if (!targets.contains(target)) note("map " + map + " has an element that goes to " +
                                          (target.empty() ? std::string("no chain") : target));
    }
  }
  for (const auto& [set, elements] : want.sets) {
    auto it = have.sets.find(set);
    if (it == have.sets.end()) {
      note("set " + set + " is missing");
    } else if (set.starts_with("masq") && it->second != elements) {
      // (Persistence sets fill with clients: only the masquerade sets' contents are vigil's.)
      note("set " + set + " has " + Plural(it->second, "element") + ", " +
           std::to_string(elements) + " expected");
    }
  }
  return out;
}

}  // namespace vigil::lb::nft
