#include "vrrp/accept_filter.h"

namespace vigil::vrrp {
namespace {

std::string Elements(const std::set<model::IpAddress>& vips, bool v4) {
  std::string out;
  for (const auto& a : vips) {
    if (a.is_v4() != v4) continue;
    out += (out.empty() ? "" : ", ") + a.ToString();
  }
  return out;
}

std::string Change(std::string_view name, std::string_view verb,
                   const std::set<model::IpAddress>& vips) {
  std::string out;
  const std::string table = "inet " + std::string(name);
  if (auto e = Elements(vips, true); !e.empty())
    out += std::string(verb) + " element " + table + " vips4 { " + e + " }\n";
  if (auto e = Elements(vips, false); !e.empty())
    out += std::string(verb) + " element " + table + " vips6 { " + e + " }\n";
  return out;
}

}  // namespace

std::string AcceptFilterTable(const std::optional<std::string>& config_id) {
  return net::NftTableName(kAcceptFilterTable, config_id);
}

std::string RenderAcceptTable(std::string_view table) {
  const std::string t = "inet " + std::string(table);
  return "add table " + t + "\n" +
         "delete table " + t + "\n" +
         "add table " + t + "\n" +
         "add set " + t + " vips4 { type ipv4_addr; }\n" +
         "add set " + t + " vips6 { type ipv6_addr; }\n" +
         "add chain " + t + " in { type filter hook input priority filter - 1; policy accept; }\n" +
         "add chain " + t + " out { type filter hook output priority filter - 1; policy accept; }\n" +
         "add rule " + t + " in ip daddr @vips4 drop\n" +
         "add rule " + t + " in ip6 daddr @vips6 drop\n" +
         "add rule " + t + " out ip saddr @vips4 drop\n" +
         "add rule " + t + " out ip6 saddr @vips6 drop\n";
}

std::string RenderAcceptChange(std::string_view table, const std::set<model::IpAddress>& add,
                               const std::set<model::IpAddress>& remove) {
  return Change(table, "delete", remove) + Change(table, "add", add);
}

Result<void> AcceptFilter::Sync(const std::set<model::IpAddress>& vips) {
  std::set<model::IpAddress> add, remove;
  for (const auto& a : vips)
    if (!filtered_.count(a)) add.insert(a);
  for (const auto& a : filtered_)
    if (!vips.count(a)) remove.insert(a);
  if (add.empty() && remove.empty()) return {};
  std::string commands;
  if (!created_) commands = RenderAcceptTable(table_);
  commands += RenderAcceptChange(table_, add, remove);
  if (!runner_) runner_ = make_runner_();
  if (auto r = runner_->Run(commands, false); !r) return std::unexpected(r.error());
  created_ = true;
  filtered_ = vips;
  return {};
}

Result<void> AcceptFilter::Teardown() {
  if (!created_) return {};
  created_ = false;
  filtered_.clear();
  auto r = runner_->Run("delete table inet " + table_ + "\n", false);
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace vigil::vrrp
