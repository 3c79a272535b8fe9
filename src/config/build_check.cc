// Checker side: SSL, virtual_server_group, virtual_server -> real_server -> checkers,
// and the inheritance of timing and options down that chain.
#include <algorithm>
#include <charconv>
#include <functional>
#include <set>

#include "config/build.h"
#include "config/values.h"

namespace vigil::config::build_internal {

namespace {

using model::Duration;
using model::Family;
using std::chrono::seconds;

constexpr Duration kMinTimer{1};
constexpr Duration kMaxTimer = seconds(UINT32_MAX);
constexpr Duration kMaxConnectTimeout{UINT32_MAX};  // µs, as keepalived

SourceLoc LocOf(const model::SourceRef& r) { return {r.file, r.line, r.column}; }

std::string FamilyText(Family f) { return f == Family::kIpv6 ? "IPv6" : "IPv4"; }

// Values a real server or checker may leave unset, to inherit from its parent.
struct Pending {
  std::optional<bool> alpha;
  std::optional<bool> inhibit;
  std::optional<uint32_t> retry;
  std::optional<Duration> connect_timeout;
  std::optional<Duration> delay_loop;
  std::optional<Duration> warmup;
  std::optional<Duration> delay_before_retry;
  std::optional<uint32_t> weight;
  std::optional<model::Forwarding> forwarding;
  std::optional<bool> smtp_alert;
  std::optional<bool> log_all_failures;
};

struct PendingCheck {
  model::CheckSpec spec;
  Pending p;
};

struct PendingRs {
  model::RealServer rs;
  bool has_port = false;
  Pending p;
  std::vector<PendingCheck> checks;
};

// Warns about words after the one value of `n`: keepalived 2.2.7 ignores them silently, so
// `connect_timeout 2 retry 0` sets no retry (exit 0 there; a warning here).
void WarnExtraWords(const Node& n, Diagnostics& diags) {
  if (n.args.size() < 2) return;
  std::string rest;
  for (size_t i = 1; i < n.args.size(); ++i) rest += (i > 1 ? " " : "") + n.args[i].text;
  diags.Warning(n.args[1].loc, n.name() + " takes one value; '" + rest +
                                   "' is ignored, as keepalived does (one keyword per line)");
}

template <typename T>
bool SetUint(const Node& n, T& out, int64_t min, int64_t max, Diagnostics& diags) {
  WarnExtraWords(n, diags);
  const Token* t = RequireArg(n, 0, diags);
  if (!t) return false;
  auto v = ParseInteger(*t, n.name(), min, max, diags);
  if (!v) return false;
  out = static_cast<T>(*v);
  return true;
}

template <typename T>
void SetOptUint(const Node& n, std::optional<T>& out, int64_t min, int64_t max,
                Diagnostics& diags) {
  T v{};
  if (SetUint(n, v, min, max, diags)) out = v;
}

void SetOptTimer(const Node& n, std::optional<Duration>& out, Duration min, Duration max,
                 Diagnostics& diags) {
  WarnExtraWords(n, diags);
  if (const Token* t = RequireArg(n, 0, diags))
    if (auto v = ParseTimer(*t, n.name(), min, max, diags)) out = *v;
}

void SetOptBool(const Node& n, std::optional<bool>& out, Diagnostics& diags) {
  if (auto b = NodeBool(n, diags)) out = *b;
}

// Reads the timing keywords shared by virtual servers, real servers and checkers.
// Returns false if `n` is not one of them.
bool ParseTiming(const Node& n, Pending& p, bool checker, Diagnostics& diags) {
  const std::string_view kw = n.name();
  if (kw == "retry") SetOptUint(n, p.retry, checker ? 0 : 1, UINT32_MAX, diags);
  else if (kw == "delay_before_retry") SetOptTimer(n, p.delay_before_retry, Duration(0), kMaxTimer, diags);
  else if (kw == "warmup") SetOptTimer(n, p.warmup, Duration(0), kMaxTimer, diags);
  else if (kw == "connect_timeout") SetOptTimer(n, p.connect_timeout, kMinTimer, kMaxConnectTimeout, diags);
  else if (kw == "delay_loop") SetOptTimer(n, p.delay_loop, kMinTimer, kMaxTimer, diags);
  else return false;
  return true;
}

// Parses `NAT|DR|TUN [type ipip|gue|gre] [port N] [csum|nocsum|remcsum]`.
std::optional<model::Forwarding> ParseForwarding(const Node& n, Diagnostics& diags) {
  const Token* t = RequireArg(n, 0, diags);
  if (!t) return std::nullopt;
  model::Forwarding f;
  if (t->text == "NAT") f.method = model::LbKind::kNat;
  else if (t->text == "DR") f.method = model::LbKind::kDr;
  else if (t->text == "TUN") f.method = model::LbKind::kTun;
  else {
    diags.Error(t->loc, n.name() + ": '" + t->text + "' is not a valid forwarding method (NAT, DR or TUN); ignored");
    return std::nullopt;
  }
  bool port_set = false;
  for (size_t i = 1; i < n.args.size(); ++i) {
    const Token& o = n.args[i];
    const Token* v = Arg(n, i + 1);
    if (f.method != model::LbKind::kTun) {
      diags.Error(o.loc, n.name() + ": '" + o.text + "' is only valid with TUN; ignored");
      return std::nullopt;
    }
    if (o.text == "type" && v) {
      ++i;
      if (v->text == "ipip") f.tunnel_type = model::TunnelType::kIpip;
      else if (v->text == "gue") f.tunnel_type = model::TunnelType::kGue;
      else if (v->text == "gre") f.tunnel_type = model::TunnelType::kGre;
      else {
        diags.Error(v->loc, n.name() + ": '" + v->text + "' is not a valid tunnel type (ipip, gue or gre); ignored");
        return std::nullopt;
      }
    } else if (o.text == "port" && v) {
      ++i;
      auto p = ParseInteger(*v, "tunnel port", 1, 65535, diags);
      if (!p) return std::nullopt;
      f.tunnel_port = static_cast<uint16_t>(*p);
      port_set = true;
    } else if (o.text == "csum") f.tunnel_checksum = model::TunnelChecksum::kCsum;
    else if (o.text == "nocsum") f.tunnel_checksum = model::TunnelChecksum::kNone;
    else if (o.text == "remcsum") f.tunnel_checksum = model::TunnelChecksum::kRemCsum;
    else {
      diags.Error(o.loc, n.name() + ": '" + o.text + "' is not a valid tunnel option; ignored");
      return std::nullopt;
    }
  }
  if (f.method == model::LbKind::kTun) {
    if ((f.tunnel_type == model::TunnelType::kGue) != port_set) {
      diags.Error(t->loc, n.name() + ": a gue tunnel needs a port, and only gue takes one; ignored");
      return std::nullopt;
    }
    if (f.tunnel_type == model::TunnelType::kIpip && f.tunnel_checksum != model::TunnelChecksum::kNone) {
      diags.Error(t->loc, n.name() + ": ipip tunnels take no checksum option; ignored");
      return std::nullopt;
    }
    if (f.tunnel_type == model::TunnelType::kGre && f.tunnel_checksum == model::TunnelChecksum::kRemCsum) {
      diags.Error(t->loc, n.name() + ": gre tunnels do not support remcsum; ignored");
      return std::nullopt;
    }
  }
  return f;
}

// Parses `IP [PORT]` of a real or sorry server.
bool ParseServerAddress(const Node& n, model::IpAddress& addr, uint16_t& port, bool& has_port,
                        Diagnostics& diags) {
  const Token* a = RequireArg(n, 0, diags);
  if (!a) return false;
  auto ip = ParseAddress(*a, n.name(), diags);
  if (!ip) return false;
  addr = *ip;
  has_port = false;
  if (const Token* p = Arg(n, 1)) {
    // (Its two callers' keywords: no string built for each of 37,000 real servers.)
    auto v = ParsePort(*p, n.name() == "sorry_server" ? "sorry_server port" : "real_server port",
                       diags);
    if (!v) return false;
    port = *v;
    has_port = true;
  }
  return true;
}

std::vector<uint8_t> ParseHex(const Token& t, std::string_view what, Diagnostics& diags,
                              bool& ok) {
  std::vector<uint8_t> out;
  ok = false;
  std::string s = t.text;
  if (s.size() % 2) {
    diags.Error(t.loc, std::string(what) + ": '" + s + "' is not a valid hex string");
    return out;
  }
  for (size_t i = 0; i < s.size(); i += 2) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = hex(s[i]), lo = hex(s[i + 1]);
    if (hi < 0 || lo < 0) {
      diags.Error(t.loc, std::string(what) + ": '" + s + "' is not a valid hex string");
      return {};
    }
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  ok = true;
  return out;
}

// `regex_stack START MAX` (bytes): what keepalived 2.2.7 ignores (two decimal numbers,
// START not above MAX, or the line is ignored) it warns of, as it logs it.
void BuildRegexStack(const Node& c, model::Url& u, Diagnostics& diags) {
  if (c.args.size() != 2) {
    diags.Warning(c.keyword.loc, "regex_stack requires start and max values; ignored");
    return;
  }
  uint64_t sizes[2] = {};
  for (size_t i = 0; i < 2; ++i) {
    const std::string& text = c.args[i].text;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), sizes[i]);
    if (ec != std::errc() || end != text.data() + text.size()) {
      diags.Warning(c.args[i].loc, std::string("regex_stack: invalid ") + (i ? "max" : "start") +
                                       " value '" + text + "'; ignored");
      return;
    }
  }
  if (sizes[0] > sizes[1]) {
    diags.Warning(c.keyword.loc, "regex_stack: start cannot exceed max; ignored");
    return;
  }
  u.regex_stack_start = sizes[0];
  u.regex_stack_max = sizes[1];
}

