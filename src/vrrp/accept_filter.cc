#include "vrrp/accept_filter.h"

namespace vigil::vrrp {
namespace {

std::string Table(std::string_view family, const AcceptFilterOptions& o) {
  return std::string(family) + " " + o.table;
}

// The verdict of a rule, after a counter when nftables_counters asks for one.
std::string Verdict(const AcceptFilterOptions& o, std::string_view verdict) {
  return (o.counters ? "counter " : "") + std::string(verdict);
}

std::string BaseChain(const std::string& t, std::string_view name, std::string_view hook,
                      int priority) {
  return "add chain " + t + " " + std::string(name) + " { type filter hook " +
         std::string(hook) + " priority " + std::to_string(priority) + "; policy accept; }\n";
}

// The table named `t`, first deleted if a killed run left one.
std::string FreshTable(const std::string& t) {
  return "add table " + t + "\n" + "delete table " + t + "\n" + "add table " + t + "\n";
}

std::string Key(const FilterEntry& e) {
  std::string key = e.address.ToString();
  if (!e.link_local()) return key;
  return key + " . " + (e.by_name ? "\"" + e.dev + "\"" : std::to_string(e.ifindex));
}

}  // namespace

std::string AcceptFilterTable(const std::optional<std::string>& config_id) {
  return net::NftTableName(kAcceptFilterTable, config_id);
}

FilterEntry FilterEntry::For(const model::IpAddress& address, std::string dev,
                             uint32_t ifindex, bool by_name) {
  if (!address.is_v6() || !address.IsLinkLocal()) return {address, "", 0, false};
  return {address, std::move(dev), by_name ? 0 : ifindex, by_name};
}

std::string RenderTable(const AcceptFilterOptions& o, bool v6) {
  const std::string t = Table(v6 ? "ip6" : "ip", o);
  return FreshTable(t) + BaseChain(t, "out", "output", o.priority);
}

std::string RenderIpv4Table(const AcceptFilterOptions& o) {
  return RenderTable(o, false) + RenderIpv4Vips(o);
}

std::string RenderIpv6Table(const AcceptFilterOptions& o) {
  return RenderTable(o, true) + RenderIpv6Vips(o);
}

std::string RenderIpv4Vips(const AcceptFilterOptions& o) {
  const std::string t = Table("ip", o);
  return BaseChain(t, "in", "input", o.priority) +
         "add set " + t + " vips { type ipv4_addr; }\n" +
         "add rule " + t + " in ip daddr @vips " + Verdict(o, "drop") + "\n" +
         "add rule " + t + " out ip saddr @vips " + Verdict(o, "drop") + "\n";
}

std::string RenderIpv6Vips(const AcceptFilterOptions& o) {
  const std::string t = Table("ip6", o);
  return BaseChain(t, "in", "input", o.priority) +
         "add chain " + t + " in_link_local\n" +
         "add chain " + t + " out_link_local\n" +
         "add set " + t + " vips { type ipv6_addr; }\n" +
         "add set " + t + " neighbor-discovery { type icmpv6_type; flags constant; "
         "elements = { nd-neighbor-solicit, nd-neighbor-advert }; }\n" +
         "add rule " + t + " in icmpv6 type @neighbor-discovery " + Verdict(o, "accept") + "\n" +
         "add rule " + t + " in ip6 daddr fe80::/10 " + Verdict(o, "goto in_link_local") + "\n" +
         "add rule " + t + " out icmpv6 type @neighbor-discovery " + Verdict(o, "accept") + "\n" +
         "add rule " + t + " out ip6 saddr fe80::/10 " + Verdict(o, "goto out_link_local") + "\n" +
         "add rule " + t + " in ip6 daddr @vips " + Verdict(o, "drop") + "\n" +
         "add rule " + t + " out ip6 saddr @vips " + Verdict(o, "drop") + "\n";
}

std::string RenderVmacRules(const AcceptFilterOptions& o, bool v6) {
  const std::string t = Table(v6 ? "ip6" : "ip", o);
  std::string out = "add map " + t + " vmac_map { type iface_index : iface_index; }\n";
  if (v6) out += "add set " + t + " vmac_set { type iface_index; }\n";
  out += "add rule " + t + " out " +
         (v6 ? "icmpv6 type mld2-listener-report" : "ip protocol igmp") +
         " meta oifkind \"macvlan\" dup to " + (v6 ? "ip6" : "ip") +
         " daddr device oif map @vmac_map " + Verdict(o, "drop") + "\n";
  if (v6)
    out += "add rule " + t + " out icmpv6 type nd-router-solicit meta oifkind \"macvlan\" "
           "oif @vmac_set " + Verdict(o, "drop") + "\n";
  return out;
}

std::string RenderVmacElements(const AcceptFilterOptions& o, std::string_view verb,
                               const std::set<VmacEntry>& vmacs) {
  std::string out;
  for (bool v6 : {false, true}) {
    std::string map, set;
    for (const VmacEntry& v : vmacs) {
      if (v.v6 != v6) continue;
      map += (map.empty() ? "" : ", ") + std::to_string(v.ifindex) + " : " +
             std::to_string(v.parent_ifindex);
      set += (set.empty() ? "" : ", ") + std::to_string(v.ifindex);
    }
    if (map.empty()) continue;
    const std::string t = Table(v6 ? "ip6" : "ip", o);
    out += std::string(verb) + " element " + t + " vmac_map { " + map + " }\n";
    if (v6) out += std::string(verb) + " element " + t + " vmac_set { " + set + " }\n";
  }
  return out;
}

std::string RenderLinkLocal(const AcceptFilterOptions& o, bool by_name) {
  const std::string t = Table("ip6", o);
  const std::string set = by_name ? "vips_link_local_name" : "vips_link_local";
  const std::string in = by_name ? "iifname" : "iif";
  const std::string out = by_name ? "oifname" : "oif";
  return "add set " + t + " " + set + " { type ipv6_addr . " +
         (by_name ? "ifname" : "iface_index") + "; }\n" +
         "add rule " + t + " in_link_local ip6 daddr . " + in + " @" + set + " " +
         Verdict(o, "drop") + "\n" +
         "add rule " + t + " out_link_local ip6 saddr . " + out + " @" + set + " " +
         Verdict(o, "drop") + "\n";
}

std::string RenderElements(const AcceptFilterOptions& o, std::string_view verb,
                           const std::set<FilterEntry>& entries) {
  // (family, set) in the order the commands go.
  static constexpr std::pair<std::string_view, std::string_view> kSets[] = {
      {"ip", "vips"}, {"ip6", "vips"}, {"ip6", "vips_link_local"},
      {"ip6", "vips_link_local_name"}};
  std::string out;
  for (const auto& [family, set] : kSets) {
    std::string keys;
    for (const FilterEntry& e : entries) {
      const bool v4 = family == "ip";
      if (e.address.is_v4() != v4) continue;
      const std::string_view of = !e.link_local() ? "vips"
                                  : e.by_name     ? "vips_link_local_name"
                                                  : "vips_link_local";
      if (of != set) continue;
      keys += (keys.empty() ? "" : ", ") + Key(e);
    }
    if (!keys.empty())
      out += std::string(verb) + " element " + Table(family, o) + " " + std::string(set) +
             " { " + keys + " }\n";
  }
  return out;
}

Result<void> AcceptFilter::Configure(AcceptFilterOptions options) {
  if (options == options_) return {};
  auto r = Teardown();
  options_ = std::move(options);
  return r;
}

Result<void> AcceptFilter::Sync(const std::set<FilterEntry>& entries,
                                const std::set<VmacEntry>& vmacs) {
  std::set<FilterEntry> add, remove;
  for (const auto& e : entries)
    if (!filtered_.count(e)) add.insert(e);
  for (const auto& e : filtered_)
    if (!entries.count(e)) remove.insert(e);
  std::set<VmacEntry> vadd, vremove;
  for (const auto& v : vmacs)
    if (!vmacs_.count(v)) vadd.insert(v);
  for (const auto& v : vmacs_)
    if (!vmacs.count(v)) vremove.insert(v);
  if (add.empty() && remove.empty() && vadd.empty() && vremove.empty()) return {};
  // What the additions need, made in the order keepalived makes it.
  Made made[2] = {made_[0], made_[1]};
  bool by_index = by_index_, by_name = by_name_;
  std::string commands;
  auto table = [&](bool v6) {
    if (made[v6].table) return;
    commands += RenderTable(options_, v6);
    made[v6].table = true;
  };
  for (const auto& v : vadd) {
    table(v.v6);
    if (!made[v.v6].vmac) commands += RenderVmacRules(options_, v.v6);
    made[v.v6].vmac = true;
  }
  for (const auto& e : add) {
    const bool v6 = e.address.is_v6();
    table(v6);
    if (!made[v6].vips) commands += v6 ? RenderIpv6Vips(options_) : RenderIpv4Vips(options_);
    made[v6].vips = true;
    bool& ll = e.by_name ? by_name : by_index;
    if (e.link_local() && !ll) {
      commands += RenderLinkLocal(options_, e.by_name);
      ll = true;
    }
  }
  commands += RenderVmacElements(options_, "delete", vremove);
  commands += RenderElements(options_, "delete", remove);
  commands += RenderVmacElements(options_, "add", vadd);
  commands += RenderElements(options_, "add", add);
  if (!runner_) runner_ = make_runner_();
  if (auto r = runner_->Run(commands, false); !r) return std::unexpected(r.error());
  made_[0] = made[0], made_[1] = made[1];
  by_index_ = by_index, by_name_ = by_name;
  filtered_ = entries;
  vmacs_ = vmacs;
  return {};
}

Result<void> AcceptFilter::Teardown() {
  std::string commands;
  if (made_[0].table) commands += "delete table " + Table("ip", options_) + "\n";
  if (made_[1].table) commands += "delete table " + Table("ip6", options_) + "\n";
  made_[0] = made_[1] = Made{};
  by_index_ = by_name_ = false;
  filtered_.clear();
  vmacs_.clear();
  if (commands.empty()) return {};
  auto r = runner_->Run(commands, false);
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace vigil::vrrp
