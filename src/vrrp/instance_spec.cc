#include "vrrp/instance_spec.h"

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "alert/settings.h"
#include "base/subprocess.h"
#include "net/ipv4_header.h"
#include "vrrp/auth_hmac.h"
#include "vrrp/garp_extra.h"

namespace vigil::vrrp {
namespace {

// `s` is a std::optional or a model::HeapOptional of a model::Script.
template <typename OptionalScript>
std::optional<CommandSpec> Command(const OptionalScript& s) {
  if (!s) return std::nullopt;
  CommandSpec c;
  c.argv = CommandArgv(s->command, s->program);
  if (c.argv.empty()) return std::nullopt;
  c.path = s->real_program.value_or("");
  c.user = s->user;
  c.group = s->group;
  return c;
}

std::optional<FifoSpec> Fifo(const std::optional<model::NotifyFifo>& f) {
  if (!f || f->path.empty()) return std::nullopt;
  return FifoSpec{f->path, Command(f->script), f->user, f->group};
}

// A name for a VMAC or ipvlan vigil names itself, as keepalived's create_vmac_name gives it:
// PREFIX.VRID unless `taken` has it, then PREFIXN.VRID with N = 1, 2, ... (IPv6: 6, 1, 2,
// ..., 5, 7, ...), the prefix cut so that the name fits in IFNAMSIZ. The name is added to
// `taken`.
std::string VmacName(const std::string& prefix, int vrid, model::Family family,
                     std::set<std::string>& taken) {
  const auto named = [&](const std::string& suffix) {
    return prefix.substr(0, std::min(prefix.size(), size_t{IFNAMSIZ} - 1 - suffix.size())) + suffix;
  };
  const std::string dot_vrid = "." + std::to_string(vrid);
  std::string name = named(dot_vrid);
  for (int n = 0; taken.count(name);) {
    n = family != model::Family::kIpv6 ? n + 1 : n == 0 ? 6 : n == 6 ? 1 : n + 1 == 6 ? 7 : n + 1;
    name = named(std::to_string(n) + dot_vrid);
  }
  taken.insert(name);
  return name;
}

// Address VMACs as keepalived 2.2.7 makes them (vrrp_complete_instance): with
// `use_vmac_addr`, each VIP of `s` on another interface than the instance's, or of the other
// family than `family` on the instance's; and each VIP whose `own_vmac` is set (`use_vmac`
// on its line) — these go on a VMAC of their own on their interface, one per interface and
// family, named as create_vmac_name does: PREFIX.VRID unless `taken` has it, then
// PREFIXN.VRID with N = 1, 2, ... (IPv6: 6, 1, 2, ..., 5, 7, ...). Names it gives are added
// to `taken`.
void PlaceOnAddressVmacs(InstanceSpec& s, model::Family family, bool use_vmac_addr,
                         const std::vector<bool>& own_vmac, const std::string& prefix,
                         std::set<std::string>& taken) {
  const std::string vip_dev = s.vmac && !s.ipvlan ? *s.vmac : s.interface;
  for (size_t i = 0; i < s.vips.size(); ++i) {
    VipSpec& v = s.vips[i];
    const model::Family f = v.prefix.family();
    const bool other_dev = v.dev != s.interface && v.dev != vip_dev;
    const bool other = other_dev || (v.dev == s.interface && f != family);
    if (!own_vmac[i] && !(use_vmac_addr && other)) continue;
    auto same = std::ranges::find_if(s.address_vmacs, [&](const InstanceSpec::AddressVmac& a) {
      return a.parent == v.dev && a.family == f;
    });
    if (same == s.address_vmacs.end()) {
      s.address_vmacs.push_back({VmacName(prefix, s.params.vrid, f, taken), v.dev, f});
      same = s.address_vmacs.end() - 1;
    }
    v.dev = same->name;
  }
}

// The first word of global_defs `keyword`, or `fallback` without one.
std::string GlobalWord(const model::Config& config, std::string_view keyword,
                       std::string fallback) {
  for (const model::RawSetting& r : config.global.other)
    if (r.keyword == keyword && !r.args.empty()) return r.args[0];
  return fallback;
}

// A VIP whose `dev` is the instance's `interface` goes where one without goes (with
// use_vmac, on the VMAC), as in keepalived.
VipSpec Vip(const model::VirtualAddress& a, const std::string& interface,
            const std::string& default_dev, bool advertised) {
  VipSpec v;
  v.prefix = a.prefix;
  v.broadcast = a.broadcast;
  v.dev = a.dev && *a.dev != interface ? *a.dev : default_dev;
  v.scope = a.scope;
  v.label = a.label;
  v.advertised = advertised;
  std::optional<std::uint32_t> preferred;
  bool preferred_set = false;
  for (size_t i = 0; i < a.other.size(); ++i) {
    const std::string& o = a.other[i];
    const std::string* value = i + 1 < a.other.size() ? &a.other[i + 1] : nullptr;
    if (o == "home") v.flags |= IFA_F_HOMEADDRESS;
    else if (o == "mngtmpaddr") v.flags |= IFA_F_MANAGETEMPADDR;
    else if (o == "noprefixroute") v.flags |= IFA_F_NOPREFIXROUTE;
    else if (o == "autojoin") v.flags |= IFA_F_MCAUTOJOIN;
    else if (o == "-nodad") v.keep_dad = true;
    else if (o == "peer" && value) {
      v.peer = model::IpAddress::Parse(*value);
      ++i;
    } else if (o == "preferred_lft" && value) {
      preferred_set = true;
      if (*value != "forever") preferred = static_cast<std::uint32_t>(std::stoul(*value));
      ++i;
    }
  }
  if (!a.prefix.address.is_v4())
    v.preferred_lft = preferred_set ? preferred
                      : a.prefix.length == 128 ? std::optional<std::uint32_t>(0)
                                               : std::nullopt;
  return v;
}

// Appends the references of `refs` that name a block of `defined` (a vrrp_script or a
// vrrp_track_process), with the instance's weight and reverse taking precedence over the
// block's.
template <typename Block>
void AddTracked(const std::vector<model::TrackedRef>& refs,
                const std::map<std::string, const Block*>& defined,
                std::vector<ScriptRef>& out) {
  for (const auto& t : refs) {
    auto it = defined.find(t.name);
    if (it == defined.end()) continue;
    out.push_back({t.name, t.weight.value_or(it->second->weight),
                   t.reverse != it->second->weight_reverse});
  }
}

// Appends the references of `refs` that name a track_file block, with the reference's
// weight and reverse taking precedence over the block's.
void AddFiles(const std::vector<model::TrackedRef>& refs,
              const std::map<std::string, const model::TrackFile*>& files,
              std::vector<FileRef>& out) {
  for (const auto& t : refs) {
    auto it = files.find(t.name);
    if (it == files.end()) continue;
    out.push_back({t.name, it->second->path, t.weight.value_or(it->second->weight),
                   t.reverse != it->second->weight_reverse});
  }
}

// Appends the references of `refs` that name a bfd_instance: the reference's weight, else
// the instance's; reversed by `reverse`, not by `noreverse`, else as the instance says.
void AddBfds(const std::vector<model::TrackedRef>& refs,
             const std::map<std::string, const model::BfdInstance*>& bfds,
             std::vector<ScriptRef>& out) {
  for (const auto& t : refs) {
    auto it = bfds.find(t.name);
    if (it == bfds.end()) continue;
    if (std::any_of(out.begin(), out.end(), [&](const ScriptRef& r) { return r.name == t.name; }))
      continue;  // the group's reference to a session the member tracks already
    const bool reverse = t.reverse ? true : t.noreverse ? false : it->second->weight_reverse;
    out.push_back({t.name, t.weight.value_or(it->second->weight), reverse});
  }
}

// Makes `s` a member of `sg` as keepalived does: without sync_group_tracking_weight the
// member's own weighted trackers lose their weight (a weighted interface then faults the
// group when down, a weighted script is not tracked at all, a tracked file with the default
// weight 1 faults and one with any other weight is not tracked); then the group's own
// trackers are added to the member with their weights (0 when a member is an address
// owner is not checked here: an owner ignores priority changes anyway).
void JoinSyncGroup(const model::SyncGroup& sg,
                   const std::map<std::string, const model::VrrpScript*>& scripts,
                   const std::map<std::string, const model::TrackProcess*>& processes,
                   const std::map<std::string, const model::TrackFile*>& files,
                   const std::map<std::string, const model::BfdInstance*>& bfds,
                   InstanceSpec& s) {
  s.params.sync_member = true;
  if (!sg.sync_group_tracking_weight) {
    for (auto& t : s.track_interfaces) t.weight = 0;
    std::erase_if(s.track_scripts, [](const ScriptRef& r) { return r.weight != 0; });
    std::erase_if(s.track_files, [](const FileRef& f) { return f.weight != 0 && f.weight != 1; });
    for (auto& f : s.track_files) f.weight = 0;
    // keepalived: a weighted track_bfd of a member is not tracked.
    std::erase_if(s.track_bfds, [](const ScriptRef& r) { return r.weight != 0; });
  }
  for (const auto& t : sg.track_interface) s.track_interfaces.push_back({t.name, t.weight, t.reverse});
  AddTracked(sg.track_script, scripts, s.track_scripts);
  AddTracked(sg.track_process, processes, s.track_processes);
  AddFiles(sg.track_file, files, s.track_files);
  AddBfds(sg.track_bfd, bfds, s.track_bfds);
}

// Makes `s` track interface `name` with weight 0, as keepalived adds a track_group's
// instance to a static item's interface (and an instance to its VIPs' interfaces): an
// interface tracked already loses its weight.
void TrackForGroup(const std::string& name, InstanceSpec& s) {
  for (auto& t : s.track_interfaces)
    if (t.name == name) {
      t.weight = 0;
      t.reverse = false;
      return;
    }
  s.track_interfaces.push_back({name, 0, false});
}

// Returns the word after the first of `keys` in `words`, or "".
std::string WordAfter(const std::vector<std::string>& words,
                      std::initializer_list<std::string_view> keys) {
  for (size_t i = 0; i + 1 < words.size(); ++i)
    for (std::string_view k : keys)
      if (words[i] == k) return words[i + 1];
  return "";
}

bool Untracked(const std::vector<std::string>& words) {
  return std::find(words.begin(), words.end(), "no_track") != words.end();
}

// The members of track_group `group` track `interface` (keepalived: static_track_group_init).
void AddTrackGroup(const model::Config& config, const std::optional<std::string>& group,
                   const std::string& interface, std::vector<InstanceSpec>& instances) {
  if (!group || interface.empty()) return;
  for (const auto& g : config.track_groups) {
    if (g.name != *group) continue;
    for (const auto& member : g.members)
      for (auto& in : instances)
        if (in.name == member) TrackForGroup(interface, in);
  }
}

}  // namespace

bool InstanceSpec::SameExceptVips(const InstanceSpec& other) const {
  InstanceSpec a = *this;
  InstanceSpec b = other;
  a.vips.clear();
  b.vips.clear();
  return a == b;
}

net::ReceiveBuffer BufferFor(const model::ReceiveBuffer& configured, net::ReceiveBuffer fallback) {
  return net::ConfiguredReceiveBuffer(configured.bytes, configured.force, fallback);
}

VrrpSpec SpecFromModel(const model::Config& config) {
  VrrpSpec out;
  const model::Global& g = config.global;
  out.script_defaults = model::ScriptDefaultsOf(g);
  out.disable_local_igmp = g.disable_local_igmp;
  if (g.nftables && !g.nftables->empty()) out.nftables_table = *g.nftables;
  out.nftables_priority = g.nftables_priority;
  out.nftables_counters = g.nftables_counters;
  if (g.iproute_etc_dir) out.iproute_etc_dir = *g.iproute_etc_dir;
  if (g.iproute_usr_dir) out.iproute_usr_dir = *g.iproute_usr_dir;
  out.notify_fifo = Fifo(g.notify_fifo);
  out.vrrp_notify_fifo = Fifo(g.vrrp_notify_fifo);
  out.garp_interval = g.vrrp_garp_interval;
  out.gna_interval = g.vrrp_gna_interval;
  for (const auto& gg : config.garp_groups) {
    // keepalived drops a group that sets neither interval.
    if (gg.garp_interval.count() == 0 && gg.gna_interval.count() == 0) continue;
    out.garp_groups.push_back({gg.interfaces, gg.garp_interval, gg.gna_interval});
  }
  out.default_interface = g.default_interface.value_or("eth0");
  out.dynamic_interfaces = g.dynamic_interfaces;
  const auto global_flag = [&](std::string_view keyword) { return alert::GlobalFlag(g, keyword); };
  out.log_unknown_vrids = global_flag("log_unknown_vrids");
  out.fifo_write_states_on_reload = global_flag("fifo_write_vrrp_states_on_reload");
  const std::string host = alert::LocalNameFor(g);
  out.smtp = alert::SmtpSettingsOf(g, host, alert::UserName());
  out.router_id = alert::RouterIdOf(g, host);
  out.no_email_faults = alert::GlobalFlag(g, "no_email_faults");
  out.command_buffer = BufferFor(g.vrrp_netlink_cmd_rcv_bufs, out.command_buffer);
  out.monitor_buffer = BufferFor(g.vrrp_netlink_monitor_rcv_bufs, out.monitor_buffer);
  out.process_monitor_buffer = BufferFor(g.process_monitor_rcv_bufs, out.process_monitor_buffer);
  out.startup_delay = g.vrrp_startup_delay;
  out.delay_after_boot = g.vrrp_delay_after_boot;
  if (g.conntrackd) {
    ConntrackdSpec c;
    c.config = g.conntrackd->config;
    c.follow = g.conntrackd->follow;
    c.follows_group = std::ranges::any_of(
        config.sync_groups, [&](const model::SyncGroup& sg) { return sg.name == c.follow; });
    c.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(g.conntrackd->timeout);
    out.conntrackd = std::move(c);
  }
  for (const auto& a : config.static_addresses)
    out.static_addresses.push_back(Vip(a, out.default_interface, out.default_interface, false));
  for (const auto& r : config.static_routes) out.static_routes.push_back(r.words);
  for (const auto& r : config.static_rules) out.static_rules.push_back(r.words);

  std::map<std::string, const model::TrackFile*> files;
  for (const auto& f : config.track_files) files[f.name] = &f;
  // As keepalived, a vrrp_script whose program does not exist (not found along PATH, or
  // no such file) is dropped (-t reports it): an instance that tracks it ignores the
  // reference instead of failing it.
  std::map<std::string, const model::VrrpScript*> scripts;
  for (const auto& s : config.vrrp_scripts) {
    std::vector<std::string> argv = SplitCommandLine(s.command);
    if (argv.empty() || s.missing || (!s.program && argv[0].find('/') == std::string::npos)) {
      out.disabled_scripts.push_back(s.name);
      continue;
    }
    scripts[s.name] = &s;
  }

  std::map<std::string, const model::TrackProcess*> processes;
  for (const auto& t : config.track_processes) processes[t.name] = &t;
  std::map<std::string, const model::BfdInstance*> bfds;
  for (const auto& b : config.bfd_instances)
    if (b.vrrp) bfds[b.name] = &b;
  // The names of the VMACs and ipvlans vigil names itself, as keepalived 2.2.7 names them
  // instance by instance (vrrp_complete_instance): vmac_prefix.VRID (default "vrrp") for
  // the instance's use_vmac / use_ipvlan, then vmac_addr_prefix.VRID for its address VMACs
  // (default vmac_prefix), each avoiding the names configured or given before it.
  const std::string vmac_prefix = GlobalWord(config, "vmac_prefix", "vrrp");
  const std::string vmac_addr_prefix = GlobalWord(config, "vmac_addr_prefix", vmac_prefix);
  std::set<std::string> vmac_names;
  for (const auto& m : config.vrrp_instances) {
    if (m.use_vmac && !m.use_vmac->empty()) vmac_names.insert(*m.use_vmac);
    if (m.use_ipvlan && !m.use_ipvlan->name.empty()) vmac_names.insert(m.use_ipvlan->name);
  }
  for (const auto& m : config.vrrp_instances) {
    InstanceSpec s;
    s.name = m.name;
    // keepalived (upstream) runs an instance without an interface (unicast, from
    // unicast_src_ip) on no interface at all: default_interface is for static addresses.
    s.interface = m.interface.value_or("");
    s.family = m.family;
    Params& p = s.params;
    p.vrid = m.virtual_router_id;
    p.version = m.version == 3 ? Version::kV3 : Version::kV2;
    p.priority = m.priority;
    p.advert_interval = m.advert_int;
    p.start_as_master = m.initial_state == model::VrrpState::kMaster;
    // keepalived ignores nopreempt / preempt_delay under `state MASTER`, and nopreempt
    // for an address owner.
    p.nopreempt = m.nopreempt && !p.start_as_master && m.priority != kOwnerPriority;
    p.preempt_delay = p.start_as_master ? std::chrono::microseconds(0) : m.preempt_delay;
    p.down_timer_adverts = m.down_timer_adverts;
    p.timer_expired_backup = p.nopreempt ? m.timer_expired_backup : 0;
    p.lower_prio_no_advert = m.lower_prio_no_advert;
    p.higher_prio_send_advert = m.higher_prio_send_advert;
    p.skip_check_adv_addr = m.skip_check_adv_addr;
    p.accept = m.accept;
    p.garp_master_repeat = m.garp_master_repeat;
    p.garp_master_delay = m.garp_master_delay;
    p.garp_master_refresh = m.garp_master_refresh;
    p.garp_master_refresh_repeat = m.garp_master_refresh_repeat;
    p.garp_lower_prio_repeat = m.garp_lower_prio_repeat;
    p.garp_lower_prio_delay = m.garp_lower_prio_delay;
    p.notify_priority_changes = m.notify_priority_changes.value_or(false);
    p.owner_ignore_adverts = m.owner_ignore_adverts;
    s.auth_type = m.auth_type == model::AuthType::kPass ? AuthType::kPass : AuthType::kNone;
    s.auth_pass = m.auth_pass;
    if (m.auth_hmac) {
      s.auth_hmac = *m.auth_hmac;
      // Only keys with their bytes sign or verify (a key file is read by the system pass).
      std::erase_if(s.auth_hmac->keys, [](const model::HmacKey& k) { return k.secret.empty(); });
      for (model::HmacKey& k : s.auth_hmac->keys) k.loc = {};
      s.auth_hmac->loc = {};
    }
    if (m.use_vmac)
      s.vmac = m.use_vmac->empty() ? VmacName(vmac_prefix, p.vrid, m.family, vmac_names)
                                   : *m.use_vmac;
    s.vmac_xmit_base = m.vmac_xmit_base;
    if (m.use_vmac && m.vmac_mac) {
      net::MacAddress mac = *m.vmac_mac;
      if (m.vmac_mac_vrid) mac[5] = p.vrid;
      s.vmac_mac = mac;
    }
    s.vmac_group = m.vmac_group;
    s.vmac_ipv6 = m.family == model::Family::kIpv6 ||
                  std::any_of(m.virtual_ipaddress_excluded.begin(),
                              m.virtual_ipaddress_excluded.end(),
                              [&](const model::VirtualAddress& a) {
                                return a.prefix.family() != m.family;
                              });
    if (m.use_ipvlan) {
      // keepalived: adverts from the ipvlan (never vmac_xmit_base), from its address.
      const model::UseIpvlan& u = *m.use_ipvlan;
      s.vmac = u.name.empty() ? VmacName(vmac_prefix, p.vrid, m.family, vmac_names) : u.name;
      s.vmac_xmit_base = false;
      InstanceSpec::Ipvlan ipv;
      ipv.flags = u.mode == model::IpvlanMode::kPrivate ? IPVLAN_F_PRIVATE
                  : u.mode == model::IpvlanMode::kVepa  ? IPVLAN_F_VEPA
                                                        : 0;
      ipv.address = u.address;
      s.ipvlan = ipv;
    }
    s.vrf = m.vrf;
    // keepalived puts the VIPs on the VMAC, but on the interface itself with an ipvlan, and
    // those of the other family than the instance's on the interface too.
    const std::string vip_dev = s.vmac && !s.ipvlan ? *s.vmac : s.interface;
    auto dev_for = [&](const model::VirtualAddress& a) {
      return a.prefix.family() == m.family ? vip_dev : s.interface;
    };
    // `use_vmac` on a VIP's line (the builder kept it only where keepalived acts on it).
    std::vector<bool> own_vmac;
    for (const auto* list : {&m.virtual_ipaddress, &m.virtual_ipaddress_excluded})
      for (const auto& a : *list) {
        s.vips.push_back(Vip(a, s.interface, dev_for(a), list == &m.virtual_ipaddress));
        VipSpec& v = s.vips.back();
        v.filter_by_name = !g.nftables_ifindex && m.dont_track_primary &&
                           (v.dev == vip_dev || a.no_track);
        own_vmac.push_back(std::ranges::find(a.other, "use_vmac") != a.other.end());
      }
    if (m.use_vmac_addr || std::ranges::find(own_vmac, true) != own_vmac.end())
      PlaceOnAddressVmacs(s, m.family, m.use_vmac_addr, own_vmac, vmac_addr_prefix, vmac_names);
    if (const GarpExtra extra = GarpExtraOf(m, g); extra.interval.count() > 0) {
      s.garp_extra_vips = GarpExtraVips(s, extra.all);
      if (!s.garp_extra_vips.empty()) p.garp_extra_if = extra.interval;
    }
    s.source = m.unicast_src_ip ? m.unicast_src_ip : m.mcast_src_ip;
    if (!s.source && s.ipvlan && s.ipvlan->address) s.source = s.ipvlan->address->address;
    for (const auto& peer : m.unicast_peer)
      s.unicast_peers.push_back({peer.address, peer.min_ttl.value_or(0), peer.max_ttl.value_or(255)});
    s.no_peer_fault = m.unicast_fault_no_peer && m.unicast_peer.empty();
    if (m.mcast_dst_ip) {
      s.multicast_group = *m.mcast_dst_ip;
    } else {
      s.multicast_group = m.family == model::Family::kIpv6 ? g.vrrp_mcast_group6 : g.vrrp_mcast_group4;
    }
    s.check_unicast_src = m.check_unicast_src;
    s.unicast_ttl = m.unicast_ttl.value_or(255);
    s.track_source = m.track_src_ip;
    s.v3_checksum_as_v2 = m.v3_checksum_as_v2;
    s.unicast_checksum = m.old_unicast_checksum == model::OldUnicastChecksum::kOld
                             ? UnicastChecksum::kLegacy
                         : m.old_unicast_checksum == model::OldUnicastChecksum::kNever
                             ? UnicastChecksum::kStandard
                             : UnicastChecksum::kDetect;
    s.dont_track_primary = m.dont_track_primary;
    s.debug = static_cast<int>(m.debug);
    if (m.kernel_rx_buf_size != 0) {
      s.rx_buf_share = {RxBufShare::Kind::kBytes, m.kernel_rx_buf_size};
    } else if (g.vrrp_rx_bufs_policy == model::RxBufsPolicy::kSize) {
      s.rx_buf_share = {RxBufShare::Kind::kBytes, g.vrrp_rx_bufs_size};
    } else if (g.vrrp_rx_bufs_policy == model::RxBufsPolicy::kAdvert) {
      s.rx_buf_share = {RxBufShare::Kind::kAdvert, g.vrrp_rx_bufs_multiplier};
    } else if (g.vrrp_rx_bufs_policy == model::RxBufsPolicy::kMtu) {
      s.rx_buf_share = {RxBufShare::Kind::kMtu, g.vrrp_rx_bufs_multiplier};
    }
    s.promote_secondaries = m.promote_secondaries;
    for (const auto& t : m.track_interface) s.track_interfaces.push_back({t.name, t.weight, t.reverse});
    // keepalived tracks the interface of every VIP on another interface than the instance's
    // own (or its VMAC) with weight 0, unless no_track: FAULT while it is down (a VIP's
    // address VMAC rather than the interface it is made on).
    {
      size_t i = 0;
      for (const auto* list : {&m.virtual_ipaddress, &m.virtual_ipaddress_excluded})
        for (const auto& a : *list) {
          const std::string& dev = s.vips[i++].dev;
          if (!a.no_track && dev != s.interface && dev != s.vmac.value_or(""))
            TrackForGroup(dev, s);
        }
    }
    AddTracked(m.track_script, scripts, s.track_scripts);
    AddTracked(m.track_process, processes, s.track_processes);
    AddFiles(m.track_file, files, s.track_files);
    AddBfds(m.track_bfd, bfds, s.track_bfds);
    s.notify.master = Command(m.notify.master);
    s.notify.backup = Command(m.notify.backup);
    s.notify.fault = Command(m.notify.fault);
    s.notify.stop = Command(m.notify.stop);
    s.notify.deleted = Command(m.notify.deleted);
    s.notify.generic = Command(m.notify.generic);
    s.notify.master_rx_lower_pri = Command(m.notify.master_rx_lower_pri);
    s.notify.smtp_alert = alert::VrrpAlerts(config.global, m.smtp_alert);
    s.notify.notify_deleted = static_cast<bool>(m.notify.deleted);
    for (const auto& r : m.virtual_routes) s.routes.push_back(r.words);
    for (const auto& r : m.virtual_rules) s.rules.push_back(r.words);
    for (const auto& sg : config.sync_groups)
      if (std::find(sg.members.begin(), sg.members.end(), m.name) != sg.members.end()) {
        s.sync_group = sg.name;
        JoinSyncGroup(sg, scripts, processes, files, bfds, s);
      }
    out.instances.push_back(std::move(s));
  }
  for (const auto& a : config.static_addresses)
    if (!a.no_track) AddTrackGroup(config, a.track_group, a.dev.value_or(out.default_interface), out.instances);
  for (const auto& r : config.static_routes)
    if (!Untracked(r.words)) AddTrackGroup(config, r.track_group, WordAfter(r.words, {"dev", "oif"}), out.instances);
  for (const auto& r : config.static_rules)
    if (!Untracked(r.words)) AddTrackGroup(config, r.track_group, WordAfter(r.words, {"dev", "iif"}), out.instances);
  for (const auto& d : config.interface_up_down_delays) out.up_down_delays[d.interface] = {d.down, d.up};
  for (const auto& sg : config.sync_groups) {
    SyncGroupSpec g;
    g.name = sg.name;
    for (const auto& name : sg.members)
      for (auto& in : out.instances)
        if (in.name == name && in.sync_group == sg.name) g.members.push_back(name);
    if (g.members.empty()) continue;
    // keepalived starts a group as MASTER only when every member is an address owner in
    // state MASTER; otherwise every member starts as a backup.
    bool all_owners = true;
    for (const auto& in : out.instances)
      if (in.sync_group == sg.name && !(in.params.start_as_master && in.params.priority == kOwnerPriority))
        all_owners = false;
    for (auto& in : out.instances)
      if (in.sync_group == sg.name && !all_owners) in.params.start_as_master = false;
    g.notify.master = Command(sg.notify.master);
    g.notify.backup = Command(sg.notify.backup);
    g.notify.fault = Command(sg.notify.fault);
    g.notify.stop = Command(sg.notify.stop);
    g.notify.generic = Command(sg.notify.generic);
    g.notify.smtp_alert = alert::VrrpAlerts(config.global, sg.smtp_alert);
    out.sync_groups.push_back(std::move(g));
  }
  // Only the trackers some instance still tracks run (a member may have dropped some).
  std::set<std::string> used_scripts;
  std::set<std::string> used_processes;
  for (const auto& in : out.instances) {
    for (const auto& t : in.track_scripts) used_scripts.insert(t.name);
    for (const auto& t : in.track_processes) used_processes.insert(t.name);
  }
  for (const auto& t : config.track_processes) {
    if (!used_processes.count(t.name)) continue;
    ProcessSpec p;
    p.name = t.name;
    p.process = t.process;
    p.params = t.parameters;
    p.param_match = t.param_match == model::ParamMatch::kPartial   ? ParamMatch::kPartial
                    : t.param_match == model::ParamMatch::kInitial ? ParamMatch::kInitial
                                                                   : ParamMatch::kExact;
    p.full_command = t.full_command;
    p.quorum = t.quorum;
    p.quorum_max = t.quorum_max;
    p.fork_delay = t.fork_delay;
    p.terminate_delay = t.terminate_delay;
    out.processes.push_back(std::move(p));
  }
  for (const auto& m : config.vrrp_scripts) {
    if (!used_scripts.count(m.name)) continue;
    ScriptSpec s;
    s.name = m.name;
    s.command.argv = CommandArgv(m.command, m.program);
    s.command.path = m.real_program.value_or("");
    s.command.user = m.user;
    s.command.group = m.group;
    s.interval = m.interval;
    s.timeout = m.timeout;
    s.rise = m.rise;
    s.fall = m.fall;
    s.init_fail = m.init_fail;
    if (!s.command.argv.empty()) out.scripts.push_back(std::move(s));
  }
  return out;
}

uint64_t AdvertLength(const InstanceSpec& spec) {
  const bool v4 = spec.family == model::Family::kIpv4;
  uint64_t len = kHeaderSize + AdvertisedAddresses(spec).size() * (v4 ? 4 : 16);
  if (v4) {
    if (spec.params.version == Version::kV2) len += kAuthDataSize;
    len += net::kIpv4HeaderLength;
    if (spec.auth_type == AuthType::kAh) len += 24;  // keepalived's ipsec_ah_t
  }
  if (spec.auth_hmac && spec.auth_hmac->mode != model::HmacMode::kReceiveOnly)
    len += kHmacTrailerSize;
  return len;
}

uint64_t RxBufBytes(const InstanceSpec& spec, uint32_t mtu) {
  switch (spec.rx_buf_share.kind) {
    case RxBufShare::Kind::kNone: return 0;
    case RxBufShare::Kind::kBytes: return spec.rx_buf_share.value;
    case RxBufShare::Kind::kMtu: return uint64_t{spec.rx_buf_share.value} * mtu;
    case RxBufShare::Kind::kAdvert: return uint64_t{spec.rx_buf_share.value} * AdvertLength(spec);
  }
  return 0;
}

std::vector<model::IpAddress> AdvertisedAddresses(const InstanceSpec& spec) {
  std::vector<model::IpAddress> out;
  for (const auto& v : spec.vips)
    if (v.advertised && v.prefix.address.family() == spec.family)
      out.push_back(v.prefix.address);
  return out;
}

Expectation ExpectationFor(const InstanceSpec& spec,
                           std::span<const model::IpAddress> advertised, bool check_addresses,
                           UnicastChecksum unicast_checksum) {
  Expectation e;
  e.family = spec.family;
  e.version = spec.params.version;
  e.vrid = spec.params.vrid;
  e.auth_type = spec.params.version == Version::kV2 ? spec.auth_type : AuthType::kNone;
  if (e.auth_type == AuthType::kPass) e.auth_data = MakeAuthData(spec.auth_pass);
  e.interval = IntervalField(spec.params.version, spec.params.advert_interval);
  e.unicast = !spec.unicast_peers.empty();
  e.virtual_addresses = advertised;
  e.check_addresses = check_addresses;
  e.v3_checksum_as_v2 = spec.v3_checksum_as_v2;
  e.unicast_checksum = unicast_checksum;
  if (spec.family == model::Family::kIpv4) e.ipv4_multicast_group = spec.multicast_group;
  e.check_unicast_source = spec.check_unicast_src;
  e.peers = spec.unicast_peers;
  if (spec.auth_hmac) e.hmac = &*spec.auth_hmac;
  return e;
}

net::MacAddress VmacMac(const InstanceSpec& spec) {
  return spec.vmac_mac.value_or(net::VrrpVirtualMac(
      spec.family == model::Family::kIpv6 ? AF_INET6 : AF_INET, spec.params.vrid));
}

InstanceSpec AddressVmacSpec(const InstanceSpec& spec, const InstanceSpec::AddressVmac& v) {
  InstanceSpec s = spec;
  s.vmac = v.name;
  s.interface = v.parent;
  s.family = v.family;
  s.ipvlan.reset();
  s.vmac_group.reset();
  s.vmac_ipv6 = v.family == model::Family::kIpv6;
  s.address_vmacs.clear();
  return s;
}

GarpPacing PacingFor(const VrrpSpec& spec, const std::string& interface, bool arp) {
  for (size_t i = 0; i < spec.garp_groups.size(); ++i) {
    const GarpGroupSpec& g = spec.garp_groups[i];
    if (std::find(g.interfaces.begin(), g.interfaces.end(), interface) == g.interfaces.end())
      continue;
    return {"garp_group " + std::to_string(i + 1) + (arp ? " arp" : " na"),
            arp ? g.garp_interval : g.gna_interval};
  }
  return {interface + (arp ? " arp" : " na"), arp ? spec.garp_interval : spec.gna_interval};
}

}  // namespace vigil::vrrp