// `regex_min_offset` / `regex_max_offset OFFSET`: keepalived 2.2.7 takes 0 (and logs it)
// for a line without exactly one decimal number.
uint64_t RegexOffset(const Node& c, Diagnostics& diags) {
  uint64_t offset = 0;
  if (c.args.size() != 1) {
    diags.Warning(c.keyword.loc, c.name() + " takes one offset; 0 taken, as keepalived does");
    return 0;
  }
  const std::string& text = c.args[0].text;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), offset);
  if (ec != std::errc() || end != text.data() + text.size()) {
    diags.Warning(c.args[0].loc, c.name() + ": invalid offset '" + text +
                                     "'; 0 taken, as keepalived does");
    return 0;
  }
  return offset;
}

// keepalived 2.2.7 drops (and logs) the regex settings of a url without a regex, and both
// offsets when the first is beyond the last.
void FinishRegex(const Node& n, model::Url& u, Diagnostics& diags) {
  if (!u.regex) {
    if (!u.regex_options.empty() || u.regex_no_match || u.regex_min_offset != 0 ||
        u.regex_max_offset || u.regex_stack_max != 0)
      diags.Warning(n.keyword.loc, "url: regex settings without a regex; ignored");
    u.regex_options.clear();
    u.regex_no_match = false;
    u.regex_min_offset = 0;
    u.regex_max_offset.reset();
    u.regex_stack_start = u.regex_stack_max = 0;
    return;
  }
  if (u.regex_max_offset && u.regex_min_offset > *u.regex_max_offset) {
    diags.Warning(n.keyword.loc, "url: regex_min_offset " + std::to_string(u.regex_min_offset) +
                                     " is beyond regex_max_offset " +
                                     std::to_string(*u.regex_max_offset) + "; both ignored");
    u.regex_min_offset = 0;
    u.regex_max_offset.reset();
  }
}

std::optional<model::Url> ParseUrl(const Node& n, Diagnostics& diags) {
  model::Url u;
  u.loc = RefOf(n);
  for (const Node& c : n.children) {
    const std::string_view kw = c.name();
    const Token* t = c.args.empty() ? nullptr : &c.args[0];
    if (kw == "path") {
      if ((t = RequireArg(c, 0, diags))) u.path = t->text;
    } else if (kw == "digest") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      std::string d = t->text;
      bool ok = d.size() == 32 && std::all_of(d.begin(), d.end(), [](char ch) {
        return std::isxdigit(static_cast<unsigned char>(ch));
      });
      if (!ok) {
        diags.Error(t->loc, "digest: '" + d + "' is not a valid MD5 digest (32 hex digits)");
        continue;
      }
      std::transform(d.begin(), d.end(), d.begin(), [](char ch) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      });
      u.digest = d;
    } else if (kw == "status_code") {
      if (!RequireArg(c, 0, diags)) continue;
      for (const Token& a : c.args) {
        size_t dash = a.text.find('-');
        auto lo = ParseIntegerText(a.text.substr(0, dash));
        auto hi = dash == std::string::npos ? lo : ParseIntegerText(a.text.substr(dash + 1));
        if (!lo || !hi || *lo < 100 || *hi > 599 || *lo > *hi) {
          diags.Error(a.loc, "status_code: '" + a.text + "' is not a valid status code or range (100..599)");
          continue;
        }
        u.status_codes.push_back({static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi)});
      }
    } else if (kw == "virtualhost") {
      if ((t = RequireArg(c, 0, diags))) u.virtualhost = t->text;
    } else if (kw == "regex") {
      if ((t = RequireArg(c, 0, diags))) u.regex = t->text;
    } else if (kw == "regex_no_match") {
      u.regex_no_match = true;
    } else if (kw == "regex_stack") {
      BuildRegexStack(c, u, diags);
    } else if (kw == "regex_options") {
      // keepalived skips the names it does not know, silently; the checker does.
      u.regex_options = ArgTexts(c);
    } else if (kw == "regex_min_offset" || kw == "regex_max_offset") {
      const uint64_t offset = RegexOffset(c, diags);
      if (kw == "regex_max_offset") u.regex_max_offset = offset;
      else u.regex_min_offset = offset;
    } else if (kw == "tls_compliant") {  // SSL_GET's url only (the schema's rule)
      if (auto b = NodeBool(c, diags)) u.tls_compliant = *b;
    }
  }
  if (u.path.empty()) {
    diags.Error(n.keyword.loc, "url has no path; ignored");
    return std::nullopt;
  }
  if (u.status_codes.empty()) u.status_codes.push_back({200, 299});
  FinishRegex(n, u, diags);
  return u;
}

