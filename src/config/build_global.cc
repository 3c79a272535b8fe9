// global_defs { } -> model::Global.
#include <sched.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "config/build.h"
#include "config/values.h"

namespace vigil::config::build_internal {

namespace {

using model::Duration;
constexpr Duration kZero{0};
constexpr Duration kMaxTimer = std::chrono::seconds(UINT32_MAX);

void SetBool(const Node& n, bool& out, Diagnostics& diags) {
  if (auto b = NodeBool(n, diags)) out = *b;
}

void SetOptBool(const Node& n, std::optional<bool>& out, Diagnostics& diags) {
  if (auto b = NodeBool(n, diags)) out = *b;
}

void SetString(const Node& n, std::optional<std::string>& out, Diagnostics& diags) {
  if (const Token* t = RequireArg(n, 0, diags)) out = t->text;
}

// lvs_flush_on_stop [VS]: keepalived takes no argument (flush the whole table) or VS (delete
// its own virtual servers), refuses any other word and ignores what follows.
void BuildLvsFlushOnStop(const Node& n, model::Global& g, Diagnostics& diags) {
  if (n.args.empty()) {
    g.lvs_flush_on_stop = model::LvsFlushOnStop::kFull;
  } else if (n.args[0].text == "VS") {
    g.lvs_flush_on_stop = model::LvsFlushOnStop::kVs;
  } else {
    diags.Error(n.args[0].loc, "Unknown lvs_flush_on_stop type " + n.args[0].text);
  }
}

// vrrp_min_garp [on]: one gratuitous ARP / NA on becoming master, no delayed repeat and no
// refresh, for each of those settings still at its default where the keyword stands (a
// vrrp_garp_master_* line after it sets its own; "off" changes nothing).
void ApplyMinGarp(const Node& n, model::Global& g, Diagnostics& diags) {
  auto on = NodeBool(n, diags);
  if (!on || !*on) return;
  const model::Global defaults;
  g.vrrp_min_garp = true;
  if (g.vrrp_garp_master_repeat == defaults.vrrp_garp_master_repeat) g.vrrp_garp_master_repeat = 1;
  if (g.vrrp_garp_master_delay == defaults.vrrp_garp_master_delay) g.vrrp_garp_master_delay = kZero;
  if (g.vrrp_garp_master_refresh_repeat == defaults.vrrp_garp_master_refresh_repeat)
    g.vrrp_garp_master_refresh_repeat = 0;
}

// A dump file's path: keepalived refuses an empty one (and keeps the default).
void SetDumpFile(const Node& n, std::optional<std::string>& out, Diagnostics& diags) {
  const Token* t = RequireArg(n, 0, diags);
  if (!t) return;
  if (t->text.empty()) {
    diags.Error(t->loc, n.name() + " requires a non-empty path; ignored");
    return;
  }
  out = t->text;
}

void SetTimer(const Node& n, Duration& out, Duration min, Diagnostics& diags) {
  if (const Token* t = RequireArg(n, 0, diags))
    if (auto v = ParseTimer(*t, n.name(), min, kMaxTimer, diags)) out = *v;
}

void SetSeconds(const Node& n, Duration& out, int64_t min, int64_t max, Diagnostics& diags) {
  if (const Token* t = RequireArg(n, 0, diags))
    if (auto v = ParseInteger(*t, n.name(), min, max, diags)) out = std::chrono::seconds(*v);
}

template <typename T>
void SetUint(const Node& n, T& out, int64_t min, int64_t max, Diagnostics& diags) {
  if (const Token* t = RequireArg(n, 0, diags))
    if (auto v = ParseInteger(*t, n.name(), min, max, diags)) out = static_cast<T>(*v);
}

void SetFifo(const Node& n, std::optional<model::NotifyFifo>& fifo, Diagnostics& diags) {
  const Token* t = RequireArg(n, 0, diags);
  if (!t) return;
  if (!fifo) fifo.emplace();
  fifo->path = t->text;
  // `notify_fifo PATH [username [groupname]]`: the owner of a created fifo.
  if (const Token* u = Arg(n, 1)) fifo->user = u->text;
  if (const Token* g = Arg(n, 2)) fifo->group = g->text;
}

void SetFifoScript(const Node& n, std::optional<model::NotifyFifo>& fifo, Diagnostics& diags) {
  auto s = ParseNotifyScript(n, diags);
  if (!s) return;
  if (!fifo) fifo.emplace();
  fifo->script = std::move(*s);
}

void BuildLvsSyncDaemon(const Node& n, model::Global& g, Diagnostics& diags) {
  // lvs_sync_daemon IF [inst VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group IP]
  // As keepalived reads it: the instance may also follow IF bare, and a bare number after
  // it is the sync id (the old form, reported); without an instance the checker engine runs
  // both daemons (sync id 0 unless given), with one the instance's state drives them.
  if (g.lvs_sync_daemon) {
    const auto& d = *g.lvs_sync_daemon;
    diags.Error(n.keyword.loc, "lvs_sync_daemon is already set (" + d.interface +
                                   (d.vrrp_instance.empty() ? "" : " " + d.vrrp_instance) +
                                   "); ignored");
    return;
  }
  const Token* itf = RequireArg(n, 0, diags);
  if (!itf) return;
  if (itf->text.size() >= 16) {
    diags.Error(itf->loc, "lvs_sync_daemon: interface name '" + itf->text +
                              "' is longer than 15 characters; ignored");
    return;
  }
  model::LvsSyncDaemon d;
  d.interface = itf->text;
  d.loc = RefOf(n);
  auto value = [&](size_t i, const std::string& what) -> const Token* {
    const Token* v = Arg(n, i + 1);
    if (!v) diags.Error(n.args[i].loc, "lvs_sync_daemon: '" + n.args[i].text + "' needs a value; " + what);
    return v;
  };
  for (size_t i = 1; i < n.args.size(); ++i) {
    const Token& opt = n.args[i];
    if (opt.text == "inst") {
      const Token* v = Arg(n, i + 1);
      if (!v) {
        // keepalived stops reading the configuration here.
        diags.Fatal(opt.loc, "lvs_sync_daemon: 'inst' needs a vrrp_instance name",
                    Grade::kCannotRun);
        return;
      }
      if (!d.vrrp_instance.empty())
        diags.Error(v->loc, "lvs_sync_daemon: the vrrp_instance is already '" +
                                d.vrrp_instance + "'; '" + v->text + "' ignored");
      else
        d.vrrp_instance = v->text;
      ++i;
    } else if (opt.text == "id") {
      if (const Token* v = value(i, "the sync id is the instance's virtual_router_id")) {
        if (auto x = ParseInteger(*v, "lvs_sync_daemon id", 0, 255, diags)) d.sync_id = *x;
        ++i;
      }
    } else if (opt.text == "maxlen") {
      if (const Token* v = value(i, "ignored")) {
        if (auto x = ParseInteger(*v, "lvs_sync_daemon maxlen", 1, 65535 - 20 - 8, diags))
          d.maxlen = *x;
        ++i;
      }
    } else if (opt.text == "port") {
      if (const Token* v = value(i, "ignored")) {
        if (auto x = ParseInteger(*v, "lvs_sync_daemon port", 1, 65535, diags))
          d.port = static_cast<uint16_t>(*x);
        ++i;
      }
    } else if (opt.text == "ttl") {
      if (const Token* v = value(i, "ignored")) {
        if (auto x = ParseInteger(*v, "lvs_sync_daemon ttl", 1, 255, diags))
          d.ttl = static_cast<uint8_t>(*x);
        ++i;
      }
    } else if (opt.text == "group") {
      if (const Token* v = value(i, "ignored")) {
        if (auto a = ParseAddress(*v, "lvs_sync_daemon group", diags)) {
          if (a->IsMulticast())
            d.group = *a;
          else
            diags.Error(v->loc, "lvs_sync_daemon group " + v->text +
                                    " is not a multicast address; ignored");
        }
        ++i;
      }
    } else if (i == 1) {
      d.vrrp_instance = opt.text;  // lvs_sync_daemon IF VRRP_INSTANCE
    } else if (i == 2) {
      // lvs_sync_daemon IF VRRP_INSTANCE SYNC_ID: taken, but keepalived reports it.
      if (auto x = ParseInteger(opt, "lvs_sync_daemon id", 0, 255, diags)) {
        diags.Error(opt.loc, "lvs_sync_daemon: write 'id " + opt.text + "' for the sync id");
        d.sync_id = *x;
      }
    } else {
      diags.Error(opt.loc, "lvs_sync_daemon: unknown option '" + opt.text + "'");
    }
  }
  g.lvs_sync_daemon = std::move(d);
}

void BuildConntrackd(const Node& n, model::Global& g, Diagnostics& diags) {
  // vigil_conntrackd CONFIG_FILE SYNC_GROUP|VRRP_INSTANCE [timeout SECONDS]
  const Token* file = RequireArg(n, 0, diags);
  const Token* follow = RequireArg(n, 1, diags);
  if (!file || !follow) return;
  model::Conntrackd c;
  c.config = file->text;
  c.follow = follow->text;
  c.loc = RefOf(n);
  for (size_t i = 2; i < n.args.size(); i += 2) {
    const Token& opt = n.args[i];
    const Token* val = Arg(n, i + 1);
    if (opt.text != "timeout") {
      diags.Error(opt.loc, "vigil_conntrackd: unknown option '" + opt.text + "'");
      return;
    }
    if (!val) {
      diags.Error(opt.loc, "vigil_conntrackd: 'timeout' needs a value");
      return;
    }
    auto v = ParseInteger(*val, "vigil_conntrackd timeout", 1, 3600, diags);
    if (!v) return;
    c.timeout = std::chrono::seconds(*v);
  }
  g.conntrackd = std::move(c);
}

bool IsTuningKeyword(std::string_view kw) {
  return kw == "priority" || kw == "no_swap" || kw == "rt_priority" || kw == "cpu_affinity" ||
         kw == "rlimit_rttime" || kw == "rlimit_rtime";
}

// `vrrp_*` / `checker_*` process settings: `kw` without its prefix.
void BuildTuning(const Node& n, std::string_view kw, model::ProcessTuning& t, Diagnostics& diags) {
  if (kw == "priority") {
    if (const Token* a = RequireArg(n, 0, diags))
      if (auto v = ParseInteger(*a, n.name(), -20, 19, diags)) t.priority = static_cast<int>(*v);
  } else if (kw == "no_swap") {
    SetBool(n, t.no_swap, diags);
  } else if (kw == "rt_priority") {
    if (const Token* a = RequireArg(n, 0, diags))
      if (auto v = ParseInteger(*a, n.name(), 1, 99, diags)) t.rt_priority = static_cast<int>(*v);
  } else if (kw == "rlimit_rttime" || kw == "rlimit_rtime") {
    if (const Token* a = RequireArg(n, 0, diags))
      if (auto v = ParseInteger(*a, n.name(), 2, UINT32_MAX, diags))
        t.rlimit_rttime = static_cast<uint32_t>(*v);
  } else if (kw == "cpu_affinity") {
    if (n.args.empty()) {
      RequireArg(n, 0, diags);
      return;
    }
    std::vector<int> cpus;
    for (const Token& a : n.args) {
      auto v = ParseInteger(a, n.name() + " cpu", 0, CPU_SETSIZE - 1, diags);
      if (!v) return;  // a bad list leaves the setting unchanged
      if (std::ranges::find(cpus, *v) == cpus.end()) cpus.push_back(static_cast<int>(*v));
    }
    std::ranges::sort(cpus);
    t.cpu_affinity = std::move(cpus);
  }
}

void BuildLvsTimeouts(const Node& n, model::Global& g, Diagnostics& diags) {
  // lvs_timeouts [tcp N] [tcpfin N] [udp N]
  for (size_t i = 0; i < n.args.size(); i += 2) {
    const Token& opt = n.args[i];
    const Token* val = Arg(n, i + 1);
    if (!val) {
      diags.Error(opt.loc, "lvs_timeouts: '" + opt.text + "' needs a value");
      break;
    }
    std::optional<Duration>* slot = opt.text == "tcp"      ? &g.lvs_timeout_tcp
                                    : opt.text == "tcpfin" ? &g.lvs_timeout_tcpfin
                                    : opt.text == "udp"    ? &g.lvs_timeout_udp
                                                           : nullptr;
    if (!slot) {
      diags.Error(opt.loc, "lvs_timeouts: unknown option '" + opt.text + "'");
      continue;
    }
    if (auto v = ParseInteger(*val, "lvs_timeouts " + opt.text, 0, 86400 * 31, diags))
      *slot = std::chrono::seconds(*v);
  }
}

// include_check [[+|-]read|match|wildcard_match|brace_match ...]: the preprocessor applies
// it; here its words are checked as keepalived checks them.
void CheckIncludeCheck(const Node& n, Diagnostics& diags) {
  for (size_t i = 0; i < n.args.size(); ++i) {
    std::string_view word = n.args[i].text;
    const bool signed_word = word.starts_with('+') || word.starts_with('-');
    if (!signed_word && i > 0) {
      diags.Error(n.args[i].loc, "include_check: '" + n.args[i].text +
                                     "' without + or - may only come first; ignored");
      continue;
    }
    if (signed_word) word.remove_prefix(1);
    if (word != "read" && word != "match" && word != "wildcard_match" &&
        word != "brace_match")
      diags.Error(n.args[i].loc, "include_check: unknown check '" + std::string(word) +
                                     "' (read, match, wildcard_match, brace_match); ignored");
  }
}

// Returns the receive buffer that `*_rcv_bufs[_force]` keyword `kw` sets, or nullptr.
model::ReceiveBuffer* NetlinkBuffer(std::string_view kw, model::Global& g) {
  if (kw.ends_with("_force")) kw.remove_suffix(6);
  if (kw == "vrrp_netlink_cmd_rcv_bufs") return &g.vrrp_netlink_cmd_rcv_bufs;
  if (kw == "vrrp_netlink_monitor_rcv_bufs") return &g.vrrp_netlink_monitor_rcv_bufs;
  if (kw == "process_monitor_rcv_bufs") return &g.process_monitor_rcv_bufs;
  if (kw == "lvs_netlink_cmd_rcv_bufs") return &g.lvs_netlink_cmd_rcv_bufs;
  if (kw == "lvs_netlink_monitor_rcv_bufs") return &g.lvs_netlink_monitor_rcv_bufs;
  return nullptr;
}

// vrrp_rx_bufs_policy MTU|ADVERT|BYTES..., as keepalived reads it: the words in any case,
// anything else a size (keepalived reads the size from the first argument, whichever
// argument is not a word; the lines add up); a size with a word is an error that keeps
// the size, MTU with ADVERT one that keeps MTU.
void BuildRxBufsPolicy(const Node& n, model::Global& g, Diagnostics& diags) {
  if (n.args.empty()) {
    diags.Error(n.keyword.loc, "vrrp_rx_bufs_policy: missing value");
    return;
  }
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  bool mtu = g.vrrp_rx_bufs_policy == model::RxBufsPolicy::kMtu;
  bool advert = g.vrrp_rx_bufs_policy == model::RxBufsPolicy::kAdvert;
  bool size = g.vrrp_rx_bufs_policy == model::RxBufsPolicy::kSize;
  for (const Token& a : n.args) {
    const std::string word = lower(a.text);
    if (word == "mtu") {
      mtu = true;
    } else if (word == "advert") {
      advert = true;
    } else {
      const std::string& first = n.args[0].text;
      uint32_t v = 0;
      auto [end, ec] = std::from_chars(first.data(), first.data() + first.size(), v);
      if (ec != std::errc() || end != first.data() + first.size() || first.empty()) {
        diags.Error(a.loc, "vrrp_rx_bufs_policy: '" + a.text +
                               "' is neither MTU, ADVERT nor a size (0..4294967295 bytes, "
                               "read from the first argument as keepalived does)");
        continue;
      }
      g.vrrp_rx_bufs_size = v;
      size = true;
    }
  }
  if (size && (mtu || advert)) {
    diags.Error(n.keyword.loc, "vrrp_rx_bufs_policy: a size and a policy cannot both be set; "
                               "the policy is ignored");
    mtu = advert = false;
  } else if (mtu && advert) {
    diags.Error(n.keyword.loc, "vrrp_rx_bufs_policy: MTU and ADVERT cannot both be set; "
                               "ADVERT is ignored");
    advert = false;
  }
  g.vrrp_rx_bufs_policy = size     ? model::RxBufsPolicy::kSize
                          : mtu    ? model::RxBufsPolicy::kMtu
                          : advert ? model::RxBufsPolicy::kAdvert
                                   : model::RxBufsPolicy::kNone;
}

}  // namespace

void BuildGlobalDefs(const Node& block, model::Global& g, Diagnostics& diags) {
  for (const Node& n : block.children) {
    const std::string& kw = n.name();
    if (kw == "router_id") SetString(n, g.router_id, diags);
    else if (kw == "notification_email") {
      for (const Node& c : n.children) g.notification_email.push_back(c.name());
    } else if (kw == "notification_email_from") SetString(n, g.notification_email_from, diags);
    else if (kw == "smtp_server") {
      const Token* t = RequireArg(n, 0, diags);
      if (!t) continue;
      g.smtp_server = t->text;
      if (const Token* p = Arg(n, 1))
        if (auto v = ParseInteger(*p, "smtp_server port", 1, 65535, diags))
          g.smtp_port = static_cast<uint16_t>(*v);
    } else if (kw == "smtp_helo_name") SetString(n, g.smtp_helo_name, diags);
    else if (kw == "smtp_connect_timeout") SetSeconds(n, g.smtp_connect_timeout, 1, UINT32_MAX, diags);
    else if (kw == "smtp_alert") SetOptBool(n, g.smtp_alert, diags);
    else if (kw == "smtp_alert_vrrp") SetOptBool(n, g.smtp_alert_vrrp, diags);
    else if (kw == "smtp_alert_checker") SetOptBool(n, g.smtp_alert_checker, diags);
    else if (kw == "checker_log_all_failures") SetBool(n, g.checker_log_all_failures, diags);
    else if (kw == "enable_script_security") SetBool(n, g.enable_script_security, diags);
    else if (kw == "set_supplementary_groups") SetBool(n, g.set_supplementary_groups, diags);
    else if (kw == "use_symlink_paths") SetBool(n, g.use_symlink_paths, diags);
    else if (kw == "script_user") {
      const Token* t = RequireArg(n, 0, diags);
      if (!t) continue;
      g.script_user = t->text;
      g.script_user_loc = RefOf(n);
      if (const Token* grp = Arg(n, 1)) g.script_group = grp->text;
    } else if (kw == "default_interface") SetString(n, g.default_interface, diags);
    else if (kw == "dynamic_interfaces") {
      // keepalived: "dynamic_interfaces [allow_if_changes]"; vigil always follows an
      // interface by name, so allow_if_changes adds nothing.
      const Token* t = Arg(n, 0);
      if (t && t->text == "allow_if_changes") g.dynamic_interfaces = true;
      else SetBool(n, g.dynamic_interfaces, diags);
    } else if (model::ReceiveBuffer* rb = NetlinkBuffer(kw, g)) {
      // As keepalived: BYTES 0..4294967295 (0: unset), `_force` a BOOL (none: true).
      if (kw.ends_with("_force")) {
        SetBool(n, rb->force, diags);
      } else if (const Token* t = RequireArg(n, 0, diags)) {
        if (auto v = ParseInteger(*t, kw, 0, UINT32_MAX, diags))
          rb->bytes = *v == 0 ? std::nullopt : std::optional<uint32_t>(static_cast<uint32_t>(*v));
      }
    }
    else if (kw == "vrrp_rx_bufs_policy") BuildRxBufsPolicy(n, g, diags);
    else if (kw == "vrrp_rx_bufs_multiplier") {
      if (const Token* t = RequireArg(n, 0, diags))
        if (auto v = ParseInteger(*t, kw, 1, UINT32_MAX, diags))
          g.vrrp_rx_bufs_multiplier = static_cast<uint32_t>(*v);
    }
    else if (kw == "vrrp_strict") SetBool(n, g.vrrp_strict, diags);
    else if (kw == "vrrp_skip_check_adv_addr") SetBool(n, g.vrrp_skip_check_adv_addr, diags);
    else if (kw == "vrrp_check_unicast_src") SetBool(n, g.vrrp_check_unicast_src, diags);
    else if (kw == "v3_checksum_as_v2") g.v3_checksum_as_v2 = true;  // keepalived reads no argument
    else if (kw == "vrrp_version") SetUint(n, g.vrrp_version, 2, 3, diags);
    else if (kw == "vrrp_mcast_group4" || kw == "vrrp_mcast_group6") {
      const Token* t = RequireArg(n, 0, diags);
      if (!t) continue;
      auto a = ParseAddress(*t, kw, diags);
      if (!a) continue;
      bool v4 = kw == "vrrp_mcast_group4";
      if (a->is_v4() != v4 || !a->IsMulticast()) {
        diags.Error(t->loc, kw + ": '" + t->text + "' is not an " + (v4 ? "IPv4" : "IPv6") +
                                " multicast address");
        continue;
      }
      (v4 ? g.vrrp_mcast_group4 : g.vrrp_mcast_group6) = *a;
    } else if (kw == "vrrp_garp_interval") SetTimer(n, g.vrrp_garp_interval, kZero, diags);
    else if (kw == "vrrp_gna_interval") SetTimer(n, g.vrrp_gna_interval, kZero, diags);
    else if (kw == "vrrp_garp_master_delay") SetSeconds(n, g.vrrp_garp_master_delay, 0, UINT32_MAX, diags);
    else if (kw == "vrrp_garp_master_repeat") SetUint(n, g.vrrp_garp_master_repeat, 0, UINT32_MAX, diags);
    else if (kw == "vrrp_garp_master_refresh") SetSeconds(n, g.vrrp_garp_master_refresh, 0, UINT32_MAX, diags);
    else if (kw == "vrrp_garp_master_refresh_repeat") SetUint(n, g.vrrp_garp_master_refresh_repeat, 0, UINT32_MAX, diags);
    else if (kw == "vrrp_garp_lower_prio_delay") {
      Duration d{};
      if (const Token* t = RequireArg(n, 0, diags))
        if (auto v = ParseInteger(*t, kw, 0, UINT32_MAX, diags)) {
          d = std::chrono::seconds(*v);
          g.vrrp_garp_lower_prio_delay = d;
        }
    } else if (kw == "vrrp_garp_lower_prio_repeat") {
      if (const Token* t = RequireArg(n, 0, diags))
        if (auto v = ParseInteger(*t, kw, 0, INT32_MAX, diags))
          g.vrrp_garp_lower_prio_repeat = static_cast<uint32_t>(*v);
    } else if (kw == "vrrp_lower_prio_no_advert") SetBool(n, g.vrrp_lower_prio_no_advert, diags);
    else if (kw == "vrrp_higher_prio_send_advert") SetBool(n, g.vrrp_higher_prio_send_advert, diags);
    else if (kw == "vrrp_min_garp") ApplyMinGarp(n, g, diags);
    else if (kw == "vrrp_down_timer_adverts") SetUint(n, g.vrrp_down_timer_adverts, 1, 100, diags);
    else if (kw == "vrrp_notify_priority_changes") SetBool(n, g.vrrp_notify_priority_changes, diags);
    else if (kw == "vrrp_startup_delay") SetTimer(n, g.vrrp_startup_delay, std::chrono::milliseconds(1), diags);
    else if (kw == "vrrp_delay_after_boot") SetTimer(n, g.vrrp_delay_after_boot, std::chrono::milliseconds(1), diags);
    else if (kw == "vrrp_owner_ignore_adverts") SetBool(n, g.vrrp_owner_ignore_adverts, diags);
    else if (BuildNftablesGlobal(n, g, diags)) continue;
    else if (kw == "notify_fifo") SetFifo(n, g.notify_fifo, diags);
    else if (kw == "notify_fifo_script") SetFifoScript(n, g.notify_fifo, diags);
    else if (kw == "vrrp_notify_fifo") SetFifo(n, g.vrrp_notify_fifo, diags);
    else if (kw == "vrrp_notify_fifo_script") SetFifoScript(n, g.vrrp_notify_fifo, diags);
    else if (kw == "lvs_notify_fifo") SetFifo(n, g.lvs_notify_fifo, diags);
    else if (kw == "lvs_notify_fifo_script") SetFifoScript(n, g.lvs_notify_fifo, diags);
    else if (kw == "startup_script") g.startup_script = ParseNotifyScript(n, diags);
    else if (kw == "startup_script_timeout") SetSeconds(n, g.startup_script_timeout, 1, 1000, diags);
    else if (kw == "shutdown_script") g.shutdown_script = ParseNotifyScript(n, diags);
    else if (kw == "shutdown_script_timeout") SetSeconds(n, g.shutdown_script_timeout, 1, 1000, diags);
    else if (BuildProcessGlobal(n, g, diags)) continue;
    else if (kw == "include_check") CheckIncludeCheck(n, diags);
    else if (kw == "disable_local_igmp") g.disable_local_igmp = true;  // keepalived reads no argument
    else if (kw == "max_auto_priority") {
      if (n.args.empty()) g.max_auto_priority = 99;  // sched_get_priority_max(SCHED_RR)
      else if (auto v = ParseInteger(n.args[0], kw, -1, 99, diags))
        g.max_auto_priority = static_cast<int>(*v);
    } else if (kw == "min_auto_priority_delay") {
      if (const Token* t = RequireArg(n, 0, diags))
        if (auto v = ParseInteger(*t, kw, 1, 10000000, diags))
          g.min_auto_priority_delay = std::chrono::microseconds(*v);
    }
    else if (kw == "iproute_etc_dir") SetString(n, g.iproute_etc_dir, diags);
    else if (kw == "iproute_usr_dir") SetString(n, g.iproute_usr_dir, diags);
    else if (kw == "state_dump_file") SetDumpFile(n, g.state_dump_file, diags);
    else if (kw == "stats_dump_file") SetDumpFile(n, g.stats_dump_file, diags);
    else if (kw == "json_dump_file") SetDumpFile(n, g.json_dump_file, diags);
    else if (kw == "data_use_instance") SetBool(n, g.data_use_instance, diags);
    else if (kw == "json_version") {
      if (const Token* t = RequireArg(n, 0, diags))
        if (auto v = ParseInteger(*t, kw, 1, 2, diags)) g.json_version = static_cast<int>(*v);
    }
    else if (kw == "lvs_sync_daemon") BuildLvsSyncDaemon(n, g, diags);
    else if (kw == "vigil_conntrackd") BuildConntrackd(n, g, diags);
    else if (kw == "vigil_announce_table") {
      // FRR's `ip import-table` takes 1..252 (253..255 are the kernel's own tables).
      // vigil_announce_table N [vty_socket DIR]
      const Token* t = RequireArg(n, 0, diags);
      std::optional<std::string> vty;
      bool ok = t != nullptr;
      for (size_t i = 1; ok && i < n.args.size(); i += 2) {
        const Token& opt = n.args[i];
        const Token* val = Arg(n, i + 1);
        if (opt.text != "vty_socket") {
          diags.Error(opt.loc, "vigil_announce_table: unknown option '" + opt.text + "'");
          ok = false;
        } else if (!val) {
          diags.Error(opt.loc, "vigil_announce_table: 'vty_socket' needs a directory");
          ok = false;
        } else {
          vty = val->text;
        }
      }
      if (ok)
        if (auto v = ParseInteger(*t, kw, 1, 252, diags)) {
          g.announce_table = static_cast<uint32_t>(*v);
          g.announce_vty_socket = vty;
          g.announce_table_loc = RefOf(n);
        }
    }
    else if (kw == "lvs_timeouts") BuildLvsTimeouts(n, g, diags);
    else if (kw == "lvs_flush") SetBool(n, g.lvs_flush, diags);
    else if (kw == "lvs_flush_onstop" || kw == "lvs_flush_on_stop") BuildLvsFlushOnStop(n, g, diags);
    else if (kw == "enable_traps") SetBool(n, g.enable_traps, diags);
    else if (kw == "enable_dbus") SetBool(n, g.enable_dbus, diags);
    else if (kw == "enable_snmp_vrrp" || kw == "enable_snmp_keepalived") SetBool(n, g.enable_snmp_vrrp, diags);
    else if (kw == "enable_snmp_checker") SetBool(n, g.enable_snmp_checker, diags);
    else if (kw.starts_with("vrrp_") && IsTuningKeyword(std::string_view(kw).substr(5)))
      BuildTuning(n, std::string_view(kw).substr(5), g.vrrp_tuning, diags);
    else if (kw.starts_with("checker_") && IsTuningKeyword(std::string_view(kw).substr(8)))
      BuildTuning(n, std::string_view(kw).substr(8), g.checker_tuning, diags);
    else if (kw.starts_with("bfd_") && IsTuningKeyword(std::string_view(kw).substr(4)))
      BuildTuning(n, std::string_view(kw).substr(4), g.bfd_tuning, diags);
    else {
      if (kw == "vrrp_garp_extra_if" || kw == "vrrp_vmac_garp_intvl")
        DiagnoseGarpExtra(n, "", 1, "vrrp_vmac_garp_intvl", "vrrp_garp_extra_if", diags);
      model::RawSetting r{kw, ArgTexts(n), RefOf(n)};
      for (const Node& c : n.children) {
        r.args.push_back(c.name());
        for (const Token& a : c.args) r.args.push_back(a.text);
      }
      g.other.push_back(std::move(r));
    }
  }
}

}  // namespace vigil::config::build_internal
