#include "check/from_model.h"

#include <algorithm>
#include <bit>
#include <variant>

#include "check/body_check.h"
#include "check/probe_logic.h"

namespace vigil::check {

namespace {


// The protocol of an address service: keepalived sends 0 to the kernel, which means UDP.
lb::Protocol ServiceProtocol(model::Protocol p) {
  switch (p) {
    case model::Protocol::kTcp:
      return lb::Protocol::kTcp;
    case model::Protocol::kSctp:
      return lb::Protocol::kSctp;
    case model::Protocol::kUdp:
    case model::Protocol::kNone:
      break;
  }
  return lb::Protocol::kUdp;
}

std::string_view ProtocolWord(model::Protocol p) {
  switch (p) {
    case model::Protocol::kTcp:
      return "tcp";
    case model::Protocol::kUdp:
      return "udp";
    case model::Protocol::kSctp:
      return "sctp";
    case model::Protocol::kNone:
      break;
  }
  return "none";
}

// The protocol word keepalived prints for `vs`: address services without one become UDP.
std::string_view VsProtocolWord(const model::VirtualServer& vs) {
  if (vs.protocol == model::Protocol::kNone && !vs.fwmark && !vs.group) return "udp";
  return ProtocolWord(vs.protocol);
}

lb::Family ToLbFamily(model::Family f) {
  return f == model::Family::kIpv6 ? lb::Family::kIpv6 : lb::Family::kIpv4;
}

lb::Forwarding ToLbForwarding(model::LbKind k) {
  switch (k) {
    case model::LbKind::kDr:
      return lb::Forwarding::kDirectRoute;
    case model::LbKind::kTun:
      return lb::Forwarding::kTunnel;
    case model::LbKind::kNat:
      break;
  }
  return lb::Forwarding::kNat;
}

lb::Tunnel ToLbTunnel(const model::Forwarding& f) {
  lb::Tunnel t;
  switch (f.tunnel_type) {
    case model::TunnelType::kIpip:
      t.type = lb::TunnelType::kIpip;
      break;
    case model::TunnelType::kGue:
      t.type = lb::TunnelType::kGue;
      t.port = f.tunnel_port;
      break;
    case model::TunnelType::kGre:
      t.type = lb::TunnelType::kGre;
      break;
  }
  if (t.type != lb::TunnelType::kIpip) {
    if (f.tunnel_checksum == model::TunnelChecksum::kCsum) t.flags = lb::kTunnelFlagCsum;
    if (f.tunnel_checksum == model::TunnelChecksum::kRemCsum) t.flags = lb::kTunnelFlagRemCsum;
  }
  return t;
}

int LeadingOnes(const model::IpAddress& mask) {
  const size_t n = mask.is_v4() ? 4 : 16;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t b = mask.bytes()[i];
    bits += std::countl_one(b);
    if (b != 0xff) break;
  }
  return bits;
}

HttpVersion ToHttpVersion(model::HttpProtocol p) {
  switch (p) {
    case model::HttpProtocol::k10C:
      return HttpVersion::k10Close;
    case model::HttpProtocol::k11:
      return HttpVersion::k11;
    case model::HttpProtocol::k10:
      break;
  }
  return HttpVersion::k10;
}


// keepalived has one JIT stack for every url with regex_stack: the largest start and the
// largest max any of them gives.
struct RegexStack {
  size_t start = 0;
  size_t max = 0;
};
RegexStack SharedRegexStack(const model::Config& config) {
  RegexStack out;
  for (const model::VirtualServer& vs : config.virtual_servers)
    for (const model::RealServer& rs : vs.real_servers)
      for (const model::CheckSpec& c : rs.checks)
        if (const auto* h = c.detail.get_if<model::HttpCheck>())
          for (const model::Url& u : h->urls) {
            out.start = std::max<size_t>(out.start, u.regex_stack_start);
            out.max = std::max<size_t>(out.max, u.regex_stack_max);
          }
  return out;
}

Result<CheckParams> ToParams(const model::CheckDetail& detail, const model::Config& config,
                             const UserResolver& resolve) {
  struct Visitor {
    const model::Config& config;
    const UserResolver& resolve;

    Result<CheckParams> operator()(const model::TcpCheck&) const { return TcpCheck{}; }
    Result<CheckParams> operator()(const model::HttpCheck& h) const {
      HttpCheck out;
      out.tls = h.ssl;
      out.version = ToHttpVersion(h.http_protocol);
      out.virtualhost = h.virtualhost.value_or("");
      for (const model::Url& u : h.urls) {
        HttpUrl url;
        url.path = u.path;
        url.digest = u.digest.value_or("");
        url.virtualhost = u.virtualhost.value_or("");
        for (const model::StatusRange& r : u.status_codes) url.status_codes.emplace_back(r.low, r.high);
        url.regex = u.regex.value_or("");
        url.regex_no_match = u.regex_no_match;
        url.regex_options = RegexOptionBits(u.regex_options);
        url.regex_min_offset = u.regex_min_offset;
        url.regex_max_offset = u.regex_max_offset;
        if (u.regex_stack_max != 0) {
          const RegexStack stack = SharedRegexStack(config);
          url.regex_stack_start = stack.start;
          url.regex_stack_max = stack.max;
        }
        url.tls_compliant = h.ssl && (u.tls_compliant || h.tls_compliant);
        out.urls.push_back(std::move(url));
      }
      if (h.ssl) {
        if (config.ssl) {
          out.tls_options.ca_file = config.ssl->ca.value_or("");
          out.tls_options.certificate_file = config.ssl->certificate.value_or("");
          out.tls_options.key_file = config.ssl->key.value_or("");
          out.tls_options.password = config.ssl->password.value_or("");
        }
        out.tls_options.enable_sni = h.enable_sni;
        out.tls_options.sni_name = h.sni_name.value_or("");
      }
      return out;
    }
    Result<CheckParams> operator()(const model::MiscCheck& m) const {
      MiscCheck out;
      out.argv = CommandArgv(m.path.command, m.path.program);
      if (out.argv.empty()) return Fail(ErrorCode::kInvalidArgument, "MISC_CHECK: empty misc_path");
      out.path = m.path.real_program.value_or("");
      out.timeout = m.timeout;
      out.dynamic = m.dynamic;
      // A user that does not resolve, or an unsafe file, is a check that fails at every
      // run (never one that runs as root).
      auto prepared = PrepareScript(out.argv, out.path, m.path.user, m.path.group,
                                    model::ScriptDefaultsOf(config.global),
                                    resolve);
      if (prepared) {
        out.uid = prepared->uid;
        out.gid = prepared->gid;
      } else {
        out.refused = prepared.error().ToString();
      }
      return out;
    }
    Result<CheckParams> operator()(const model::SmtpCheck& s) const {
      SmtpCheck out;
      if (s.helo_name) out.helo_name = *s.helo_name;
      return out;
    }
    Result<CheckParams> operator()(const model::DnsCheck& d) const {
      auto type = DnsTypeFromName(d.type);
      if (!type) return Fail(ErrorCode::kInvalidArgument, "DNS_CHECK: unknown type '" + d.type + "'");
      return DnsCheck{*type, d.name};
    }
    Result<CheckParams> operator()(const model::UdpCheck& u) const {
      UdpCheck out;
      out.payload = u.payload;
      out.require_reply = u.require_reply;
      out.reply_data = u.reply;
      if (u.min_reply_length) out.min_reply_length = *u.min_reply_length;
      if (u.max_reply_length) out.max_reply_length = *u.max_reply_length;
      return out;
    }
    Result<CheckParams> operator()(const model::PingCheck&) const { return PingCheck{}; }
    Result<CheckParams> operator()(const model::FileCheck& f) const {
      for (const model::TrackFile& t : config.track_files) {
        if (t.name != f.track_file) continue;
        FileCheck out;
        out.path = t.path;
        out.weight = f.weight.value_or(t.weight);
        out.reverse = f.reverse || t.weight_reverse;
        return out;
      }
      return Fail(ErrorCode::kNotFound, "FILE_CHECK: unknown track_file '" + f.track_file + "'");
    }
    Result<CheckParams> operator()(const model::BfdCheck& b) const {
      return BfdCheck{b.name};
    }
  };
  return detail.visit(Visitor{config, resolve});
}

}  // namespace