// Parses one checker block; returns nullopt when it must be dropped.
std::optional<PendingCheck> ParseChecker(const Node& n, Diagnostics& diags) {
  const std::string& kind = n.name();
  PendingCheck pc;
  pc.spec.loc = RefOf(n);
  model::CheckSpec& s = pc.spec;
  if (kind == "TCP_CHECK") s.detail = model::TcpCheck{};
  else if (kind == "HTTP_GET") s.detail = model::HttpCheck{};
  else if (kind == "SSL_GET") {
    model::HttpCheck h;
    h.ssl = true;
    s.detail = h;
  }
  else if (kind == "MISC_CHECK") s.detail = model::MiscCheck{};
  else if (kind == "SMTP_CHECK") s.detail = model::SmtpCheck{};
  else if (kind == "DNS_CHECK") s.detail = model::DnsCheck{};
  else if (kind == "UDP_CHECK") s.detail = model::UdpCheck{};
  else if (kind == "PING_CHECK" || kind == "ICMP_CHECK") s.detail = model::PingCheck{};
  else if (kind == "FILE_CHECK") s.detail = model::FileCheck{};
  else if (kind == "BFD_CHECK") {
    model::BfdCheck b;
    if (!n.args.empty()) b.name = n.args[0].text;
    s.detail = b;
  } else return std::nullopt;

  auto* http = s.detail.get_if<model::HttpCheck>();
  auto* misc = s.detail.get_if<model::MiscCheck>();
  auto* smtp = s.detail.get_if<model::SmtpCheck>();
  auto* dns = s.detail.get_if<model::DnsCheck>();
  auto* udp = s.detail.get_if<model::UdpCheck>();
  auto* file = s.detail.get_if<model::FileCheck>();
  auto* bfd = s.detail.get_if<model::BfdCheck>();

  for (const Node& c : n.children) {
    const std::string_view kw = c.name();
    const Token* t = c.args.empty() ? nullptr : &c.args[0];
    if (ParseTiming(c, pc.p, true, diags)) continue;
    if (kw == "alpha") SetOptBool(c, pc.p.alpha, diags);
    else if (kw == "log_all_failures") SetOptBool(c, pc.p.log_all_failures, diags);
    else if (kw == "connect_ip" || kw == "bindto") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      auto a = ParseAddress(*t, kw, diags);
      if (!a) continue;
      const auto& other = kw == "connect_ip" ? s.bindto : s.connect_ip;
      if (other && other->family() != a->family()) {
        diags.Error(t->loc, std::string(kw) + ": '" + t->text + "' family differs from " +
                                (kw == "connect_ip" ? "bindto" : "connect_ip") + "; ignored");
        continue;
      }
      (kw == "connect_ip" ? s.connect_ip : s.bindto) = *a;
    } else if (kw == "connect_port" || kw == "bind_port") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      if (auto p = ParseInteger(*t, kw, 1, 65535, diags))
        (kw == "connect_port" ? s.connect_port : s.bind_port) = static_cast<uint16_t>(*p);
    } else if (kw == "bind_if") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      if (t->text.size() >= 16) {
        diags.Error(t->loc, "bind_if: '" + t->text + "' is too long for an interface name; ignored");
        continue;
      }
      s.bind_if = t->text;
    } else if (kw == "fwmark") {
      SetOptUint(c, s.fwmark, 0, UINT32_MAX, diags);
    } else if (http && kw == "url") {
      if (auto u = ParseUrl(c, diags)) http->urls.push_back(std::move(*u));
    } else if (http && kw == "nb_get_retry") {
      diags.Warning(c.keyword.loc, "nb_get_retry is deprecated; use retry", Grade::kError);
      SetOptUint(c, pc.p.retry, 0, UINT32_MAX, diags);
    } else if (http && kw == "virtualhost") {
      if ((t = RequireArg(c, 0, diags))) http->virtualhost = t->text;
    } else if (http && kw == "http_protocol") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      if (t->text == "1.0") http->http_protocol = model::HttpProtocol::k10;
      else if (t->text == "1.0C" || t->text == "1.0c") http->http_protocol = model::HttpProtocol::k10C;
      else if (t->text == "1.1") http->http_protocol = model::HttpProtocol::k11;
      else diags.Error(t->loc, "http_protocol: '" + t->text + "' is not a valid HTTP version (1.0, 1.0C or 1.1)");
    } else if (http && kw == "enable_sni") {
      if (auto b = NodeBool(c, diags)) http->enable_sni = *b;
    } else if (http && kw == "sni_name") {
      if ((t = RequireArg(c, 0, diags))) http->sni_name = t->text;
    } else if (http && kw == "fast_recovery") {
      if (auto b = NodeBool(c, diags)) http->fast_recovery = *b;
    } else if (http && kw == "tls_compliant") {
      if (auto b = NodeBool(c, diags)) http->tls_compliant = *b;
    } else if (misc && kw == "misc_path") {
      if (auto sc = ParseCommandScript(c, diags)) {
        auto user = misc->path.user;
        misc->path = std::move(*sc);
        misc->path.user = user;
      }
    } else if (misc && kw == "misc_timeout") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      if (auto v = ParseInteger(*t, kw, 0, UINT32_MAX / 1000000, diags)) misc->timeout = seconds(*v);
    } else if (misc && kw == "misc_dynamic") {
      misc->dynamic = true;
    } else if (misc && kw == "user") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      misc->path.user = t->text;
      if (const Token* g = Arg(c, 1)) misc->path.group = g->text;
    } else if (smtp && kw == "helo_name") {
      if ((t = RequireArg(c, 0, diags))) smtp->helo_name = t->text;
    } else if (dns && kw == "type") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      static const char* kTypes[] = {"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"};
      std::string up = t->text;
      std::transform(up.begin(), up.end(), up.begin(), [](char ch) {
        return static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      });
      if (std::find(std::begin(kTypes), std::end(kTypes), up) == std::end(kTypes))
        diags.Error(t->loc, "type: '" + t->text + "' is not a valid DNS query type");
      else
        dns->type = up;
    } else if (dns && kw == "name") {
      if ((t = RequireArg(c, 0, diags))) dns->name = t->text;
    } else if (udp && kw == "payload") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      bool ok = false;
      auto bytes = ParseHex(*t, kw, diags, ok);
      if (ok) udp->payload = std::move(bytes);
    } else if (udp && kw == "require_reply") {
      udp->require_reply = true;
      if (t) {
        bool ok = false;
        auto bytes = ParseHex(*t, kw, diags, ok);
        if (ok) udp->reply = std::move(bytes);
      }
    } else if (udp && (kw == "min_reply_length" || kw == "max_reply_length")) {
      SetOptUint(c, kw == "min_reply_length" ? udp->min_reply_length : udp->max_reply_length, 0, 65535, diags);
    } else if (file && (kw == "track_file" || kw == "file")) {
      if ((t = RequireArg(c, 0, diags))) file->track_file = t->text;
    } else if ((file || bfd) && kw == "weight") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      auto w = ParseInteger(*t, kw, -253, 253, diags);
      if (w) (file ? file->weight : bfd->weight) = static_cast<int>(*w);
      if (const Token* r = Arg(c, 1); r && r->text == "reverse") (file ? file->reverse : bfd->reverse) = true;
    } else if (bfd && kw == "name") {
      if ((t = RequireArg(c, 0, diags))) bfd->name = t->text;
    }
  }

  if (http && http->urls.empty()) {
    diags.Error(n.keyword.loc, kind + " has no url; ignored");
    return std::nullopt;
  }
  if (http && !http->ssl && (http->enable_sni || http->sni_name)) {
    diags.Warning(n.keyword.loc, "HTTP_GET: enable_sni and sni_name only apply to SSL_GET");
  }
  if (misc && misc->path.command.empty()) {
    diags.Error(n.keyword.loc, "MISC_CHECK has no misc_path; ignored");
    return std::nullopt;
  }
  if (file && file->track_file.empty()) {
    diags.Error(n.keyword.loc, "FILE_CHECK has no track_file; ignored");
    return std::nullopt;
  }
  if (bfd && bfd->name.empty()) {
    diags.Error(n.keyword.loc, "BFD_CHECK has no name; ignored");
    return std::nullopt;
  }
  if (udp && udp->min_reply_length && udp->max_reply_length &&
      *udp->min_reply_length > *udp->max_reply_length) {
    diags.Error(n.keyword.loc, "UDP_CHECK: min_reply_length is above max_reply_length; both ignored");
    udp->min_reply_length.reset();
    udp->max_reply_length.reset();
  }
  return pc;
}

