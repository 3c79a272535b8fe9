#include "model/json.h"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace vigil::model {

namespace {

using Json = nlohmann::ordered_json;

Json J(const std::string& s) { return s; }
Json J(bool b) { return b; }
Json J(int v) { return v; }
Json J(uint8_t v) { return v; }
Json J(uint16_t v) { return v; }
Json J(uint32_t v) { return v; }
Json J(int64_t v) { return v; }
Json J(Duration d) { return static_cast<double>(d.count()) / 1e6; }
Json J(const IpAddress& a) { return a.is_unspec() ? Json(nullptr) : Json(a.ToString()); }
Json J(const IpPrefix& p) { return p.ToString(); }
Json J(Family f) { return std::string(FamilyName(f)); }

Json J(const RawSetting& x);
Json J(const Script& x);
Json J(const NotifyFifo& x);
Json J(const LvsSyncDaemon& x);
Json J(const Conntrackd& x);
Json J(const VrrpScript& x);
Json J(const TrackFile& x);
Json J(const TrackProcess& x);
Json J(const BfdInstance& x);
Json J(const TrackedInterface& x);
Json J(const TrackedRef& x);
Json J(const VirtualAddress& x);
Json J(const RouteOrRule& x);
Json J(const UnicastPeer& x);
Json J(const UseIpvlan& x);
Json J(const StatusRange& x);
Json J(const Url& x);
Json J(const CheckSpec& x);
Json J(const RealServer& x);
Json J(const SorryServer& x);
Json J(const VsgEntry& x);
Json J(const VirtualServerGroup& x);
Json J(const VirtualServer& x);
Json J(const SslConfig& x);
Json J(const VrrpInstance& x);
Json J(const SyncGroup& x);
Json J(const GarpGroup& x);
Json J(const StaticTrackGroup& x);
Json J(const UpDownDelay& x);
Json J(const Global& x);
Json J(const std::vector<uint8_t>& bytes);

template <typename T>
Json J(const std::optional<T>& o) {
  return o ? J(*o) : Json(nullptr);
}

template <typename T>
Json J(const HeapOptional<T>& o) {
  return o ? J(*o) : Json(nullptr);
}

template <typename T>
Json J(const std::vector<T>& v) {
  Json a = Json::array();
  for (const T& x : v) a.push_back(J(x));
  return a;
}

Json J(const std::vector<uint8_t>& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

Json J(const RawSetting& r) {
  return Json{{"keyword", r.keyword}, {"args", J(r.args)}};
}

Json J(const Script& s) {
  Json j{{"command", s.command}, {"user", J(s.user)}, {"group", J(s.group)}};
  if (s.program) j["program"] = *s.program;  // only once resolved against a system
  if (s.real_program) j["real_program"] = *s.real_program;
  return j;
}

Json J(const NotifyFifo& f) {
  Json j{{"path", f.path}, {"script", J(f.script)}};
  if (f.user) j["user"] = *f.user;
  if (f.group) j["group"] = *f.group;
  return j;
}

Json J(const LvsSyncDaemon& d) {
  return Json{{"interface", d.interface}, {"vrrp_instance", d.vrrp_instance},
              {"id", J(d.sync_id)},       {"maxlen", J(d.maxlen)},
              {"port", J(d.port)},        {"ttl", J(d.ttl)},
              {"group", J(d.group)}};
}

Json J(const Conntrackd& c) {
  return Json{{"config", c.config}, {"follow", c.follow}, {"timeout", J(c.timeout)}};
}

Json J(const Global& g) {
  Json j;
  j["router_id"] = J(g.router_id);
  j["notification_email"] = J(g.notification_email);
  j["notification_email_from"] = J(g.notification_email_from);
  j["smtp_server"] = J(g.smtp_server);
  j["smtp_port"] = J(g.smtp_port);
  j["smtp_helo_name"] = J(g.smtp_helo_name);
  j["smtp_connect_timeout"] = J(g.smtp_connect_timeout);
  j["smtp_alert"] = J(g.smtp_alert);
  j["smtp_alert_vrrp"] = J(g.smtp_alert_vrrp);
  j["smtp_alert_checker"] = J(g.smtp_alert_checker);
  j["checker_log_all_failures"] = J(g.checker_log_all_failures);
  j["enable_script_security"] = J(g.enable_script_security);
  j["script_user"] = J(g.script_user);
  j["script_group"] = J(g.script_group);
  j["default_interface"] = J(g.default_interface);
  j["dynamic_interfaces"] = J(g.dynamic_interfaces);
  j["vrrp_strict"] = J(g.vrrp_strict);
  j["vrrp_skip_check_adv_addr"] = J(g.vrrp_skip_check_adv_addr);
  j["vrrp_check_unicast_src"] = J(g.vrrp_check_unicast_src);
  j["v3_checksum_as_v2"] = g.v3_checksum_as_v2;
  j["vrrp_version"] = J(g.vrrp_version);
  j["vrrp_mcast_group4"] = J(g.vrrp_mcast_group4);
  j["vrrp_mcast_group6"] = J(g.vrrp_mcast_group6);
  j["vrrp_garp_interval"] = J(g.vrrp_garp_interval);
  j["vrrp_gna_interval"] = J(g.vrrp_gna_interval);
  j["vrrp_garp_master_delay"] = J(g.vrrp_garp_master_delay);
  j["vrrp_garp_master_repeat"] = J(g.vrrp_garp_master_repeat);
  j["vrrp_garp_master_refresh"] = J(g.vrrp_garp_master_refresh);
  j["vrrp_garp_master_refresh_repeat"] = J(g.vrrp_garp_master_refresh_repeat);
  j["vrrp_garp_lower_prio_delay"] = J(g.vrrp_garp_lower_prio_delay);
  j["vrrp_garp_lower_prio_repeat"] = J(g.vrrp_garp_lower_prio_repeat);
  j["vrrp_lower_prio_no_advert"] = J(g.vrrp_lower_prio_no_advert);
  j["vrrp_higher_prio_send_advert"] = J(g.vrrp_higher_prio_send_advert);
  j["vrrp_min_garp"] = J(g.vrrp_min_garp);
  j["vrrp_notify_priority_changes"] = J(g.vrrp_notify_priority_changes);
  j["vrrp_down_timer_adverts"] = J(g.vrrp_down_timer_adverts);
  j["vrrp_startup_delay"] = J(g.vrrp_startup_delay);
  j["vrrp_delay_after_boot"] = J(g.vrrp_delay_after_boot);
  j["vrrp_owner_ignore_adverts"] = J(g.vrrp_owner_ignore_adverts);
  j["vrrp_iptables"] = J(g.vrrp_iptables);
  j["nftables"] = J(g.nftables);
  j["nftables_priority"] = J(g.nftables_priority);
  j["nftables_ifindex"] = J(g.nftables_ifindex);
  j["nftables_counters"] = J(g.nftables_counters);
  j["notify_fifo"] = J(g.notify_fifo);
  j["vrrp_notify_fifo"] = J(g.vrrp_notify_fifo);
  j["lvs_notify_fifo"] = J(g.lvs_notify_fifo);
  j["startup_script"] = J(g.startup_script);
  j["startup_script_timeout"] = J(g.startup_script_timeout);
  j["shutdown_script"] = J(g.shutdown_script);
  j["shutdown_script_timeout"] = J(g.shutdown_script_timeout);
  j["umask"] = J(g.umask);
  j["process_name"] = J(g.process_name);
  j["vrrp_process_name"] = J(g.vrrp_process_name);
  j["checker_process_name"] = J(g.checker_process_name);
  j["bfd_process_name"] = J(g.bfd_process_name);
  j["random_seed"] = J(g.random_seed);
  j["lvs_sync_daemon"] = J(g.lvs_sync_daemon);
  j["lvs_timeout_tcp"] = J(g.lvs_timeout_tcp);
  j["lvs_timeout_tcpfin"] = J(g.lvs_timeout_tcpfin);
  j["lvs_timeout_udp"] = J(g.lvs_timeout_udp);
  j["lvs_flush"] = J(g.lvs_flush);
  j["lvs_flush_on_stop"] = g.lvs_flush_on_stop == LvsFlushOnStop::kFull ? "full"
                           : g.lvs_flush_on_stop == LvsFlushOnStop::kVs ? "VS"
                                                                         : "none";
  j["enable_traps"] = J(g.enable_traps);
  j["enable_dbus"] = J(g.enable_dbus);
  j["enable_snmp_vrrp"] = J(g.enable_snmp_vrrp);
  j["enable_snmp_checker"] = J(g.enable_snmp_checker);
  j["vigil_conntrackd"] = J(g.conntrackd);
  j["vigil_announce_table"] = J(g.announce_table);
  j["vigil_announce_vty_socket"] = J(g.announce_vty_socket);
  j["set_supplementary_groups"] = J(g.set_supplementary_groups);
  j["use_symlink_paths"] = J(g.use_symlink_paths);
  j["disable_local_igmp"] = J(g.disable_local_igmp);
  j["max_auto_priority"] = J(g.max_auto_priority);
  j["min_auto_priority_delay"] = J(g.min_auto_priority_delay);
  j["iproute_etc_dir"] = J(g.iproute_etc_dir);
  j["iproute_usr_dir"] = J(g.iproute_usr_dir);
  j["state_dump_file"] = J(g.state_dump_file);
  j["stats_dump_file"] = J(g.stats_dump_file);
  j["json_dump_file"] = J(g.json_dump_file);
  j["data_use_instance"] = J(g.data_use_instance);
  j["json_version"] = J(g.json_version);
  j["other"] = J(g.other);
  return j;
}

Json J(const VrrpScript& s) {
  Json j{{"name", s.name},           {"script", s.command},
         {"interval", J(s.interval)}, {"timeout", J(s.timeout)},
         {"weight", s.weight},       {"weight_reverse", s.weight_reverse},
         {"rise", s.rise},           {"fall", s.fall},
         {"user", J(s.user)},        {"group", J(s.group)},
         {"init_fail", s.init_fail}};
  if (s.program) j["program"] = *s.program;  // only once resolved against a system
  if (s.real_program) j["real_program"] = *s.real_program;
  return j;
}

Json J(const TrackFile& f) {
  return Json{{"name", f.name},           {"file", f.path},
              {"weight", f.weight},       {"weight_reverse", f.weight_reverse},
              {"init_file", f.init_file}, {"init_value", J(f.init_value)},
              {"init_overwrite", f.init_overwrite}};
}

Json J(ParamMatch m) {
  return m == ParamMatch::kPartial ? "partial" : m == ParamMatch::kInitial ? "initial" : "exact";
}

Json J(const TrackProcess& p) {
  return Json{{"name", p.name},
              {"process", p.process},
              {"parameters", J(p.parameters)},
              {"param_match", J(p.param_match)},
              {"weight", p.weight},
              {"weight_reverse", p.weight_reverse},
              {"quorum", p.quorum},
              {"quorum_max", J(p.quorum_max)},
              {"fork_delay", J(p.fork_delay)},
              {"terminate_delay", J(p.terminate_delay)},
              {"full_command", p.full_command}};
}

Json J(const BfdInstance& b) {
  return Json{{"name", b.name},           {"neighbor_ip", J(b.neighbor_ip)},
              {"source_ip", J(b.source_ip)}, {"min_rx", J(b.min_rx)},
              {"min_tx", J(b.min_tx)},     {"idle_tx", J(b.idle_tx)},
              {"multiplier", b.multiplier}, {"passive", b.passive},
              {"ttl", b.ttl},               {"max_hops", b.max_hops},
              {"multihop", b.multihop},     {"weight", b.weight},
              {"weight_reverse", b.weight_reverse}, {"vrrp", b.vrrp},
              {"checker", b.checker}};
}

Json J(const TrackedInterface& t) {
  return Json{{"name", t.name}, {"weight", t.weight}, {"reverse", t.reverse}};
}

Json J(const TrackedRef& t) {
  Json j{{"name", t.name}, {"weight", J(t.weight)}, {"reverse", t.reverse}};
  if (t.noreverse) j["noreverse"] = true;
  return j;
}

Json J(const UseIpvlan& x) {
  const char* mode = x.mode == IpvlanMode::kPrivate ? "private"
                     : x.mode == IpvlanMode::kVepa  ? "vepa"
                                                    : "bridge";
  return Json{{"name", x.name}, {"address", J(x.address)}, {"mode", mode}};
}

Json J(const VirtualAddress& a) {
  return Json{{"address", J(a.prefix)}, {"broadcast", J(a.broadcast)}, {"dev", J(a.dev)},
              {"scope", J(a.scope)},    {"label", J(a.label)},         {"no_track", a.no_track},
              {"track_group", J(a.track_group)}, {"other", J(a.other)}};
}

Json J(const RouteOrRule& r) {
  return Json{{"words", J(r.words)}, {"family", J(r.family)}, {"track_group", J(r.track_group)}};
}

Json J(const UnicastPeer& p) {
  return Json{{"address", J(p.address)}, {"min_ttl", J(p.min_ttl)}, {"max_ttl", J(p.max_ttl)}};
}

Json J(const VrrpNotify& n) {
  return Json{{"master", J(n.master)},   {"backup", J(n.backup)},   {"fault", J(n.fault)},
              {"stop", J(n.stop)},       {"deleted", J(n.deleted)},
              {"master_rx_lower_pri", J(n.master_rx_lower_pri)}, {"notify", J(n.generic)}};
}

Json J(VrrpState s) { return s == VrrpState::kMaster ? "MASTER" : "BACKUP"; }
Json J(AuthType t) { return t == AuthType::kPass ? "PASS" : t == AuthType::kAh ? "AH" : "none"; }

Json J(const VrrpInstance& v) {
  Json j;
  j["name"] = v.name;
  j["state"] = J(v.initial_state);
  j["interface"] = J(v.interface);
  j["virtual_router_id"] = J(v.virtual_router_id);
  j["priority"] = J(v.priority);
  j["advert_int"] = J(v.advert_int);
  j["version"] = v.version;
  j["family"] = J(v.family);
  j["virtual_ipaddress"] = J(v.virtual_ipaddress);
  j["virtual_ipaddress_excluded"] = J(v.virtual_ipaddress_excluded);
  j["virtual_routes"] = J(v.virtual_routes);
  j["virtual_rules"] = J(v.virtual_rules);
  j["auth_type"] = J(v.auth_type);
  j["auth_pass"] = v.auth_pass;
  if (v.auth_hmac) {
    // Key ids and lengths only: the dump never shows a secret.
    Json h;
    Json keys = Json::array();
    for (const HmacKey& k : v.auth_hmac->keys) {
      Json key{{"id", k.id}, {"length", k.secret.size()}};
      if (k.file) key["file"] = *k.file;
      keys.push_back(std::move(key));
    }
    h["keys"] = std::move(keys);
    h["active_key"] = v.auth_hmac->active_key;
    h["mode"] = v.auth_hmac->mode == HmacMode::kEnforce      ? "enforce"
                : v.auth_hmac->mode == HmacMode::kPermissive ? "permissive"
                                                             : "receive-only";
    h["anti_replay"] = v.auth_hmac->anti_replay_time ? "time" : "monotonic";
    h["time_window"] = v.auth_hmac->time_window;
    j["auth_hmac"] = std::move(h);
  }
  j["nopreempt"] = v.nopreempt;
  j["preempt_delay"] = J(v.preempt_delay);
  j["accept"] = v.accept;
  j["strict_mode"] = v.strict_mode;
  j["skip_check_adv_addr"] = v.skip_check_adv_addr;
  j["dont_track_primary"] = v.dont_track_primary;
  j["promote_secondaries"] = v.promote_secondaries;
  j["no_virtual_ipaddress"] = v.no_virtual_ipaddress;
  j["owner_ignore_adverts"] = v.owner_ignore_adverts;
  j["track_interface"] = J(v.track_interface);
  j["track_script"] = J(v.track_script);
  j["track_file"] = J(v.track_file);
  j["track_process"] = J(v.track_process);
  j["track_bfd"] = J(v.track_bfd);
  j["mcast_src_ip"] = J(v.mcast_src_ip);
  j["unicast_src_ip"] = J(v.unicast_src_ip);
  j["mcast_dst_ip"] = J(v.mcast_dst_ip);
  j["track_src_ip"] = v.track_src_ip;
  j["unicast_peer"] = J(v.unicast_peer);
  j["unicast_ttl"] = J(v.unicast_ttl);
  j["unicast_fault_no_peer"] = v.unicast_fault_no_peer;
  j["check_unicast_src"] = v.check_unicast_src;
  j["old_unicast_checksum"] = v.old_unicast_checksum == OldUnicastChecksum::kOld     ? "old"
                              : v.old_unicast_checksum == OldUnicastChecksum::kNever ? "never"
                                                                                    : "auto";
  j["v3_checksum_as_v2"] = v.v3_checksum_as_v2;
  j["use_vmac"] = J(v.use_vmac);
  if (v.vmac_mac) {
    char mac[18];
    const auto& m = *v.vmac_mac;
    std::snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                  m[4], m[5]);
    j["vmac_mac"] = std::string(mac, v.vmac_mac_vrid ? 14 : 17);
  } else {
    j["vmac_mac"] = nullptr;
  }
  j["vmac_group"] = J(v.vmac_group);
  j["vmac_xmit_base"] = v.vmac_xmit_base;
  j["use_ipvlan"] = J(v.use_ipvlan);
  j["vrf"] = J(v.vrf);
  j["notify"] = J(v.notify);
  j["smtp_alert"] = J(v.smtp_alert);
  j["notify_priority_changes"] = J(v.notify_priority_changes);
  j["garp_master_delay"] = J(v.garp_master_delay);
  j["garp_master_repeat"] = v.garp_master_repeat;
  j["garp_master_refresh"] = J(v.garp_master_refresh);
  j["garp_master_refresh_repeat"] = v.garp_master_refresh_repeat;
  j["garp_lower_prio_delay"] = J(v.garp_lower_prio_delay);
  j["garp_lower_prio_repeat"] = v.garp_lower_prio_repeat;
  j["lower_prio_no_advert"] = v.lower_prio_no_advert;
  j["higher_prio_send_advert"] = v.higher_prio_send_advert;
  j["down_timer_adverts"] = v.down_timer_adverts;
  j["debug"] = v.debug;
  j["other"] = J(v.other);
  return j;
}

Json J(const SyncGroup& s) {
  return Json{{"name", s.name},
              {"group", J(s.members)},
              {"track_interface", J(s.track_interface)},
              {"track_script", J(s.track_script)},
              {"track_file", J(s.track_file)},
              {"track_process", J(s.track_process)},
              {"track_bfd", J(s.track_bfd)},
              {"notify", J(s.notify)},
              {"smtp_alert", J(s.smtp_alert)},
              {"sync_group_tracking_weight", s.sync_group_tracking_weight},
              {"notify_priority_changes", J(s.notify_priority_changes)}};
}

Json J(const StaticTrackGroup& g) { return Json{{"name", g.name}, {"members", J(g.members)}}; }

Json J(const UpDownDelay& d) {
  return Json{{"interface", d.interface}, {"down", J(d.down)}, {"up", J(d.up)}};
}

Json J(const GarpGroup& g) {
  return Json{{"garp_interval", J(g.garp_interval)},
              {"gna_interval", J(g.gna_interval)},
              {"interfaces", J(g.interfaces)}};
}

Json J(Protocol p) {
  switch (p) {
    case Protocol::kTcp: return "TCP";
    case Protocol::kUdp: return "UDP";
    case Protocol::kSctp: return "SCTP";
    case Protocol::kNone: break;
  }
  return nullptr;
}

Json J(const Forwarding& f) {
  Json j;
  j["method"] = f.method == LbKind::kNat ? "NAT" : f.method == LbKind::kDr ? "DR" : "TUN";
  if (f.method == LbKind::kTun) {
    j["tunnel_type"] = f.tunnel_type == TunnelType::kIpip  ? "ipip"
                       : f.tunnel_type == TunnelType::kGue ? "gue"
                                                           : "gre";
    j["tunnel_port"] = f.tunnel_port;
    j["tunnel_checksum"] = f.tunnel_checksum == TunnelChecksum::kCsum      ? "csum"
                           : f.tunnel_checksum == TunnelChecksum::kRemCsum ? "remcsum"
                                                                            : "nocsum";
  }
  return j;
}

Json J(const StatusRange& r) {
  return r.low == r.high ? Json(std::to_string(r.low))
                         : Json(std::to_string(r.low) + "-" + std::to_string(r.high));
}

Json J(const Url& u) {
  Json j{{"path", u.path},
         {"digest", J(u.digest)},
         {"status_code", J(u.status_codes)},
         {"virtualhost", J(u.virtualhost)},
         {"regex", J(u.regex)},
         {"regex_no_match", u.regex_no_match},
         {"tls_compliant", u.tls_compliant}};
  if (!u.regex_options.empty()) j["regex_options"] = J(u.regex_options);
  if (u.regex_min_offset != 0) j["regex_min_offset"] = u.regex_min_offset;
  if (u.regex_max_offset) j["regex_max_offset"] = *u.regex_max_offset;
  if (u.regex_stack_max != 0)
    j["regex_stack"] = Json{{"start", u.regex_stack_start}, {"max", u.regex_stack_max}};
  return j;
}

Json Detail(const CheckDetail& d) {
  return d.visit(
      [](const auto& c) -> Json {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, HttpCheck>) {
          return Json{{"url", J(c.urls)},
                      {"http_protocol", c.http_protocol == HttpProtocol::k11    ? "1.1"
                                        : c.http_protocol == HttpProtocol::k10C ? "1.0C"
                                                                                 : "1.0"},
                      {"virtualhost", J(c.virtualhost)},
                      {"enable_sni", c.enable_sni},
                      {"sni_name", J(c.sni_name)},
                      {"fast_recovery", c.fast_recovery},
                      {"tls_compliant", c.tls_compliant}};
        } else if constexpr (std::is_same_v<T, MiscCheck>) {
          return Json{{"misc_path", J(c.path)}, {"misc_timeout", J(c.timeout)},
                      {"misc_dynamic", c.dynamic}};
        } else if constexpr (std::is_same_v<T, SmtpCheck>) {
          return Json{{"helo_name", J(c.helo_name)}};
        } else if constexpr (std::is_same_v<T, DnsCheck>) {
          return Json{{"type", c.type}, {"name", c.name}};
        } else if constexpr (std::is_same_v<T, UdpCheck>) {
          return Json{{"payload", J(c.payload)},
                      {"require_reply", c.require_reply},
                      {"reply", J(c.reply)},
                      {"min_reply_length", J(c.min_reply_length)},
                      {"max_reply_length", J(c.max_reply_length)}};
        } else if constexpr (std::is_same_v<T, FileCheck>) {
          return Json{{"track_file", c.track_file}, {"weight", J(c.weight)}, {"reverse", c.reverse}};
        } else if constexpr (std::is_same_v<T, BfdCheck>) {
          return Json{{"name", c.name}, {"weight", J(c.weight)}, {"reverse", c.reverse}};
        } else {
          return Json::object();
        }
      });
}