std::string AddressPortName(const model::IpAddress& address, uint16_t port) {
  std::string a = address.ToString();
  if (address.is_v6()) a = "[" + a + "]";
  return a + ":" + std::to_string(port);
}

std::string VirtualServerName(const model::VirtualServer& vs) {
  if (vs.group) return "group " + *vs.group;
  if (vs.fwmark) return "fwmark " + std::to_string(*vs.fwmark);
  if (!vs.address) return "?";
  return AddressPortName(*vs.address, vs.port) + "/" + std::string(VsProtocolWord(vs));
}

std::string KeepalivedVsName(const model::VirtualServer& vs) {
  if (vs.group) return "[" + *vs.group + "]:" + std::to_string(vs.port);
  if (vs.fwmark) return "FWM " + std::to_string(*vs.fwmark);
  const std::string addr = vs.address ? vs.address->ToString() : "";
  return "[" + addr + "]:" + std::string(VsProtocolWord(vs)) + ":" + std::to_string(vs.port);
}

std::string KeepalivedRsName(const model::RealServer& rs, const model::VirtualServer& vs) {
  const std::string address = rs.address.ToString();
  const std::string_view protocol = VsProtocolWord(vs);
  std::string out;
  out.reserve(address.size() + protocol.size() + 9);
  out += '[';
  out += address;
  out += "]:";
  out += protocol;
  out += ':';
  out += std::to_string(rs.port);
  return out;
}