bool IsChecker(std::string_view kw) {
  return kw == "TCP_CHECK" || kw == "HTTP_GET" || kw == "SSL_GET" || kw == "MISC_CHECK" ||
         kw == "SMTP_CHECK" || kw == "DNS_CHECK" || kw == "UDP_CHECK" || kw == "PING_CHECK" ||
         kw == "ICMP_CHECK" || kw == "FILE_CHECK" || kw == "BFD_CHECK";
}

std::optional<PendingRs> ParseRealServer(const Node& n, Diagnostics& diags) {
  PendingRs prs;
  model::RealServer& rs = prs.rs;
  rs.loc = RefOf(n);
  if (!ParseServerAddress(n, rs.address, rs.port, prs.has_port, diags)) return std::nullopt;
  for (const Node& c : n.children) {
    const std::string_view kw = c.name();
    const Token* t = c.args.empty() ? nullptr : &c.args[0];
    if (ParseTiming(c, prs.p, false, diags)) continue;
    if (kw == "weight") SetOptUint(c, prs.p.weight, 0, INT32_MAX, diags);
    else if (kw == "lvs_method") {
      if (auto f = ParseForwarding(c, diags)) prs.p.forwarding = *f;
    } else if (kw == "uthreshold") SetOptUint(c, rs.uthreshold, 0, UINT32_MAX, diags);
    else if (kw == "lthreshold") SetOptUint(c, rs.lthreshold, 0, UINT32_MAX, diags);
    else if (kw == "inhibit_on_failure") SetOptBool(c, prs.p.inhibit, diags);
    else if (kw == "alpha") SetOptBool(c, prs.p.alpha, diags);
    else if (kw == "smtp_alert") SetOptBool(c, prs.p.smtp_alert, diags);
    else if (kw == "virtualhost") {
      if ((t = RequireArg(c, 0, diags))) rs.virtualhost = t->text;
    } else if (kw == "notify_up" || kw == "notify_down") {
      auto& slot = kw == "notify_up" ? rs.notify_up : rs.notify_down;
      if (slot) {
        diags.Error(c.keyword.loc, std::string(kw) + " is already set; this one is ignored");
        continue;
      }
      slot = ParseNotifyScript(c, diags);
    } else if (IsChecker(kw)) {
      if (auto pc = ParseChecker(c, diags)) prs.checks.push_back(std::move(*pc));
    }
  }
  return prs;
}

uint32_t DefaultRetry(const model::CheckDetail& d) {
  if (d.holds<model::DnsCheck>()) return 3;
  if (d.holds<model::MiscCheck>()) return 0;
  return 1;
}

// Returns the checker type's own delay_before_retry; nullopt means "= delay_loop".
std::optional<Duration> DefaultDelayBeforeRetry(const model::CheckDetail& d) {
  if (d.holds<model::HttpCheck>()) return seconds(3);
  if (d.holds<model::DnsCheck>()) return std::nullopt;
  return seconds(1);
}

}  // namespace

// ---------------------------------------------------------------------------------

void BuildSsl(const Node& n, model::Config& cfg, Diagnostics& diags) {
  if (cfg.ssl) diags.Error(n.keyword.loc, "SSL is already set; replaced by this one");
  model::SslConfig s;
  s.loc = RefOf(n);
  for (const Node& c : n.children) {
    const std::string_view kw = c.name();
    std::optional<std::string>* slot = kw == "password"      ? &s.password
                                       : kw == "ca"          ? &s.ca
                                       : kw == "certificate" ? &s.certificate
                                       : kw == "key"         ? &s.key
                                                             : nullptr;
    if (!slot) continue;
    if (const Token* t = RequireArg(c, 0, diags)) {
      if (*slot) diags.Error(c.keyword.loc, "SSL " + std::string(kw) + " is already set; replaced");
      *slot = t->text;
    }
  }
  cfg.ssl = std::move(s);
}