Json J(const CheckSpec& c) {
  Json j;
  j["type"] = std::string(CheckKindName(c.detail));
  j["connect_ip"] = J(c.connect_ip);
  j["connect_port"] = J(c.connect_port);
  j["bindto"] = J(c.bindto);
  j["bind_if"] = J(c.bind_if);
  j["bind_port"] = J(c.bind_port);
  j["fwmark"] = J(c.fwmark);
  j["connect_timeout"] = J(c.connect_timeout);
  j["retry"] = c.retry;
  j["delay_before_retry"] = J(c.delay_before_retry);
  j["delay_loop"] = J(c.delay_loop);
  j["warmup"] = J(c.warmup);
  j["alpha"] = c.alpha;
  j["log_all_failures"] = c.log_all_failures;
  j["detail"] = Detail(c.detail);
  return j;
}

Json J(const RealServer& r) {
  Json j;
  j["address"] = J(r.address);
  j["port"] = r.port;
  j["weight"] = r.weight;
  j["lvs_method"] = J(r.forwarding);
  j["uthreshold"] = J(r.uthreshold);
  j["lthreshold"] = J(r.lthreshold);
  j["inhibit_on_failure"] = r.inhibit_on_failure;
  j["alpha"] = r.alpha;
  j["smtp_alert"] = r.smtp_alert;
  j["connect_timeout"] = J(r.connect_timeout);
  j["delay_loop"] = J(r.delay_loop);
  j["retry"] = J(r.retry);
  j["delay_before_retry"] = J(r.delay_before_retry);
  j["warmup"] = J(r.warmup);
  j["virtualhost"] = J(r.virtualhost);
  j["notify_up"] = J(r.notify_up);
  j["notify_down"] = J(r.notify_down);
  j["checks"] = J(r.checks);
  return j;
}

