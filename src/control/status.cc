#include "control/status.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace vigil::control {

namespace {

// keepalived's numbers for the VRRP states (vrrp.h).
int KeepalivedState(const std::string& state) {
  if (state == "BACKUP") return 1;
  if (state == "MASTER") return 2;
  if (state == "FAULT") return 3;
  if (state == "STOP") return 98;
  return 0;  // INIT
}

}  // namespace

std::string ToKeepalivedJson(const Status& status, int version) {
  using Ordered = nlohmann::ordered_json;
  Ordered instances = Ordered::array();
  for (const InstanceStatus& i : status.instances) {
    auto rejected = [&i](std::initializer_list<const char*> reasons) {
      uint64_t n = 0;
      for (const char* r : reasons) {
        auto it = i.rejected.find(r);
        if (it != i.rejected.end()) n += it->second;
      }
      return n;
    };
    Ordered data;
    data["iname"] = i.name;
    data["ifp_ifname"] = i.interface;
    data["vrid"] = i.vrid;
    data["base_priority"] = i.base_priority;
    data["effective_priority"] = i.effective_priority;
    data["adver_int"] = i.advert_interval_s;
    data["state"] = KeepalivedState(i.state);
    data["version"] = i.version;
    data["vips"] = i.vips;
    Ordered stats;
    stats["advert_rcvd"] = i.adverts_received;
    stats["advert_sent"] = i.adverts_sent;
    stats["become_master"] = i.became_master;
    stats["packet_len_err"] = rejected({"too_short", "bad_length", "bad_ip_length"});
    stats["advert_interval_err"] = rejected({"interval_mismatch"});
    stats["ip_ttl_err"] = rejected({"bad_ttl"});
    stats["invalid_type_rcvd"] = rejected({"bad_type"});
    stats["invalid_authtype"] = rejected({"invalid_auth_type"});
    stats["authtype_mismatch"] = rejected({"auth_type_mismatch"});
    stats["auth_failure"] = rejected({"auth_failure"});
    stats["auth_ext_missing"] = rejected({"auth_missing"});
    stats["auth_ext_malformed"] = rejected({"auth_malformed"});
    stats["auth_ext_unknown_key"] = rejected({"auth_unknown_key"});
    stats["auth_ext_invalid_hmac"] = rejected({"auth_bad_hmac"});
    stats["auth_ext_stale"] = rejected({"auth_stale"});
    stats["auth_ext_replay"] = rejected({"auth_replay"});
    stats["pri_zero_rcvd"] = i.priority_zero_received;
    stats["pri_zero_sent"] = i.priority_zero_sent;
    instances.push_back(Ordered{{"data", std::move(data)}, {"stats", std::move(stats)}});
  }
  Ordered doc = version == 2 ? Ordered{{"vrrp", std::move(instances)}} : std::move(instances);
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// About what one real server's samples take, so that the text grows once or twice.
constexpr size_t kMetricBytesPerRealServer = 900;

// Writes the exposition text straight into one string: at 37,000 real servers it is 32 MB
// in 450,000 samples, a fresh string per label costing more than the text.
class Writer {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  void Reserve(size_t n) { out_.reserve(n); }
  // Starts a metric family with its HELP and TYPE lines.
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help);
    out_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void Sample(std::string_view name, Labels labels, double value) {
    out_ += name;
    if (labels.size()) {
      out_ += '{';
      bool first = true;
      for (const auto& [label, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_.append(label).append("=\"");
        Escape(v);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    Number(value);
    out_ += '\n';
  }
  std::string Take() { return std::move(out_); }

 private:
  // Writes a label value escaped: backslash, double quote and newline.
  void Escape(std::string_view v) {
    size_t run = 0;  // the start of the characters not yet written
    for (size_t i = 0; i < v.size(); ++i) {
      const char c = v[i];
      if (c != '\\' && c != '"' && c != '\n') continue;
      out_.append(v.substr(run, i - run));
      out_ += c == '\n' ? "\\n" : c == '"' ? "\\\"" : "\\\\";
      run = i + 1;
    }
    out_.append(v.substr(run));
  }
  // Writes the shortest text that reads back as the same double.
  void Number(double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    if (ec == std::errc()) out_.append(buf, end);
    else out_ += "NaN";
  }

  std::string out_;
};

}  // namespace

std::string RenderPrometheus(const Status& s) {
  Writer w;
  w.Reserve(16384 + RealServerCount(s.virtual_servers) * kMetricBytesPerRealServer);
  w.Family("vigil_build_info", "gauge", "vigil version (always 1).");
  w.Sample("vigil_build_info", {{"version", s.version}}, 1);
  w.Family("vigil_uptime_seconds", "gauge", "Seconds since the daemon started.");
  w.Sample("vigil_uptime_seconds", {}, s.uptime_s);
  w.Family("vigil_events_total", "counter", "Events numbered for vigilctl watch.");
  w.Sample("vigil_events_total", {}, double(s.events));
  w.Family("vigil_reloads_total", "counter", "Configuration reloads by result.");
  w.Sample("vigil_reloads_total", {{"result", "ok"}}, double(s.reloads - s.reload_failures));
  w.Sample("vigil_reloads_total", {{"result", "failed"}}, double(s.reload_failures));
  w.Family("vigil_last_reload_ok", "gauge", "1 if the last reload succeeded.");
  w.Sample("vigil_last_reload_ok", {}, s.last_reload_ok ? 1 : 0);
  w.Family("vigil_maintenance", "gauge",
           "1 while the node is in maintenance (vigilctl maintenance on): no VRRP instance "
           "becomes master.");
  w.Sample("vigil_maintenance", {}, s.maintenance ? 1 : 0);

  if (!s.conntrackd_commands.empty()) {
    w.Family("vigil_conntrackd_commands_total", "counter",
             "conntrackd commands run on VRRP transitions (vigil_conntrackd), by command and "
             "result (success, failure, timeout).");
    for (const auto& [command, results] : s.conntrackd_commands)
      for (const auto& [result, n] : results)
        w.Sample("vigil_conntrackd_commands_total", {{"command", command}, {"result", result}},
                 double(n));
  }
  if (!s.engines.empty()) {
    w.Family("vigil_engine_up", "gauge", "1 while the engine process runs.");
    for (const auto& e : s.engines) w.Sample("vigil_engine_up", {{"engine", e.name}}, e.running);
    w.Family("vigil_engine_starts_total", "counter", "Engine processes started.");
    for (const auto& e : s.engines)
      w.Sample("vigil_engine_starts_total", {{"engine", e.name}}, double(e.starts));
    w.Family("vigil_engine_start_failures_total", "counter",
             "Engine starts that failed (fork, socketpair).");
    for (const auto& e : s.engines)
      w.Sample("vigil_engine_start_failures_total", {{"engine", e.name}},
               double(e.start_failures));
  }
  if (!s.listeners.empty()) {
    w.Family("vigil_listener_accepts_total", "counter", "accept calls, by result.");
    for (const auto& l : s.listeners) {
      w.Sample("vigil_listener_accepts_total", {{"listener", l.name}, {"result", "ok"}},
               double(l.accepted));
      w.Sample("vigil_listener_accepts_total", {{"listener", l.name}, {"result", "error"}},
               double(l.accept_errors));
    }
    w.Family("vigil_listener_dropped_total", "counter",
             "Connections closed without an answer, by reason.");
    for (const auto& l : s.listeners) {
      w.Sample("vigil_listener_dropped_total", {{"listener", l.name}, {"reason", "credentials"}},
               double(l.refused));
      w.Sample("vigil_listener_dropped_total", {{"listener", l.name}, {"reason", "deadline"}},
               double(l.timed_out));
    }
    w.Family("vigil_listener_connections", "gauge", "Connections open now.");
    for (const auto& l : s.listeners)
      w.Sample("vigil_listener_connections", {{"listener", l.name}}, double(l.open));
    w.Family("vigil_listener_watchers", "gauge",
             "Connections open now that watch events (vigilctl watch).");
    for (const auto& l : s.listeners)
      w.Sample("vigil_listener_watchers", {{"listener", l.name}}, double(l.watching));
  }

  static const char* const kStates[] = {"INIT", "BACKUP", "MASTER", "FAULT", "STOP"};
  if (!s.instances.empty()) {
    w.Family("vigil_vrrp_instance_state", "gauge",
             "1 for the state the VRRP instance is in, 0 for the others.");
    for (const auto& i : s.instances)
      for (const char* st : kStates)
        w.Sample("vigil_vrrp_instance_state", {{"instance", i.name}, {"state", st}},
                 i.state == st ? 1 : 0);
    w.Family("vigil_vrrp_instance_priority", "gauge", "Configured priority of the instance.");
    for (const auto& i : s.instances)
      w.Sample("vigil_vrrp_instance_priority", {{"instance", i.name}}, i.base_priority);
    w.Family("vigil_vrrp_instance_effective_priority", "gauge",
             "Priority after tracking weights.");
    for (const auto& i : s.instances)
      w.Sample("vigil_vrrp_instance_effective_priority", {{"instance", i.name}},
               i.effective_priority);
    w.Family("vigil_vrrp_instance_runtime_priority", "gauge",
             "The base priority an operator set at run time (vigilctl priority); absent "
             "without one.");
    for (const auto& i : s.instances)
      if (i.runtime_priority > 0)
        w.Sample("vigil_vrrp_instance_runtime_priority", {{"instance", i.name}},
                 i.runtime_priority);
    w.Family("vigil_vrrp_instance_held", "gauge",
             "1 while the instance is held, by reason: out of MASTER by an operator "
             "(maintenance, failover), from preempting until the load balancer's table is "
             "applied (lb_not_ready).");
    for (const auto& i : s.instances)
      for (const char* why : {"maintenance", "failover", "lb_not_ready"})
        w.Sample("vigil_vrrp_instance_held", {{"instance", i.name}, {"reason", why}},
                 i.hold == why ? 1 : 0);
    w.Family("vigil_vrrp_transitions_total", "counter", "State transitions of the instance.");
    for (const auto& i : s.instances)
      w.Sample("vigil_vrrp_transitions_total", {{"instance", i.name}}, double(i.transitions));
    w.Family("vigil_vrrp_adverts_sent_total", "counter", "VRRP adverts sent.");
    for (const auto& i : s.instances)
      w.Sample("vigil_vrrp_adverts_sent_total", {{"instance", i.name}}, double(i.adverts_sent));
    w.Family("vigil_vrrp_adverts_received_total", "counter", "Valid VRRP adverts received.");
    for (const auto& i : s.instances)
      w.Sample("vigil_vrrp_adverts_received_total", {{"instance", i.name}},
               double(i.adverts_received));
    w.Family("vigil_vrrp_packets_rejected_total", "counter",
             "Received VRRP packets dropped, by reason.");
    for (const auto& i : s.instances)
      for (const auto& [reason, n] : i.rejected)
        w.Sample("vigil_vrrp_packets_rejected_total", {{"instance", i.name}, {"reason", reason}},
                 double(n));
  }
  if (!s.bfd_sessions.empty()) {
    static const char* const kBfdStates[] = {"AdminDown", "Down", "Init", "Up"};
    w.Family("vigil_bfd_session_state", "gauge",
             "1 for the state the BFD session is in, 0 for the others.");
    for (const auto& b : s.bfd_sessions)
      for (const char* st : kBfdStates)
        w.Sample("vigil_bfd_session_state", {{"session", b.name}, {"state", st}},
                 b.state == st ? 1 : 0);
    w.Family("vigil_bfd_session_detection_time_seconds", "gauge",
             "The session's detection time: remote multiplier x agreed receive interval.");
    for (const auto& b : s.bfd_sessions)
      w.Sample("vigil_bfd_session_detection_time_seconds", {{"session", b.name}},
               b.detection_time_s);
    w.Family("vigil_bfd_packets_sent_total", "counter", "BFD control packets sent.");
    for (const auto& b : s.bfd_sessions)
      w.Sample("vigil_bfd_packets_sent_total", {{"session", b.name}}, double(b.packets_sent));
    w.Family("vigil_bfd_packets_received_total", "counter",
             "BFD control packets accepted by the session.");
    for (const auto& b : s.bfd_sessions)
      w.Sample("vigil_bfd_packets_received_total", {{"session", b.name}},
               double(b.packets_received));
    w.Family("vigil_bfd_session_transitions_total", "counter",
             "Times the session came Up (to=\"Up\") or left Up (to=\"Down\").");
    for (const auto& b : s.bfd_sessions) {
      w.Sample("vigil_bfd_session_transitions_total", {{"session", b.name}, {"to", "Up"}},
               double(b.up_transitions));
      w.Sample("vigil_bfd_session_transitions_total", {{"session", b.name}, {"to", "Down"}},
               double(b.down_transitions));
    }
    w.Family("vigil_bfd_packets_dropped_total", "counter",
             "Received BFD datagrams dropped before reaching a session, by reason.");
    for (const auto& [reason, n] : s.bfd_dropped)
      w.Sample("vigil_bfd_packets_dropped_total", {{"reason", reason}}, double(n));
  }
  if (s.announce.table != 0) {
    w.Family("vigil_announce_table", "gauge",
             "The kernel routing table vigil keeps announced host routes in "
             "(vigil_announce_table).");
    w.Sample("vigil_announce_table", {}, s.announce.table);
    w.Family("vigil_announce_route", "gauge",
             "1 while the address's host route is in the announce table; 0 while its service "
             "is up but the route is held back (maintenance, vigil_announce_with).");
    for (const auto& a : s.announce.announced) w.Sample("vigil_announce_route", {{"address", a}}, 1);
    for (const auto& [a, why] : s.announce.held) w.Sample("vigil_announce_route", {{"address", a}}, 0);
    w.Family("vigil_announce_error", "gauge", "1 while the last change of the announce table failed.");
    w.Sample("vigil_announce_error", {}, s.announce.error.empty() ? 0 : 1);
    if (s.announce.frr) {
      w.Family("vigil_announce_bgp_peer_established", "gauge",
               "1 while FRR's BGP session with the peer is Established.");
      for (const auto& p : s.announce.frr_peers)
        w.Sample("vigil_announce_bgp_peer_established", {{"peer", p.address}},
                 p.state == "Established" ? 1 : 0);
      w.Family("vigil_announce_bfd_peer_up", "gauge",
               "1 while FRR's BFD session with the BGP peer is up (peers with one only).");
      for (const auto& p : s.announce.frr_peers)
        if (!p.bfd.empty())
          w.Sample("vigil_announce_bfd_peer_up", {{"peer", p.address}}, p.bfd == "up" ? 1 : 0);
      w.Family("vigil_announce_advertised", "gauge",
               "1 while FRR advertises the announced address's host route to the peer.");
      for (const auto& a : s.announce.announced) {
        const std::string prefix = a + (a.find(':') == std::string::npos ? "/32" : "/128");
        for (const auto& p : s.announce.frr_peers) {
          const bool sent = std::find(p.advertised.begin(), p.advertised.end(), prefix) !=
                            p.advertised.end();
          w.Sample("vigil_announce_advertised", {{"address", a}, {"peer", p.address}}, sent ? 1 : 0);
        }
      }
    }
  }
  if (!s.virtual_servers.empty()) {
    w.Family("vigil_lb_virtual_server_quorum_up", "gauge",
             "1 while the virtual server has quorum.");
    for (const auto& v : s.virtual_servers)
      w.Sample("vigil_lb_virtual_server_quorum_up", {{"virtual_server", v.name}},
               v.quorum_up ? 1 : 0);
    w.Family("vigil_lb_virtual_server_live_weight", "gauge",
             "Sum of the weights of the live real servers.");
    for (const auto& v : s.virtual_servers)
      w.Sample("vigil_lb_virtual_server_live_weight", {{"virtual_server", v.name}},
               v.live_weight);
    w.Family("vigil_lb_real_server_up", "gauge", "1 while all checkers of the real server pass.");
    for (const auto& v : s.virtual_servers)
      for (const auto& r : v.real_servers)
        w.Sample("vigil_lb_real_server_up", {{"virtual_server", v.name}, {"real_server", r.address}},
                 r.up ? 1 : 0);
    w.Family("vigil_lb_real_server_weight", "gauge", "Weight in the kernel's load balancer.");
    for (const auto& v : s.virtual_servers)
      for (const auto& r : v.real_servers)
        w.Sample("vigil_lb_real_server_weight",
                 {{"virtual_server", v.name}, {"real_server", r.address}}, r.weight);
    w.Family("vigil_lb_real_server_admin", "gauge",
             "1 for the runtime state an operator set on the real server (vigilctl enable, "
             "disable, drain), 0 for the others.");
    for (const auto& v : s.virtual_servers)
      for (const auto& r : v.real_servers)
        for (const char* state : {"enabled", "disabled", "draining"})
          w.Sample("vigil_lb_real_server_admin",
                   {{"virtual_server", v.name}, {"real_server", r.address}, {"state", state}},
                   r.admin == state ? 1 : 0);
    w.Family("vigil_lb_real_server_admin_weight", "gauge",
             "The weight an operator set at run time (vigilctl weight); absent without one.");
    for (const auto& v : s.virtual_servers)
      for (const auto& r : v.real_servers)
        if (r.admin_weight >= 0)
          w.Sample("vigil_lb_real_server_admin_weight",
                   {{"virtual_server", v.name}, {"real_server", r.address}}, r.admin_weight);
    w.Family("vigil_lb_checks_total", "counter", "Health checks run, by result.");
    for (const auto& v : s.virtual_servers)
      for (const auto& r : v.real_servers) {
        w.Sample("vigil_lb_checks_total",
                 {{"virtual_server", v.name}, {"real_server", r.address}, {"result", "ok"}},
                 double(r.checks_ok));
        w.Sample("vigil_lb_checks_total",
                 {{"virtual_server", v.name}, {"real_server", r.address}, {"result", "failed"}},
                 double(r.checks_failed));
      }
    w.Family("vigil_lb_restorations_total", "counter",
             "Times the kernel's load balancer was found changed by someone else and restored, "
             "by how it was found.");
    for (const char* reason : {"event", "audit", "damaged", "rejected"}) {
      auto it = s.lb_restorations.find(reason);
      w.Sample("vigil_lb_restorations_total", {{"reason", reason}},
               double(it == s.lb_restorations.end() ? 0 : it->second));
    }
    w.Family("vigil_lb_check_latency_seconds", "gauge", "Duration of the last health check.");
    for (const auto& v : s.virtual_servers)
      for (const auto& r : v.real_servers)
        w.Sample("vigil_lb_check_latency_seconds",
                 {{"virtual_server", v.name}, {"real_server", r.address}},
                 r.last_check_latency_s);
  }
  return w.Take();
}

}  // namespace vigil::control