std::string KeepalivedRsName(const model::SorryServer& rs, const model::VirtualServer& vs) {
  const uint16_t port = rs.port != 0 ? rs.port : vs.port;
  return "[" + rs.address.ToString() + "]:" + std::string(VsProtocolWord(vs)) + ":" +
         std::to_string(port);
}

Result<SpawnSpec> ScriptSpawnSpec(const model::Script& script, const model::Global& global,
                                  const UserResolver& resolve) {
  auto argv = CommandArgv(script.command, script.program);
  if (argv.empty()) return Fail(ErrorCode::kInvalidArgument, "empty script command");
  return PrepareScript(std::move(argv), script.real_program.value_or(""), script.user,
                       script.group, model::ScriptDefaultsOf(global), resolve);
}

CheckTiming ToTiming(const model::CheckSpec& check) {
  CheckTiming t;
  t.delay_loop = check.delay_loop;
  t.delay_before_retry = check.delay_before_retry;
  t.warmup = check.warmup;
  t.retry = check.retry;
  t.alpha = check.alpha;
  t.log_all_failures = check.log_all_failures;
  if (const auto* http = check.detail.get_if<model::HttpCheck>()) {
    t.confirm_recovery = true;
    t.fast_recovery = http->fast_recovery;
  }
  return t;
}

Result<ProbeSpec> ToProbeSpec(const model::CheckSpec& check, const model::RealServer& rs,
                              const model::Config& config, const UserResolver& resolve) {
  ProbeSpec spec;
  auto params = ToParams(check.detail, config, resolve);
  if (!params) return std::unexpected(params.error());
  spec.params = std::move(*params);
  ConnectOptions& c = spec.connect;
  c.address = check.connect_ip ? check.connect_ip->ToString() : rs.address.ToString();
  c.port = check.connect_port.value_or(rs.port);
  c.bind_address = check.bindto ? check.bindto->ToString() : "";
  c.bind_port = check.bind_port.value_or(0);
  c.bind_if = check.bind_if.value_or("");
  c.fwmark = check.fwmark.value_or(0);
  c.connect_timeout = check.connect_timeout;
  return spec;
}

Result<VirtualServerSpec> ToVirtualServerSpec(const model::VirtualServer& vs,
                                              const model::Config& config,
                                              const UserResolver& resolve) {
  VirtualServerSpec out;
  out.config.name = KeepalivedVsName(vs);
  out.config.quorum = vs.quorum;
  out.config.hysteresis = vs.hysteresis;
  for (const model::RawSetting& s : config.global.other) {
    if (s.keyword == "rs_init_notifies") out.config.rs_init_notifies = true;
  }
  out.config.real_servers.reserve(vs.real_servers.size());
  size_t checks = 0;
  for (const model::RealServer& rs : vs.real_servers) checks += rs.checks.size();
  out.checkers.reserve(checks);
  for (size_t i = 0; i < vs.real_servers.size(); ++i) {
    const model::RealServer& rs = vs.real_servers[i];
    out.config.real_servers.push_back(RealServerConfig{
        KeepalivedRsName(rs, vs), static_cast<int64_t>(rs.weight), rs.inhibit_on_failure});
    for (const model::CheckSpec& c : rs.checks) {
      auto probe = ToProbeSpec(c, rs, config, resolve);
      if (!probe) {
        return Fail(probe.error().code(), VirtualServerName(vs) + " real server " +
                                              AddressPortName(rs.address, rs.port) + ": " +
                                              probe.error().ToString());
      }
      out.checkers.push_back(CheckerSpec{i, std::move(*probe), ToTiming(c)});
    }
  }
  if (vs.sorry_server) {
    out.config.sorry_server =
        RealServerConfig{KeepalivedRsName(*vs.sorry_server, vs), 1, vs.sorry_server->inhibit};
  }
  return out;
}