Json J(const SorryServer& s) {
  return Json{{"address", J(s.address)}, {"port", s.port}, {"inhibit", s.inhibit},
              {"lvs_method", J(s.forwarding)}};
}

Json J(const VsgEntry& e) {
  return Json{{"address", J(e.address)}, {"range_end", J(e.range_end)}, {"port", e.port},
              {"fwmark", J(e.fwmark)},   {"fwmark_family", J(e.fwmark_family)}};
}

Json J(const VirtualServerGroup& g) { return Json{{"name", g.name}, {"entries", J(g.entries)}}; }

Json J(const VirtualServer& v) {
  Json j;
  j["address"] = J(v.address);
  j["port"] = v.port;
  j["fwmark"] = J(v.fwmark);
  j["group"] = J(v.group);
  j["family"] = J(v.family);
  j["protocol"] = J(v.protocol);
  j["lb_algo"] = std::string(SchedulerName(v.scheduler));
  j["lvs_method"] = J(v.forwarding);
  j["ops"] = v.ops;
  j["hashed"] = v.hashed;
  j["sched_flag_1"] = v.sched_flag_1;
  j["sched_flag_2"] = v.sched_flag_2;
  j["sched_flag_3"] = v.sched_flag_3;
  j["persistence_timeout"] = J(v.persistence_timeout);
  j["persistence_granularity"] = J(v.persistence_granularity);
  j["persistence_engine"] = J(v.persistence_engine);
  j["ha_suspend"] = v.ha_suspend;
  j["smtp_alert"] = v.smtp_alert;
  j["virtualhost"] = J(v.virtualhost);
  j["alpha"] = v.alpha;
  j["omega"] = v.omega;
  j["quorum"] = v.quorum;
  j["hysteresis"] = v.hysteresis;
  j["quorum_up"] = J(v.quorum_up);
  j["quorum_down"] = J(v.quorum_down);
  j["vigil_announce_with"] = J(v.announce_with);
  j["weight"] = v.weight;
  j["inhibit_on_failure"] = v.inhibit_on_failure;
  j["delay_loop"] = J(v.delay_loop);
  j["connect_timeout"] = J(v.connect_timeout);
  j["retry"] = J(v.retry);
  j["delay_before_retry"] = J(v.delay_before_retry);
  j["warmup"] = J(v.warmup);
  j["sorry_server"] = J(v.sorry_server);
  j["real_servers"] = J(v.real_servers);
  return j;
}