void BuildVirtualServerGroup(const Node& n, model::Config& cfg, Diagnostics& diags) {
  if (n.args.size() != 1) {
    diags.Error(n.keyword.loc, "virtual_server_group: needs exactly one name; block ignored");
    return;
  }
  model::VirtualServerGroup g;
  g.name = n.args[0].text;
  g.loc = ToRef(n.args[0].loc);
  for (const auto& other : cfg.virtual_server_groups)
    if (other.name == g.name) {
      diags.Error(n.args[0].loc, "virtual_server_group '" + g.name + "' is already defined; this one is ignored");
      return;
    }
  for (const Node& line : n.children) {
    model::VsgEntry e;
    e.loc = RefOf(line);
    if (line.name() == "fwmark") {
      const Token* t = RequireArg(line, 0, diags);
      if (!t) continue;
      auto m = ParseInteger(*t, "fwmark", 0, UINT32_MAX, diags);
      if (!m) continue;
      e.fwmark = static_cast<uint32_t>(*m);
      if (const Token* f = Arg(line, 1)) {
        if (f->text == "inet") e.fwmark_family = Family::kIpv4;
        else if (f->text == "inet6") e.fwmark_family = Family::kIpv6;
        else {
          diags.Error(f->loc, "fwmark: '" + f->text + "' is not a valid family (inet or inet6); ignored");
          continue;
        }
      }
      g.entries.push_back(std::move(e));
      continue;
    }
    // IP, IP-LAST, IP/LEN, each with an optional port.
    const std::string& text = line.name();
    size_t dash = text.find('-');
    size_t slash = text.find('/');
    std::string base = text.substr(0, std::min(dash, slash));
    auto ip = model::IpAddress::Parse(base);
    if (!ip) {
      diags.Error(line.keyword.loc, "virtual_server_group: '" + text + "' is not a valid address or range; ignored");
      continue;
    }
    e.address = *ip;
    if (dash != std::string::npos) {
      // The last part of the address: a decimal octet (IPv4) or hex group (IPv6).
      std::string last = text.substr(dash + 1);
      auto bytes = ip->bytes();
      bool ok = !last.empty();
      if (ip->is_v4()) {
        auto v = ParseIntegerText(last);
        ok = ok && v && *v >= bytes[3] && *v <= 255;
        if (ok) bytes[3] = static_cast<uint8_t>(*v);
      } else {
        unsigned long v = 0;
        ok = ok && last.size() <= 4 && last.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
        if (ok) v = std::stoul(last, nullptr, 16);
        unsigned cur = bytes[14] * 256u + bytes[15];
        ok = ok && v >= cur;
        if (ok) {
          bytes[14] = static_cast<uint8_t>(v >> 8);
          bytes[15] = static_cast<uint8_t>(v);
        }
      }
      if (!ok) {
        diags.Error(line.keyword.loc, "virtual_server_group: '" + text + "' is not a valid address range; ignored");
        continue;
      }
      if (ip->is_v4()) e.range_end = model::IpAddress::V4((uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3]);
      else e.range_end = model::IpAddress::V6(bytes);
    } else if (slash != std::string::npos) {
      auto p = model::IpPrefix::Parse(text);
      if (!p) {
        diags.Error(line.keyword.loc, "virtual_server_group: '" + text + "' is not a valid prefix; ignored");
        continue;
      }
      if (ip->is_v4() && p->length < 32) {
        uint32_t mask = p->length == 0 ? 0 : ~uint32_t{0} << (32 - p->length);
        uint32_t a = ip->v4_host_order();
        if (a & ~mask) {
          diags.Error(line.keyword.loc, "virtual_server_group: '" + text + "' has host bits set; ignored");
          continue;
        }
        e.range_end = model::IpAddress::V4(a | ~mask);
      }
    }
    if (const Token* p = Arg(line, 0)) {
      auto port = ParsePort(*p, "virtual_server_group port", diags);
      if (!port) continue;
      e.port = *port;
    }
    g.entries.push_back(std::move(e));
  }
  if (g.entries.empty()) {
    diags.Error(n.args[0].loc, "virtual_server_group '" + g.name + "' has no entries; ignored");
    return;
  }
  cfg.virtual_server_groups.push_back(std::move(g));
}

namespace {

// keepalived 2.2.7 runs two blocks of one service: the kernel keeps the service the first
// made (the second's add fails with EEXIST, ignored), the second's real servers are added
// to it with their own settings, and one already there stays as the first block made it
// (EEXIST again). `repeat` joins `first` the same way: its real servers are appended, but
// those `first` has; its own settings (scheduler, method, quorum, sorry server...) are
// dropped. keepalived -t says nothing (exit 0); vigil warns, naming both blocks.
void MergeRepeatedService(model::VirtualServer& first, model::VirtualServer repeat,
                          const std::string& who, Diagnostics& diags) {
  std::string where = "line " + std::to_string(first.loc.line);
  if (first.loc.file != repeat.loc.file) {
    where += " of another file";
    diags.Warning(LocOf(first.loc), who + " is repeated at line " +
                                        std::to_string(repeat.loc.line) + " of another file");
  }
  diags.Warning(LocOf(repeat.loc),
                who + " repeats the one at " + where +
                    " (as keepalived: one service with the first block's settings; this "
                    "block's real servers are added to it, its other settings ignored)");
  for (model::RealServer& rs : repeat.real_servers) {
    const bool there = std::any_of(first.real_servers.begin(), first.real_servers.end(),
                                   [&](const model::RealServer& o) {
                                     return o.address == rs.address && o.port == rs.port;
                                   });
    if (there) {
      diags.Warning(LocOf(rs.loc), who + ": real_server " + rs.address.ToString() + " " +
                                       std::to_string(rs.port) + " is already in the block at " +
                                       where + "; this one is ignored, as keepalived");
      continue;
    }
    first.real_servers.push_back(std::move(rs));
  }
}

}  // namespace

