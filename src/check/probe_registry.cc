#include "check/probe_registry.h"

#include <type_traits>
#include <utility>
#include <variant>

namespace vigil::check {
namespace {

// Appends "name=<len>:<value>;" so that values can hold any byte.
class KeyWriter {
 public:
  void Str(std::string_view name, std::string_view value) {
    out_.append(name);
    out_.push_back('=');
    out_.append(std::to_string(value.size()));
    out_.push_back(':');
    out_.append(value);
    out_.push_back(';');
  }
  void Num(std::string_view name, long long value) { Str(name, std::to_string(value)); }
  void Bytes(std::string_view name, const std::vector<uint8_t>& v) {
    Str(name, std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
  }
  void Dur(std::string_view name, Duration d) {
    Num(name, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

void WriteParams(KeyWriter& w, const TcpCheck&) { w.Str("type", "tcp"); }

void WriteParams(KeyWriter& w, const HttpCheck& h) {
  w.Str("type", h.tls ? "ssl" : "http");
  w.Num("version", static_cast<int>(h.version));
  w.Str("vhost", h.virtualhost);
  w.Num("chunked", h.decode_chunked);
  w.Num("urls", static_cast<long long>(h.urls.size()));
  for (const HttpUrl& u : h.urls) {
    w.Str("path", u.path);
    w.Str("digest", u.digest);
    w.Str("uvhost", u.virtualhost);
    w.Num("codes", static_cast<long long>(u.status_codes.size()));
    for (auto [lo, hi] : u.status_codes) {
      w.Num("lo", lo);
      w.Num("hi", hi);
    }
    w.Str("regex", u.regex);
    w.Num("nomatch", u.regex_no_match);
    w.Num("ropts", u.regex_options);
    w.Num("rmin", static_cast<long long>(u.regex_min_offset));
    w.Num("rmax", u.regex_max_offset ? static_cast<long long>(*u.regex_max_offset) : -1);
    w.Num("rstack0", static_cast<long long>(u.regex_stack_start));
    w.Num("rstack", static_cast<long long>(u.regex_stack_max));
  }
  if (h.tls) {
    const TlsOptions& t = h.tls_options;
    w.Str("ca", t.ca_file);
    w.Str("cert", t.certificate_file);
    w.Str("key", t.key_file);
    w.Str("pass", t.password);
    w.Num("verify", t.verify_peer ? *t.verify_peer : -1);
    w.Num("sni", t.enable_sni);
    w.Str("sniname", t.sni_name);
  }
}

void WriteParams(KeyWriter& w, const SmtpCheck& s) {
  w.Str("type", "smtp");
  w.Str("helo", s.helo_name);
}

void WriteParams(KeyWriter& w, const DnsCheck& d) {
  w.Str("type", "dns");
  w.Num("qtype", d.type);
  w.Str("name", d.name);
}

void WriteParams(KeyWriter& w, const UdpCheck& u) {
  w.Str("type", "udp");
  w.Bytes("payload", u.payload);
  w.Num("reply", u.require_reply);
  w.Bytes("rdata", u.reply_data);
  w.Bytes("rmask", u.reply_mask);
  w.Num("min", static_cast<long long>(u.min_reply_length));
  w.Num("max", static_cast<long long>(u.max_reply_length));
}

void WriteParams(KeyWriter& w, const PingCheck&) { w.Str("type", "ping"); }

void WriteParams(KeyWriter& w, const MiscCheck& m) {
  w.Str("type", "misc");
  w.Num("argc", static_cast<long long>(m.argv.size()));
  for (const auto& a : m.argv) w.Str("arg", a);
  w.Num("timeout", m.timeout ? std::chrono::duration_cast<std::chrono::microseconds>(*m.timeout).count() : -1);
  w.Num("dynamic", m.dynamic);
  w.Num("uid", m.uid ? static_cast<long long>(*m.uid) : -1);
  w.Num("gid", m.gid ? static_cast<long long>(*m.gid) : -1);
  w.Str("refused", m.refused);
}

void WriteParams(KeyWriter& w, const BfdCheck& b) {
  w.Str("type", "bfd");
  w.Str("name", b.name);
}

void WriteParams(KeyWriter& w, const FileCheck& f) {
  w.Str("type", "file");
  w.Str("path", f.path);
  w.Num("weight", f.weight);
  w.Num("reverse", f.reverse);
}

}  // namespace

std::string ProbeKey(const ProbeSpec& spec, const CheckTiming& timing) {
  KeyWriter w;
  std::visit([&w](const auto& p) { WriteParams(w, p); }, spec.params);
  const bool uses_connect = !std::holds_alternative<MiscCheck>(spec.params) &&
                            !std::holds_alternative<FileCheck>(spec.params) &&
                            !std::holds_alternative<BfdCheck>(spec.params);
  if (uses_connect) {
    const ConnectOptions& c = spec.connect;
    w.Str("addr", c.address);
    w.Num("port", c.port);
    w.Str("bind", c.bind_address);
    w.Num("bport", c.bind_port);
    w.Str("bif", c.bind_if);
    w.Num("mark", c.fwmark);
    w.Dur("timeout", c.connect_timeout);
  }
  w.Dur("loop", timing.delay_loop);
  w.Dur("dbr", timing.delay_before_retry);
  w.Dur("warmup", timing.warmup);
  w.Num("retry", timing.retry);
  w.Num("alpha", timing.alpha);
  w.Num("logall", timing.log_all_failures);
  w.Num("confirm", timing.confirm_recovery);
  w.Num("fast", timing.fast_recovery);
  return w.Take();
}

size_t ProbeRegistry::Add(const ProbeSpec& spec, const CheckTiming& timing, Subscriber subscriber) {
  std::string key = ProbeKey(spec, timing);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) {
    entries_.push_back(Entry{key, spec, timing, {}});
    it = by_key_.emplace(std::move(key), entries_.size() - 1).first;
  }
  entries_[it->second].subscribers.push_back(subscriber);
  return it->second;
}

}  // namespace vigil::check