std::optional<lb::IpAddress> ToLbAddress(const model::IpAddress& address) {
  if (address.is_v4()) return lb::IpAddress::FromBytes(lb::Family::kIpv4, address.bytes().data());
  if (address.is_v6()) return lb::IpAddress::FromBytes(lb::Family::kIpv6, address.bytes().data());
  return std::nullopt;
}

lb::Scheduler ToScheduler(model::Scheduler s) {
  switch (s) {
    case model::Scheduler::kRr: return lb::Scheduler::kRr;
    case model::Scheduler::kWrr: return lb::Scheduler::kWrr;
    case model::Scheduler::kLc: return lb::Scheduler::kLc;
    case model::Scheduler::kWlc: return lb::Scheduler::kWlc;
    case model::Scheduler::kLblc: return lb::Scheduler::kLblc;
    case model::Scheduler::kSh: return lb::Scheduler::kSh;
    case model::Scheduler::kMh: return lb::Scheduler::kMh;
    case model::Scheduler::kDh: return lb::Scheduler::kDh;
    case model::Scheduler::kFo: return lb::Scheduler::kFo;
    case model::Scheduler::kOvf: return lb::Scheduler::kOvf;
    case model::Scheduler::kLblcr: return lb::Scheduler::kLblcr;
    case model::Scheduler::kSed: return lb::Scheduler::kSed;
    case model::Scheduler::kNq: return lb::Scheduler::kNq;
    case model::Scheduler::kTwos: return lb::Scheduler::kTwos;
  }
  return lb::Scheduler::kWlc;
}

Result<std::vector<lb::ServiceKey>> ServiceKeys(const model::VirtualServer& vs,
                                                const model::Config& config) {
  std::vector<lb::ServiceKey> keys;
  const std::string name = VirtualServerName(vs);
  const lb::Protocol proto = ServiceProtocol(vs.protocol);
  if (vs.fwmark) {
    keys.push_back(lb::FwmarkKey{ToLbFamily(vs.family), *vs.fwmark});
    return keys;
  }
  if (vs.address) {
    auto a = ToLbAddress(*vs.address);
    if (!a) return Fail(ErrorCode::kInvalidArgument, name + ": no address family");
    keys.push_back(lb::AddressKey{proto, *a, vs.port});
    return keys;
  }
  if (!vs.group) return Fail(ErrorCode::kInvalidArgument, "virtual server without an identity");
  const model::VirtualServerGroup* group = nullptr;
  for (const auto& g : config.virtual_server_groups) {
    if (g.name == *vs.group) group = &g;
  }
  if (!group) return Fail(ErrorCode::kNotFound, name + ": no virtual_server_group '" + *vs.group + "'");
  for (const model::VsgEntry& e : group->entries) {
    if (e.fwmark) {
      model::Family f = e.fwmark_family != model::Family::kUnspec ? e.fwmark_family : vs.family;
      keys.push_back(lb::FwmarkKey{ToLbFamily(f), *e.fwmark});
      continue;
    }
    auto first = ToLbAddress(e.address);
    if (!first) return Fail(ErrorCode::kInvalidArgument, name + ": group entry without an address");
    if (!e.range_end || *e.range_end == e.address) {
      keys.push_back(lb::AddressKey{proto, *first, e.port});
      continue;
    }
    // Ranges vary the last byte (IPv4) or the last 16 bits (IPv6) only.
    const auto& lo = e.address.bytes();
    const auto& hi = e.range_end->bytes();
    const size_t fixed = e.address.is_v4() ? 3 : 14;
    if (e.range_end->family() != e.address.family() ||
        !std::equal(lo.begin(), lo.begin() + fixed, hi.begin())) {
      return Fail(ErrorCode::kInvalidArgument,
                  name + ": range " + e.address.ToString() + "-" + e.range_end->ToString() +
                      " varies more than the last " + (e.address.is_v4() ? "byte" : "16 bits"));
    }
    uint32_t from = lo[fixed];
    uint32_t to = hi[fixed];
    if (!e.address.is_v4()) {
      from = (from << 8) | lo[15];
      to = (to << 8) | hi[15];
    }
    for (uint32_t v = from; v <= to; ++v) {
      std::array<uint8_t, 16> b = lo;
      if (e.address.is_v4()) {
        b[3] = static_cast<uint8_t>(v);
      } else {
        b[14] = static_cast<uint8_t>(v >> 8);
        b[15] = static_cast<uint8_t>(v);
      }
      keys.push_back(lb::AddressKey{
          proto, lb::IpAddress::FromBytes(first->family(), b.data()), e.port});
    }
  }
  return keys;
}