void BuildVirtualServer(const Node& n, model::Config& cfg, ServiceIndex& services,
                        Diagnostics& diags) {
  model::VirtualServer vs;
  vs.loc = RefOf(n);
  const Token* a0 = RequireArg(n, 0, diags);
  if (!a0) return;
  std::string id;
  if (a0->text == "group" || a0->text == "fwmark") {
    const Token* a1 = RequireArg(n, 1, diags);
    if (!a1) return;
    if (a0->text == "group") {
      vs.group = a1->text;
    } else {
      auto m = ParseInteger(*a1, "virtual_server fwmark", 0, UINT32_MAX, diags);
      if (!m) return;
      vs.fwmark = static_cast<uint32_t>(*m);
    }
    id = a0->text + " " + a1->text;
  } else {
    auto ip = ParseAddress(*a0, "virtual_server", diags);
    if (!ip) return;
    vs.address = *ip;
    vs.family = ip->family();
    if (const Token* p = Arg(n, 1)) {
      auto port = ParsePort(*p, "virtual_server port", diags);
      if (!port) return;
      vs.port = *port;
    }
    id = a0->text + (n.args.size() > 1 ? " " + n.args[1].text : std::string());
  }
  const std::string who = "virtual_server " + id;
  const SourceLoc at = n.keyword.loc;

  Pending vp;
  bool sched_set = false, protocol_set = false;
  std::optional<model::Forwarding> vs_fwd;
  std::optional<bool> smtp_alert;
  std::vector<PendingRs> rss;
  struct PendingSorry {
    model::SorryServer s;
    bool has_port = false;
    bool fwd_set = false;
  };
  std::optional<PendingSorry> sorry;

  // Nearly every child is a real_server: room for them all (a vector grown one at a time
  // moved them at each doubling).
  rss.reserve(n.children.size());
  for (const Node& c : n.children) {
    const std::string_view kw = c.name();
    const Token* t = c.args.empty() ? nullptr : &c.args[0];
    // First: nearly every child is one (else ~45 keyword compares each, at 37,000 of them).
    if (kw == "real_server") {
      if (auto rs = ParseRealServer(c, diags)) rss.push_back(std::move(*rs));
      continue;
    }
    if (ParseTiming(c, vp, false, diags)) continue;
    if (kw == "ip_family") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      Family f = t->text == "inet" ? Family::kIpv4 : t->text == "inet6" ? Family::kIpv6 : Family::kUnspec;
      if (f == Family::kUnspec) {
        diags.Error(t->loc, "ip_family: '" + t->text + "' is not a valid family (inet or inet6)");
      } else if (vs.family != Family::kUnspec && vs.family != f) {
        diags.Error(t->loc, "ip_family " + t->text + " conflicts with the virtual server's address; ignored");
      } else {
        vs.family = f;
      }
    } else if (kw == "inhibit_on_failure") {
      SetOptBool(c, vp.inhibit, diags);
    } else if (kw == "lb_algo" || kw == "lvs_sched") {
      WarnExtraWords(c, diags);
      if (!(t = RequireArg(c, 0, diags))) continue;
      if (auto s = model::SchedulerFromName(t->text)) {
        vs.scheduler = *s;
        sched_set = true;
      } else {
        diags.Error(t->loc, std::string(kw) + ": '" + t->text + "' is not a valid scheduler (rr wrr lc wlc lblc sh mh dh fo ovf lblcr sed nq twos); ignored");
      }
    } else if (kw == "ops") {
      vs.ops = true;
    } else if (kw == "hashed") {
      vs.hashed = true;
    } else if (kw == "flag-1" || kw == "sh-fallback" || kw == "mh-fallback") {
      // The kernel's sh and mh schedulers read flag 1 as fallback and flag 2 as port.
      if (kw != "flag-1" && vs.scheduler != (kw == "sh-fallback" ? model::Scheduler::kSh : model::Scheduler::kMh))
        diags.Error(c.keyword.loc, std::string(kw) + " only applies to the " + std::string(kw.substr(0, 2)) + " scheduler; ignored");
      else
        vs.sched_flag_1 = true;
    } else if (kw == "flag-2" || kw == "sh-port" || kw == "mh-port") {
      if (kw != "flag-2" && vs.scheduler != (kw == "sh-port" ? model::Scheduler::kSh : model::Scheduler::kMh))
        diags.Error(c.keyword.loc, std::string(kw) + " only applies to the " + std::string(kw.substr(0, 2)) + " scheduler; ignored");
      else
        vs.sched_flag_2 = true;
    } else if (kw == "flag-3") {
      vs.sched_flag_3 = true;
    } else if (kw == "lb_kind" || kw == "lvs_method") {
      if (auto f = ParseForwarding(c, diags)) vs_fwd = *f;
    } else if (kw == "persistence_engine") {
      if ((t = RequireArg(c, 0, diags))) vs.persistence_engine = t->text;
    } else if (kw == "persistence_timeout") {
      if (!t) {
        vs.persistence_timeout = 360;
      } else if (auto v = ParseInteger(*t, kw, 1, 86400 * 31, diags)) {
        vs.persistence_timeout = static_cast<uint32_t>(*v);
      }
    } else if (kw == "persistence_granularity") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      if (auto v = ParseIntegerText(t->text); v && *v >= 1 && *v <= 128) {
        // IPv6 form: a prefix length.
        std::array<uint8_t, 16> b{};
        for (int i = 0; i < *v; ++i) b[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
        vs.persistence_granularity = model::IpAddress::V6(b);
      } else if (auto m = ParseAddress(*t, kw, diags)) {
        vs.persistence_granularity = *m;
      }
      if (!vs.persistence_timeout) vs.persistence_timeout = 360;
    } else if (kw == "protocol") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      std::string up = t->text;
      std::transform(up.begin(), up.end(), up.begin(), [](char ch) {
        return static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      });
      if (up == "TCP") vs.protocol = model::Protocol::kTcp;
      else if (up == "UDP") vs.protocol = model::Protocol::kUdp;
      else if (up == "SCTP") vs.protocol = model::Protocol::kSctp;
      else {
        diags.Error(t->loc, "protocol: '" + t->text + "' is not a valid protocol (TCP, UDP or SCTP); ignored");
        continue;
      }
      protocol_set = true;
    } else if (kw == "ha_suspend") {
      vs.ha_suspend = true;
    } else if (kw == "smtp_alert") {
      SetOptBool(c, smtp_alert, diags);
    } else if (kw == "virtualhost") {
      if ((t = RequireArg(c, 0, diags))) vs.virtualhost = t->text;
    } else if (kw == "vigil_announce_with") {
      if ((t = RequireArg(c, 0, diags))) {
        vs.announce_with = t->text;
        vs.announce_with_loc = RefOf(c);
      }
    } else if (kw == "alpha") {
      vs.alpha = true;
    } else if (kw == "omega") {
      vs.omega = true;
    } else if (kw == "quorum_up" || kw == "quorum_down") {
      auto& slot = kw == "quorum_up" ? vs.quorum_up : vs.quorum_down;
      if (slot) {
        diags.Error(c.keyword.loc, std::string(kw) + " is already set; this one is ignored");
        continue;
      }
      slot = ParseNotifyScript(c, diags);
    } else if (kw == "quorum") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      auto v = ParseInteger(*t, kw, 1, UINT32_MAX, diags);
      vs.quorum = v ? static_cast<uint32_t>(*v) : 1;
    } else if (kw == "hysteresis") {
      SetUint(c, vs.hysteresis, 0, UINT32_MAX, diags);
    } else if (kw == "weight") {
      SetUint(c, vs.weight, 1, INT32_MAX, diags);
    } else if (kw == "sorry_server") {
      PendingSorry ps;
      ps.s.loc = RefOf(c);
      if (ParseServerAddress(c, ps.s.address, ps.s.port, ps.has_port, diags)) sorry = ps;
    } else if (kw == "sorry_server_inhibit") {
      if (sorry) sorry->s.inhibit = true;
      else diags.Error(c.keyword.loc, "sorry_server_inhibit without a sorry_server before it; ignored");
    } else if (kw == "sorry_server_lvs_method") {
      if (!sorry) {
        diags.Error(c.keyword.loc, "sorry_server_lvs_method without a sorry_server before it; ignored");
      } else if (auto f = ParseForwarding(c, diags)) {
        sorry->s.forwarding = *f;
        sorry->fwd_set = true;
      }
    }
  }

  // --- Resolve, as keepalived does once the whole block is read. ---
  const model::Global& g = cfg.global;
  auto family_ok = [&](const model::IpAddress& addr, const model::Forwarding& f) {
    if (f.method == model::LbKind::kTun) return true;  // tunnels may cross families
    if (vs.family == Family::kUnspec) vs.family = addr.family();
    return vs.family == addr.family();
  };
  if (!vs_fwd && (!rss.empty() || sorry)) {
    bool all_set = std::all_of(rss.begin(), rss.end(), [](const PendingRs& r) { return r.p.forwarding.has_value(); }) &&
                   (!sorry || sorry->fwd_set);
    if (!all_set) diags.Warning(at, who + ": no lvs_method set; using NAT", Grade::kError);
  }
  vs.forwarding = vs_fwd.value_or(model::Forwarding{});
  vs.inhibit_on_failure = vp.inhibit.value_or(false);
  vs.retry = vp.retry;
  vs.delay_before_retry = vp.delay_before_retry;
  vs.warmup = vp.warmup;
  vs.delay_loop = vp.delay_loop.value_or(seconds(60));
  vs.connect_timeout = vp.connect_timeout.value_or(seconds(5));
  vs.smtp_alert = smtp_alert.value_or(g.smtp_alert_checker.value_or(g.smtp_alert.value_or(false)));

  if (sorry) {
    if (!sorry->fwd_set) sorry->s.forwarding = vs.forwarding;
    if (!family_ok(sorry->s.address, sorry->s.forwarding)) {
      diags.Error(LocOf(sorry->s.loc), who + ": sorry_server " + sorry->s.address.ToString() + " is " +
                                           FamilyText(sorry->s.address.family()) + " but the virtual server is " +
                                           FamilyText(vs.family) + "; ignored");
      sorry.reset();
    }
  }

  uint64_t weight_sum = 0;
  vs.real_servers.reserve(rss.size());
  for (PendingRs& prs : rss) {
    model::RealServer& rs = prs.rs;
    rs.checks.reserve(prs.checks.size());
    rs.forwarding = prs.p.forwarding.value_or(vs.forwarding);
    if (!family_ok(rs.address, rs.forwarding)) {
      diags.Error(LocOf(rs.loc), who + ": real_server " + rs.address.ToString() + " is " +
                                     FamilyText(rs.address.family()) + " but the virtual server is " +
                                     FamilyText(vs.family) + "; ignored");
      continue;
    }
    // Duplicate real servers.
    bool dup = std::any_of(vs.real_servers.begin(), vs.real_servers.end(), [&](const model::RealServer& o) {
      return o.address == rs.address && o.port == rs.port;
    });
    if (dup) {
      diags.Error(LocOf(rs.loc), who + ": real_server " + rs.address.ToString() + " " +
                                     std::to_string(rs.port) + " is a duplicate; ignored");
      continue;
    }
    rs.alpha = prs.p.alpha.value_or(vs.alpha);
    rs.inhibit_on_failure = prs.p.inhibit.value_or(vs.inhibit_on_failure);
    rs.retry = prs.p.retry ? prs.p.retry : vs.retry;
    rs.connect_timeout = prs.p.connect_timeout.value_or(vs.connect_timeout);
    rs.delay_loop = prs.p.delay_loop.value_or(vs.delay_loop);
    rs.warmup = prs.p.warmup ? prs.p.warmup : vs.warmup;
    rs.delay_before_retry = prs.p.delay_before_retry ? prs.p.delay_before_retry : vs.delay_before_retry;
    rs.weight = prs.p.weight.value_or(vs.weight);
    rs.smtp_alert = prs.p.smtp_alert.value_or(g.smtp_alert_checker.value_or(g.smtp_alert.value_or(true)));
    if (!rs.virtualhost) rs.virtualhost = vs.virtualhost;
    weight_sum += rs.weight;

    // Ports: NAT real servers without a port use the service's; other methods must match.
    if (rs.forwarding.method == model::LbKind::kNat) {
      if (!vs.fwmark && !vs.group && !prs.has_port) rs.port = vs.port;
    } else if (vs.fwmark) {
      if (prs.has_port && rs.port != 0) {
        diags.Warning(LocOf(rs.loc), who + ": real_server port is ignored with a fwmark service; cleared", Grade::kError);
        rs.port = 0;
      }
    } else if (!vs.group) {
      if (!prs.has_port) {
        rs.port = vs.port;
      } else if (rs.port != vs.port) {
        diags.Warning(LocOf(rs.loc), who + ": real_server port " + std::to_string(rs.port) +
                                         " differs from the virtual server's; using " + std::to_string(vs.port), Grade::kError);
        rs.port = vs.port;
      }
    }

    for (PendingCheck& pc : prs.checks) {
      model::CheckSpec& s = pc.spec;
      // Link-local targets need an interface.
      const model::IpAddress& target = s.connect_ip ? *s.connect_ip : rs.address;
      bool has_conn = !s.detail.holds<model::MiscCheck>() &&
                      !s.detail.holds<model::FileCheck>() &&
                      !s.detail.holds<model::BfdCheck>();
      if (has_conn && target.is_v6() && target.IsLinkLocal() && !s.bind_if) {
        diags.Error(LocOf(s.loc), std::string(model::CheckKindName(s.detail)) + ": link-local address " +
                                      target.ToString() + " needs bind_if; checker ignored");
        continue;
      }
      s.alpha = pc.p.alpha.value_or(rs.alpha);
      s.retry = pc.p.retry.value_or(rs.retry.value_or(DefaultRetry(s.detail)));
      s.connect_timeout = pc.p.connect_timeout.value_or(rs.connect_timeout);
      s.delay_loop = pc.p.delay_loop.value_or(rs.delay_loop);
      s.warmup = pc.p.warmup.value_or(rs.warmup.value_or(s.delay_loop));
      s.delay_before_retry = pc.p.delay_before_retry.value_or(
          rs.delay_before_retry.value_or(DefaultDelayBeforeRetry(s.detail).value_or(s.delay_loop)));
      s.log_all_failures = pc.p.log_all_failures.value_or(g.checker_log_all_failures);
      if (auto* http = s.detail.get_if<model::HttpCheck>()) {
        if (!http->virtualhost && rs.virtualhost) http->virtualhost = *rs.virtualhost;
      }
      if (auto* misc = s.detail.get_if<model::MiscCheck>()) {
        if (!misc->timeout) misc->timeout = s.delay_loop;
      }
      rs.checks.push_back(std::move(s));
    }
    vs.real_servers.push_back(std::move(rs));
  }

  if (vs.real_servers.empty()) {
    diags.Error(at, who + " has no real servers; ignored");
    return;
  }
  if (sorry) {
    model::SorryServer& s = sorry->s;
    if (s.forwarding.method != model::LbKind::kNat && !vs.group) {
      if (vs.fwmark) {
        if (sorry->has_port && s.port) {
          diags.Warning(LocOf(s.loc), who + ": sorry_server port is ignored with a fwmark service; cleared", Grade::kError);
          s.port = 0;
        }
      } else if (!sorry->has_port) {
        s.port = vs.port;
      } else if (s.port != vs.port) {
        diags.Warning(LocOf(s.loc), who + ": sorry_server port differs from the virtual server's; using " +
                                        std::to_string(vs.port), Grade::kError);
        s.port = vs.port;
      }
    } else if (!sorry->has_port && !vs.fwmark && !vs.group) {
      s.port = vs.port;
    }
    for (const auto& rs : vs.real_servers)
      if (rs.address == s.address && rs.port == s.port && rs.inhibit_on_failure != s.inhibit) {
        diags.Error(LocOf(s.loc), who + ": sorry_server is also a real_server with a different inhibit_on_failure; using the real_server's");
        s.inhibit = rs.inhibit_on_failure;
      }
    vs.sorry_server = s;
  }

  if (vs.ha_suspend && vs.fwmark) {
    diags.Error(at, who + ": ha_suspend cannot be used with a fwmark; cleared");
    vs.ha_suspend = false;
  }
  if (vs.address) {
    if (!protocol_set) {
      diags.Error(at, who + ": no protocol set; using UDP");
      vs.protocol = model::Protocol::kUdp;
    }
    if (vs.ops && vs.protocol != model::Protocol::kUdp) {
      diags.Error(at, who + ": ops needs protocol UDP; cleared");
      vs.ops = false;
    }
    if (vs.port == 0 && !vs.persistence_timeout) {
      diags.Error(at, who + ": port 0 needs persistence; persistence_timeout set to 360");
      vs.persistence_timeout = 360;
    }
  } else if (vs.fwmark && protocol_set) {
    diags.Warning(at, who + ": protocol is ignored with a fwmark service", Grade::kError);
    vs.protocol = model::Protocol::kNone;
  }
  if (!sched_set) diags.Warning(at, who + ": no lb_algo set; using wlc", Grade::kError);
  if (vs.quorum > weight_sum) {
    diags.Warning(at, who + ": quorum " + std::to_string(vs.quorum) + " is above the total real_server weight " +
                          std::to_string(weight_sum) + "; using " + std::to_string(weight_sum), Grade::kError);
    vs.quorum = static_cast<uint32_t>(weight_sum);
  }
  if (vs.hysteresis >= vs.quorum && !(vs.hysteresis == 0 && vs.quorum == 0)) {
    uint32_t h = vs.quorum ? vs.quorum - 1 : 0;
    diags.Error(at, who + ": hysteresis " + std::to_string(vs.hysteresis) + " must be below quorum " +
                        std::to_string(vs.quorum) + "; using " + std::to_string(h));
    vs.hysteresis = h;
  }
  if (std::optional<size_t> first = services.Find(vs)) {
    MergeRepeatedService(cfg.virtual_servers[*first], std::move(vs), who, diags);
    return;
  }
  services.Add(vs, cfg.virtual_servers.size());
  cfg.virtual_servers.push_back(std::move(vs));
}

