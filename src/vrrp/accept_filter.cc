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

std::string RenderIpv4Table(const AcceptFilterOptions& o) {
  const std::string t = Table("ip", o);
  return FreshTable(t) +
         BaseChain(t, "out", "output", o.priority) +
         BaseChain(t, "in", "input", o.priority) +
         "add set " + t + " vips { type ipv4_addr; }\n" +
         "add rule " + t + " in ip daddr @vips " + Verdict(o, "drop") + "\n" +
         "add rule " + t + " out ip saddr @vips " + Verdict(o, "drop") + "\n";
}

std::string RenderIpv6Table(const AcceptFilterOptions& o) {
  const std::string t = Table("ip6", o);
  return FreshTable(t) +
         BaseChain(t, "out", "output", o.priority) +
         BaseChain(t, "in", "input", o.priority) +
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

Result<void> AcceptFilter::Sync(const std::set<FilterEntry>& entries) {
  std::set<FilterEntry> add, remove;
  for (const auto& e : entries)
    if (!filtered_.count(e)) add.insert(e);
  for (const auto& e : filtered_)
    if (!entries.count(e)) remove.insert(e);
  if (add.empty() && remove.empty()) return {};
  // What the entries to add need, made in the order keepalived makes it.
  bool ipv4 = ipv4_, ipv6 = ipv6_, by_index = by_index_, by_name = by_name_;
  std::string commands;
  for (const auto& e : add) {
    if (e.address.is_v4() && !ipv4) {
      commands += RenderIpv4Table(options_);
      ipv4 = true;
    } else if (e.address.is_v6()) {
      if (!ipv6) commands += RenderIpv6Table(options_);
      ipv6 = true;
      bool& made = e.by_name ? by_name : by_index;
      if (e.link_local() && !made) {
        commands += RenderLinkLocal(options_, e.by_name);
        made = true;
      }
    }
  }
  commands += RenderElements(options_, "delete", remove);
  commands += RenderElements(options_, "add", add);
  if (!runner_) runner_ = make_runner_();
  if (auto r = runner_->Run(commands, false); !r) return std::unexpected(r.error());
  ipv4_ = ipv4, ipv6_ = ipv6, by_index_ = by_index, by_name_ = by_name;
  filtered_ = entries;
  return {};
}

Result<void> AcceptFilter::Teardown() {
  std::string commands;
  if (ipv4_) commands += "delete table " + Table("ip", options_) + "\n";
  if (ipv6_) commands += "delete table " + Table("ip6", options_) + "\n";
  ipv4_ = ipv6_ = by_index_ = by_name_ = false;
  filtered_.clear();
  if (commands.empty()) return {};
  auto r = runner_->Run(commands, false);
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace vigil::vrrp