lb::Service ToService(const model::VirtualServer& vs, const lb::ServiceKey& key) {
  lb::Service s;
  s.key = key;
  s.scheduler = ToScheduler(vs.scheduler);
  if (vs.sched_flag_1) s.scheduler_flags |= lb::kSchedFlag1;
  if (vs.sched_flag_2) s.scheduler_flags |= lb::kSchedFlag2;
  if (vs.sched_flag_3) s.scheduler_flags |= lb::kSchedFlag3;
  s.one_packet = vs.ops;
  s.persistence_timeout = vs.persistence_timeout.value_or(0);
  s.persistence_engine = vs.persistence_engine.value_or("");
  if (vs.persistence_timeout && vs.persistence_granularity) {
    const int bits = LeadingOnes(*vs.persistence_granularity);
    if (bits < lb::FamilyBits(lb::KeyFamily(key))) s.persistence_prefix = static_cast<uint8_t>(bits);
  }
  return s;
}

lb::Destination ToDestination(const model::RealServer& rs, uint32_t weight) {
  lb::Destination d;
  d.key.address = *ToLbAddress(rs.address);
  d.key.port = rs.port;
  d.weight = weight;
  d.forwarding = ToLbForwarding(rs.forwarding.method);
  if (d.forwarding == lb::Forwarding::kTunnel) d.tunnel = ToLbTunnel(rs.forwarding);
  d.upper_threshold = rs.uthreshold.value_or(0);
  d.lower_threshold = rs.lthreshold.value_or(0);
  return d;
}

lb::Destination ToDestination(const model::SorryServer& s, const model::VirtualServer& vs,
                              uint32_t weight) {
  lb::Destination d;
  d.key.address = *ToLbAddress(s.address);
  d.key.port = s.port != 0 ? s.port : vs.port;
  d.weight = weight;
  d.forwarding = ToLbForwarding(s.forwarding.method);
  if (d.forwarding == lb::Forwarding::kTunnel) d.tunnel = ToLbTunnel(s.forwarding);
  return d;
}

void AddToState(const model::VirtualServer& vs, const std::vector<lb::ServiceKey>& keys,
                const std::vector<Destination>& desired, lb::State& out) {
  for (const lb::ServiceKey& key : keys) {
    out.Put(ToService(vs, key));
    for (const Destination& d : desired) {
      const auto w = static_cast<uint32_t>(std::clamp<int64_t>(d.weight, 0, kMaxWeight));
      if (d.real_server == Destination::kSorryServer) {
        if (vs.sorry_server) out.PutDestination(key, ToDestination(*vs.sorry_server, vs, w));
      } else if (d.real_server < vs.real_servers.size()) {
        out.PutDestination(key, ToDestination(vs.real_servers[d.real_server], w));
      }
    }
  }
}

void AddFullToState(const model::VirtualServer& vs, const std::vector<lb::ServiceKey>& keys,
                    lb::State& out) {
  std::vector<Destination> all;
  all.reserve(vs.real_servers.size() + 1);
  for (size_t i = 0; i < vs.real_servers.size(); ++i) {
    all.push_back(Destination{i, std::max<int64_t>(1, vs.real_servers[i].weight)});
  }
  if (vs.sorry_server) all.push_back(Destination{Destination::kSorryServer, 1});
  AddToState(vs, keys, all, out);
}

Result<lb::State> FullState(const model::Config& config) {
  lb::State out;
  for (const model::VirtualServer& vs : config.virtual_servers) {
    auto keys = ServiceKeys(vs, config);
    if (!keys) return std::unexpected(keys.error());
    AddFullToState(vs, *keys, out);
  }
  return out;
}

}  // namespace vigil::check