Json J(const SslConfig& s) {
  return Json{{"password", J(s.password)}, {"ca", J(s.ca)}, {"certificate", J(s.certificate)},
              {"key", J(s.key)}};
}

Json ToJson(const Config& c) {
  Json j;
  j["global_defs"] = J(c.global);
  j["net_namespace"] = J(c.net_namespace);
  j["net_namespace_ipvs"] = J(c.net_namespace_ipvs);
  j["instance"] = J(c.instance);
  j["use_pid_dir"] = c.use_pid_dir;
  j["child_wait_time"] = J(c.child_wait_time);
  j["linkbeat_use_polling"] = c.linkbeat_use_polling;
  j["vrrp_scripts"] = J(c.vrrp_scripts);
  j["track_files"] = J(c.track_files);
  j["track_processes"] = J(c.track_processes);
  j["bfd_instances"] = J(c.bfd_instances);
  j["vrrp_instances"] = J(c.vrrp_instances);
  j["vrrp_sync_groups"] = J(c.sync_groups);
  j["static_ipaddress"] = J(c.static_addresses);
  j["static_routes"] = J(c.static_routes);
  j["static_rules"] = J(c.static_rules);
  j["garp_groups"] = J(c.garp_groups);
  j["track_groups"] = J(c.track_groups);
  j["interface_up_down_delays"] = J(c.interface_up_down_delays);
  j["linkbeat_interfaces"] = J(c.linkbeat_interfaces);
  j["virtual_server_groups"] = J(c.virtual_server_groups);
  j["virtual_servers"] = J(c.virtual_servers);
  j["ssl"] = J(c.ssl);
  return j;
}

}  // namespace

std::string ToJsonText(const Config& config, int indent) {
  // Names may hold any byte but JSON is UTF-8: an invalid sequence becomes U+FFFD.
  return ToJson(config).dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace vigil::model
