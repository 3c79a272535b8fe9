#include "vrrp/routes.h"

#include <arpa/inet.h>
#include <linux/icmpv6.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

#include "model/address.h"

namespace vigil::vrrp {
namespace {

std::optional<uint32_t> Number(const std::string& w) {
  uint32_t v = 0;
  int base = 10;
  std::string_view s = w;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

net::RawAddress Raw(const model::IpAddress& a) {
  return net::RawAddress::FromBytes(a.bytes().data(), a.is_v4() ? 4 : 16);
}

// Parses ADDR or ADDR/LEN (full length when no /LEN).
std::optional<model::IpPrefix> Prefix(const std::string& w) { return model::IpPrefix::Parse(w); }

Error Bad(const std::string& what, const std::string& word) {
  return Error(ErrorCode::kParse, what + " '" + word + "'");
}

// Walks the words of one line; Value() takes the word after the current keyword.
class Words {
 public:
  explicit Words(const std::vector<std::string>& words) : words_(words) {}
  bool Done() const { return i_ >= words_.size(); }
  const std::string& Next() { return words_[i_++]; }
  Result<std::string> Value(const std::string& keyword) {
    if (Done()) return std::unexpected(Error(ErrorCode::kParse, keyword + " needs a value"));
    return words_[i_++];
  }

 private:
  const std::vector<std::string>& words_;
  size_t i_ = 0;
};

// Reads the value of keyword `w` as a number at most `max`.
Result<uint32_t> NumberValue(Words& in, const std::string& w, uint32_t max = UINT32_MAX) {
  auto v = in.Value(w);
  if (!v) return std::unexpected(v.error());
  auto n = Number(*v);
  if (!n || *n > max) return std::unexpected(Bad("not a " + w + ":", *v));
  return *n;
}

// A route metric keepalived 2.2.7 takes: its word, RTAX type, whether `lock` may precede
// the value, and the largest value.
struct Metric {
  std::string_view word;
  uint16_t type;
  bool lockable;
  uint32_t max;
};
constexpr Metric kMetrics[] = {
    {"mtu", RTAX_MTU, true, UINT32_MAX},
    {"advmss", RTAX_ADVMSS, true, UINT32_MAX},
    {"reordering", RTAX_REORDERING, true, UINT32_MAX},
    {"window", RTAX_WINDOW, false, UINT32_MAX},
    {"cwnd", RTAX_CWND, true, UINT32_MAX},
    {"ssthresh", RTAX_SSTHRESH, true, UINT32_MAX},
    {"hoplimit", RTAX_HOPLIMIT, false, 255},
    {"initcwnd", RTAX_INITCWND, false, UINT32_MAX},
    {"initrwnd", RTAX_INITRWND, false, UINT32_MAX},
    {"quickack", RTAX_QUICKACK, false, 1},
    {"fastopen_no_cookie", RTAX_FASTOPEN_NO_COOKIE, false, 1},
};

// Parses realms [FROM/]TO into FROM << 16 | TO.
std::optional<uint32_t> Realms(const std::string& w) {
  const size_t slash = w.find('/');
  auto from = slash == std::string::npos ? std::optional<uint32_t>(0) : Number(w.substr(0, slash));
  auto to = Number(slash == std::string::npos ? w : w.substr(slash + 1));
  if (!from || !to || *from > 0xffff || *to > 0xffff) return std::nullopt;
  return *from << 16 | *to;
}

// A route type keepalived takes before the destination (rt_names' rtntype words).
std::optional<uint8_t> RouteType(const std::string& w) {
  static constexpr std::pair<std::string_view, uint8_t> kTypes[] = {
      {"unicast", RTN_UNICAST},     {"local", RTN_LOCAL},         {"broadcast", RTN_BROADCAST},
      {"anycast", RTN_ANYCAST},     {"multicast", RTN_MULTICAST}, {"blackhole", RTN_BLACKHOLE},
      {"unreachable", RTN_UNREACHABLE}, {"prohibit", RTN_PROHIBIT}, {"throw", RTN_THROW},
      {"nat", RTN_NAT}};
  for (const auto& [name, type] : kTypes)
    if (w == name) return type;
  return std::nullopt;
}

// Reads the value of keyword `realms`.
Result<uint32_t> RealmsValue(Words& in) {
  auto v = in.Value("realms");
  if (!v) return std::unexpected(v.error());
  auto realms = Realms(*v);
  if (!realms) return std::unexpected(Bad("not realms:", *v));
  return *realms;
}

// Reads `tos`/`dsfield` or `realms`, which routes and rules share, into `spec`; nullopt
// when `w` is neither.
template <typename Spec>
std::optional<Result<void>> TosOrRealms(Words& in, const std::string& w, Spec& spec) {
  if (w == "tos" || w == "dsfield") {
    auto n = NumberValue(in, w, 255);
    if (!n) return std::unexpected(n.error());
    spec.tos = static_cast<uint8_t>(*n);
    return Result<void>{};
  }
  if (w != "realms") return std::nullopt;
  auto realms = RealmsValue(in);
  if (!realms) return std::unexpected(realms.error());
  spec.realms = *realms;
  return Result<void>{};
}

// Parses N or N-M (each at most `max`) into (first, last).
std::optional<std::pair<uint32_t, uint32_t>> Range(const std::string& w, uint32_t max) {
  const size_t dash = w.find('-');
  auto first = Number(w.substr(0, dash));
  auto last = dash == std::string::npos ? first : Number(w.substr(dash + 1));
  if (!first || !last || *first > max || *last > max) return std::nullopt;
  return std::pair{*first, *last};
}

// An IP protocol by number or by the names keepalived's users write.
std::optional<uint32_t> IpProto(const std::string& w) {
  static constexpr std::pair<std::string_view, uint32_t> kNames[] = {
      {"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"dccp", 33}, {"gre", 47}, {"esp", 50},
      {"ah", 51}, {"ipv6-icmp", 58}, {"sctp", 132}, {"udplite", 136}};
  for (const auto& [name, number] : kNames)
    if (w == name) return number;
  return Number(w);
}

// keepalived 2.2.7's rtt / rttvar / rto_min value (get_time_rtt), in the kernel's units of
// 1/(1000 * `mult`) s: N (already in those units), Nms, or N[.ddd]s / sec / secs (case
// aside); then clamped to 200 ms .. 120 s. nullopt when malformed or, before the units are
// applied, above 120000 * `mult`.
std::optional<uint32_t> RttValue(const std::string& w, uint32_t mult) {
  constexpr uint64_t kMinMs = 200, kMaxMs = 120000;
  std::string number = w;
  int decimals = 0;  // the fractional digits the unit allows (seconds: to the millisecond)
  bool raw = true;
  if (const size_t s = w.find_first_of("sS"); s != std::string::npos) {
    std::string unit = w.substr(s);
    std::transform(unit.begin(), unit.end(), unit.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (unit != "s" && unit != "sec" && unit != "secs") return std::nullopt;
    raw = false;
    size_t end = s;
    if (end > 0 && std::tolower(static_cast<unsigned char>(w[end - 1])) == 'm') {
      --end;
    } else {
      decimals = 3;
    }
    if (end == 0) return std::nullopt;
    number = w.substr(0, end);
  }
  const size_t dot = number.find('.');
  std::string digits = number.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : number.substr(dot + 1);
  if (fraction.size() > static_cast<size_t>(decimals)) return std::nullopt;
  fraction.resize(decimals, '0');
  digits += fraction;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
      digits.size() > 15)
    return std::nullopt;
  uint64_t value = std::stoull(digits);
  if (value > kMaxMs * mult) return std::nullopt;
  if (!raw) value *= mult;
  return static_cast<uint32_t>(std::clamp<uint64_t>(value, kMinMs * mult, kMaxMs * mult));
}

// Sets metric `type` of `r` to `value` (once: a later word replaces an earlier one).
void SetMetric(net::RouteSpec& r, uint16_t type, uint32_t value) {
  for (auto& [t, v] : r.metrics)
    if (t == type) {
      v = value;
      return;
    }
  r.metrics.emplace_back(type, value);
}

}  // namespace

std::string LineText(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) (out += out.empty() ? "" : " ") += w;
  return out;
}

Result<net::RouteSpec> ParseRoute(const std::vector<std::string>& words,
                                  const std::string& default_dev, const IfindexLookup& ifindex,
                                  const RtNames& names) {
  net::RouteSpec r;
  // As keepalived 2.2.7's routes: scope global unless given, and made by "keepalived"
  // (protocol 18) unless a `protocol` is given and the route is not tracked (no_track).
  r.scope = RT_SCOPE_UNIVERSE;
  std::optional<std::uint8_t> protocol;
  bool no_track = false;
  uint32_t lock = 0;  // RTAX_LOCK: the bits of the locked metrics
  bool have_dst = false;
  bool have_dev = false;
  int family = AF_UNSPEC;
  for (Words in(words); !in.Done();) {
    const std::string& w = in.Next();
    auto next = [&](const char* what) { return in.Value(what); };
    // The value of metric `what`, after a `lock` (which sets `type`'s bit in RTAX_LOCK) where
    // the metric may be locked.
    auto metric_value = [&](const char* what, uint16_t type, bool lockable) {
      auto v = next(what);
      if (v && lockable && *v == "lock") {
        lock |= 1u << type;
        v = next(what);
      }
      return v;
    };
    if (auto type = RouteType(w); type && !have_dst) {
      r.type = *type;
    } else if (auto read = TosOrRealms(in, w, r)) {
      if (!*read) return std::unexpected(read->error());
    } else if (w == "pref") {
      auto v = next("pref");
      if (!v) return std::unexpected(v.error());
      if (*v != "low" && *v != "medium" && *v != "high")
        return std::unexpected(Bad("not a route preference:", *v));
      r.pref = *v == "low" ? ICMPV6_ROUTER_PREF_LOW
               : *v == "high" ? ICMPV6_ROUTER_PREF_HIGH : ICMPV6_ROUTER_PREF_MEDIUM;
      family = AF_INET6;
    } else if (w == "append" || w == "prepend" || w == "add") {
      r.append = w == "append";
    } else if (w == "nexthop") {
      // As keepalived: the rest of the line is nexthop groups.
      for (bool more = true; more;) {
        more = false;
        net::Nexthop nh;
        while (!in.Done()) {
          const std::string& x = in.Next();
          if (x == "nexthop") {
            more = true;
            break;
          }
          auto v = x == "onlink" ? Result<std::string>("") : in.Value(x);
          if (!v) return std::unexpected(v.error());
          if (x == "via" && (*v == "inet" || *v == "inet6")) v = in.Value(x);
          if (!v) return std::unexpected(v.error());
          if (x == "via") {
            auto a = model::IpAddress::Parse(*v);
            if (!a) return std::unexpected(Bad("not a gateway address:", *v));
            nh.gateway = Raw(*a);
            if (family == AF_UNSPEC) family = a->is_v4() ? AF_INET : AF_INET6;
          } else if (x == "dev") {
            nh.oif = ifindex(*v);
            if (nh.oif == 0) return std::unexpected(Bad("no interface", *v));
          } else if (x == "weight") {
            auto n = Number(*v);
            if (!n || *n < 1 || *n > 256) return std::unexpected(Bad("not a weight:", *v));
            nh.hops = static_cast<uint8_t>(*n - 1);
          } else if (x == "onlink") {
            nh.flags |= RTNH_F_ONLINK;
          } else if (x == "realms") {
            auto realms = Realms(*v);
            if (!realms) return std::unexpected(Bad("not realms:", *v));
            nh.realms = *realms;
          } else {
            return std::unexpected(Bad("unsupported nexthop option", x));
          }
        }
        r.nexthops.push_back(nh);
      }
    } else if (w == "inet6") {
      family = AF_INET6;
    } else if (w == "via" || w == "gw") {
      auto v = next("via");
      if (!v) return std::unexpected(v.error());
      if (*v == "inet" || *v == "inet6") {
        v = next("via");
        if (!v) return std::unexpected(v.error());
      }
      auto a = model::IpAddress::Parse(*v);
      if (!a) return std::unexpected(Bad("not a gateway address:", *v));
      r.gateway = Raw(*a);
    } else if (w == "dev" || w == "oif") {
      auto v = next("dev");
      if (!v) return std::unexpected(v.error());
      r.oif = ifindex(*v);
      if (r.oif == 0) return std::unexpected(Bad("no interface", *v));
      have_dev = true;
    } else if (w == "src") {
      auto v = next("src");
      if (!v) return std::unexpected(v.error());
      auto a = model::IpAddress::Parse(*v);
      if (!a) return std::unexpected(Bad("not a source address:", *v));
      r.prefsrc = Raw(*a);
    } else if (w == "metric" || w == "preference" || w == "priority") {
      auto n = NumberValue(in, "metric");
      if (!n) return std::unexpected(n.error());
      r.metric = *n;
    } else if (w == "table") {
      auto v = next("table");
      if (!v) return std::unexpected(v.error());
      auto n = names.Find(RtNames::Kind::kTable, *v);
      if (!n) return std::unexpected(Bad("not a table:", *v));
      r.table = *n;
    } else if (w == "scope") {
      auto v = next("scope");
      if (!v) return std::unexpected(v.error());
      auto n = *v == "universe" ? std::optional<uint32_t>(RT_SCOPE_UNIVERSE)
                                : names.Find(RtNames::Kind::kScope, *v);
      if (!n) return std::unexpected(Bad("not a scope:", *v));
      r.scope = static_cast<uint8_t>(*n);
    } else if (w == "protocol") {
      auto v = next("protocol");
      if (!v) return std::unexpected(v.error());
      auto n = names.Find(RtNames::Kind::kProtocol, *v);
      if (!n) return std::unexpected(Bad("not a protocol:", *v));
      protocol = static_cast<uint8_t>(*n);
    } else if (auto m = std::find_if(std::begin(kMetrics), std::end(kMetrics),
                                     [&](const Metric& k) { return k.word == w; });
               m != std::end(kMetrics)) {
      auto v = metric_value(m->word.data(), m->type, m->lockable);
      if (!v) return std::unexpected(v.error());
      auto n = Number(*v);
      if (!n || *n > m->max) return std::unexpected(Bad("not a " + w + ":", *v));
      SetMetric(r, m->type, *n);
    } else if (w == "rtt" || w == "rttvar" || w == "rto_min") {
      // Units of 1/8000 s, 1/4000 s and 1/1000 s, as keepalived's.
      const uint16_t type = w == "rtt" ? RTAX_RTT : w == "rttvar" ? RTAX_RTTVAR : RTAX_RTO_MIN;
      const uint32_t mult = w == "rtt" ? 8 : w == "rttvar" ? 4 : 1;
      auto v = metric_value(w.c_str(), type, true);
      if (!v) return std::unexpected(v.error());
      auto n = RttValue(*v, mult);
      if (!n) return std::unexpected(Bad("not a " + w + ":", *v));
      SetMetric(r, type, *n);
    } else if (w == "features") {
      auto v = next("features");
      if (!v) return std::unexpected(v.error());
      if (*v != "ecn") return std::unexpected(Bad("not a route feature:", *v));
      SetMetric(r, RTAX_FEATURES, RTAX_FEATURE_ECN);
    } else if (w == "congctl") {
      auto v = metric_value("congctl", RTAX_CC_ALGO, true);
      if (!v) return std::unexpected(v.error());
      r.congctl = *v;
    } else if (w == "onlink") {
      r.flags |= RTNH_F_ONLINK;
    } else if (w == "no_track") {
      no_track = true;
    } else if (!have_dst && w == "default") {
      have_dst = true;
    } else if (!have_dst && (w == "to")) {
      continue;
    } else if (!have_dst) {
      auto p = Prefix(w);
      if (!p) return std::unexpected(Bad("not a destination:", w));
      r.dst = Raw(p->address);
      r.dst_len = p->length;
      family = p->address.is_v4() ? AF_INET : AF_INET6;
      have_dst = true;
    } else {
      return std::unexpected(Bad("unsupported route option", w));
    }
  }
  if (!have_dst) return std::unexpected(Error(ErrorCode::kParse, "route has no destination"));
  r.protocol = protocol && no_track ? *protocol : RTPROT_KEEPALIVED;
  if (lock) SetMetric(r, RTAX_LOCK, lock);
  std::sort(r.metrics.begin(), r.metrics.end());
  if (family == AF_UNSPEC && r.gateway) family = r.gateway->family;
  r.family = family == AF_UNSPEC ? AF_INET : family;
  if (!have_dev && !r.gateway && r.type == RTN_UNICAST && r.nexthops.empty()) {
    r.oif = ifindex(default_dev);
    if (r.oif == 0) return std::unexpected(Bad("no interface", default_dev));
  }
  return r;
}

Result<net::RuleSpec> ParseRule(const std::vector<std::string>& words, const RtNames& names) {
  net::RuleSpec r;
  int family = AF_UNSPEC;
  bool no_track = false;
  std::optional<uint8_t> action;  // as keepalived: exactly one of table/goto/nop/... given
  auto set_action = [&](uint8_t a) -> Result<void> {
    if (action)
      return std::unexpected(Error(ErrorCode::kParse,
                                   "more than one of table, goto, nop, blackhole, unreachable, "
                                   "prohibit and l3mdev"));
    action = a;
    return {};
  };

  for (Words in(words); !in.Done();) {
    const std::string& w = in.Next();
    auto next = [&](const std::string& what) { return in.Value(what); };
    if (w == "inet6") {
      family = AF_INET6;
    } else if (w == "from" || w == "to") {
      auto v = next(w.c_str());
      if (!v) return std::unexpected(v.error());
      if (*v == "all") continue;
      auto p = Prefix(*v);
      if (!p) return std::unexpected(Bad("not an address:", *v));
      family = p->address.is_v4() ? AF_INET : AF_INET6;
      if (w == "from") {
        r.src = Raw(p->address);
        r.src_len = p->length;
      } else {
        r.dst = Raw(p->address);
        r.dst_len = p->length;
      }
    } else if (w == "table" || w == "lookup") {
      auto v = next("table");
      if (!v) return std::unexpected(v.error());
      auto n = names.Find(RtNames::Kind::kTable, *v);
      if (!n || *n == 0) return std::unexpected(Bad("not a table:", *v));
      r.table = *n;
      if (auto a = set_action(FR_ACT_TO_TBL); !a) return std::unexpected(a.error());
    } else if (w == "not") {
      r.invert = true;
    } else if (auto read = TosOrRealms(in, w, r)) {
      if (!*read) return std::unexpected(read->error());
    } else if (w == "suppress_prefixlength" || w == "sup_pl") {
      auto n = NumberValue(in, w, INT32_MAX);
      if (!n) return std::unexpected(n.error());
      r.suppress_prefixlen = *n;
    } else if (w == "suppress_ifgroup" || w == "sup_group") {
      auto n = NumberValue(in, w, UINT32_MAX);
      if (!n) return std::unexpected(n.error());
      r.suppress_ifgroup = *n;
    } else if (w == "uidrange") {
      auto v = next(w);
      if (!v) return std::unexpected(v.error());
      auto range = v->find('-') == std::string::npos ? std::nullopt : Range(*v, UINT32_MAX);
      if (!range) return std::unexpected(Bad("not a uidrange:", *v));
      r.uid_range = *range;
    } else if (w == "sport" || w == "dport") {
      auto v = next(w);
      if (!v) return std::unexpected(v.error());
      auto range = Range(*v, 65535);
      if (!range) return std::unexpected(Bad("not a port range:", *v));
      (w == "sport" ? r.sport : r.dport) =
          std::pair{static_cast<uint16_t>(range->first), static_cast<uint16_t>(range->second)};
    } else if (w == "ipproto") {
      auto v = next(w);
      if (!v) return std::unexpected(v.error());
      auto n = IpProto(*v);
      if (!n || *n > 255) return std::unexpected(Bad("not an IP protocol:", *v));
      r.ip_proto = static_cast<uint8_t>(*n);
    } else if (w == "l3mdev") {
      r.l3mdev = true;
      if (auto a = set_action(FR_ACT_TO_TBL); !a) return std::unexpected(a.error());
    } else if (w == "type") {
      continue;  // the action's word follows
    } else if (w == "goto") {
      auto n = NumberValue(in, w, UINT32_MAX);
      if (!n) return std::unexpected(n.error());
      r.goto_target = *n;
      if (auto a = set_action(FR_ACT_GOTO); !a) return std::unexpected(a.error());
    } else if (w == "nop" || w == "blackhole" || w == "unreachable" || w == "prohibit") {
      const uint8_t a = w == "nop"         ? FR_ACT_NOP
                        : w == "blackhole" ? FR_ACT_BLACKHOLE
                        : w == "unreachable" ? FR_ACT_UNREACHABLE
                                             : FR_ACT_PROHIBIT;
      if (auto s = set_action(a); !s) return std::unexpected(s.error());
    } else if (w == "priority" || w == "preference" || w == "order") {
      auto v = next("priority");
      if (!v) return std::unexpected(v.error());
      auto n = Number(*v);
      if (!n) return std::unexpected(Bad("not a priority:", *v));
      r.priority = *n;
    } else if (w == "fwmark") {
      auto v = next("fwmark");
      if (!v) return std::unexpected(v.error());
      std::string mark = *v, mask;
      if (auto slash = mark.find('/'); slash != std::string::npos) {
        mask = mark.substr(slash + 1);
        mark.resize(slash);
      }
      auto m = Number(mark);
      if (!m) return std::unexpected(Bad("not a fwmark:", *v));
      r.fwmark = *m;
      if (!mask.empty()) {
        auto k = Number(mask);
        if (!k) return std::unexpected(Bad("not a fwmark mask:", *v));
        r.fwmask = *k;
      }
    } else if (w == "iif" || w == "dev" || w == "oif") {
      auto v = next(w);
      if (!v) return std::unexpected(v.error());
      (w == "oif" ? r.oifname : r.iifname) = *v;
    } else if (w == "protocol") {
      auto v = next(w);
      if (!v) return std::unexpected(v.error());
      auto n = names.Find(RtNames::Kind::kProtocol, *v);
      if (!n) return std::unexpected(Bad("not a protocol:", *v));
      r.protocol = static_cast<uint8_t>(*n);
    } else if (w == "no_track") {
      no_track = true;
    } else {
      return std::unexpected(Bad("unsupported rule option", w));
    }
  }
  // As keepalived 2.2.7's rules: one action, a goto forward from a preference, made by
  // "keepalived" (protocol 18) unless not tracked.
  if (!action)
    return std::unexpected(Error(ErrorCode::kParse,
                                 "no action (table, goto, nop, blackhole, unreachable, "
                                 "prohibit or l3mdev)"));
  r.action = *action;
  if (r.action == FR_ACT_GOTO && (!r.priority || *r.priority >= r.goto_target))
    return std::unexpected(Error(ErrorCode::kParse, "goto " + std::to_string(r.goto_target) +
                                                        " needs a lower preference"));
  if (r.action != FR_ACT_TO_TBL && (r.realms || r.suppress_prefixlen || r.suppress_ifgroup))
    return std::unexpected(
        Error(ErrorCode::kParse, "realms, suppress_prefixlength and suppress_ifgroup need a table"));
  if (!no_track) r.protocol = RTPROT_KEEPALIVED;
  r.family = family == AF_UNSPEC ? AF_INET : family;
  return r;
}

}  // namespace vigil::vrrp