void FinishCheck(model::Config& cfg, Diagnostics& diags) {
  // BFD_CHECK names a bfd_instance whose news reach the checker (no `vrrp` alone), once
  // per real server (keepalived: "not configured", "RS already monitoring").
  for (auto& vs : cfg.virtual_servers) {
    for (auto& rs : vs.real_servers) {
      std::set<std::string> seen;
      std::erase_if(rs.checks, [&](const model::CheckSpec& c) {
        const auto* b = c.detail.get_if<model::BfdCheck>();
        if (!b) return false;
        bool known = std::any_of(cfg.bfd_instances.begin(), cfg.bfd_instances.end(),
                                 [&](const model::BfdInstance& i) { return i.name == b->name && i.checker; });
        if (!known) {
          diags.Error(LocOf(c.loc), "BFD_CHECK: bfd_instance '" + b->name + "' is not defined; ignored");
          return true;
        }
        if (!seen.insert(b->name).second) {
          diags.Error(LocOf(c.loc), "BFD_CHECK: the real server already checks bfd_instance '" +
                                        b->name + "'; ignored");
          return true;
        }
        return false;
      });
    }
  }
  std::erase_if(cfg.virtual_servers, [&](const model::VirtualServer& vs) {
    if (!vs.group) return false;
    for (const auto& g : cfg.virtual_server_groups)
      if (g.name == *vs.group) return false;
    diags.Error(LocOf(vs.loc), "virtual_server group " + *vs.group + ": virtual_server_group '" +
                                   *vs.group + "' is not defined; ignored");
    return true;
  });
  // ha_suspend follows addresses: a group with a fwmark clears it, as a fwmark service does.
  for (auto& vs : cfg.virtual_servers) {
    if (!vs.ha_suspend || !vs.group) continue;
    for (const auto& g : cfg.virtual_server_groups) {
      if (g.name != *vs.group ||
          std::none_of(g.entries.begin(), g.entries.end(),
                       [](const model::VsgEntry& e) { return e.fwmark.has_value(); }))
        continue;
      diags.Error(LocOf(vs.loc), "virtual_server group " + *vs.group +
                                     ": ha_suspend cannot be used with a fwmark; cleared");
      vs.ha_suspend = false;
    }
  }
  // vigil_announce_with names a vrrp_instance; without vigil_announce_table it does nothing.
  for (auto& vs : cfg.virtual_servers) {
    if (!vs.announce_with) continue;
    const std::string& name = *vs.announce_with;
    if (std::none_of(cfg.vrrp_instances.begin(), cfg.vrrp_instances.end(),
                     [&](const model::VrrpInstance& i) { return i.name == name; })) {
      diags.Error(LocOf(vs.announce_with_loc),
                  "vigil_announce_with: vrrp_instance '" + name + "' is not defined; ignored");
      vs.announce_with.reset();
    } else if (!cfg.global.announce_table) {
      diags.Warning(LocOf(vs.announce_with_loc),
                    "vigil_announce_with without vigil_announce_table in global_defs: "
                    "nothing is announced");
    }
  }
}

}  // namespace vigil::config::build_internal
