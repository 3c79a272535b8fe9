// global_defs' firewall keywords: nftables, nftables_priority, nftables_ifindex,
// nftables_counters, vrrp_iptables, vrrp_ipsets, nftables_ipvs*. Read as keepalived reads
// them (an nftables build: Debian's 2.2.7, current upstream's default), with its checks.
#include <cstdint>
#include <limits>

#include "config/build.h"
#include "config/values.h"

namespace vigil::config::build_internal {
namespace {

// The kernel's longest table name (NFT_NAME_MAXLEN less its NUL).
constexpr size_t kMaxTableName = 255;

// Whether nft's command language reads `name` as a name: vigil writes nft commands, and
// nft 1.0 takes no quoted table names (keepalived talks netlink and takes any).
bool NftName(std::string_view name) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (name.empty() || !(letter(name[0]) || name[0] == '_' || name[0] == '.')) return false;
  for (char c : name)
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-' && c != '/')
      return false;
  return true;
}

// Reads `nftables [NAME]` / `nftables_ipvs [NAME]` into `table`; returns false when
// keepalived ignores the line (and so does not reset the priority).
bool ReadTable(const Node& n, std::optional<std::string>& table, Diagnostics& diags) {
  const std::string& kw = n.name();
  if (table) {
    diags.Warning(n.keyword.loc, kw + " is already given; this one is ignored", Grade::kError);
    return false;
  }
  const Token* t = Arg(n, 0);
  if (!t) {
    table = "";  // vigil's own table
    return true;
  }
  if (t->text.empty()) {
    diags.Error(t->loc, kw + ": empty table name; ignored");
    return false;
  }
  if (t->text.size() > kMaxTableName) {
    diags.Error(t->loc, kw + ": a table name of " + std::to_string(t->text.size()) +
                            " characters is too long (at most " +
                            std::to_string(kMaxTableName) + "); ignored");
    return false;
  }
  if (!NftName(t->text)) {
    // keepalived would take it: vigil runs, with its own table.
    diags.Warning(t->loc, kw + ": '" + t->text +
                              "' is not a table name nft reads (letters, digits, '_', '.', "
                              "'-', '/', starting with a letter, '_' or '.'); vigil's own "
                              "table is used instead");
    table = "";
    return true;
  }
  table = t->text;
  return true;
}

void ReadPriority(const Node& n, int& out, Diagnostics& diags) {
  if (const Token* t = RequireArg(n, 0, diags))
    if (auto v = ParseInteger(*t, n.name(), std::numeric_limits<int32_t>::min(),
                              std::numeric_limits<int32_t>::max(), diags))
      out = static_cast<int>(*v);
}

// keepalived's `nftables` and `nftables_ipvs` set the chains' priority back to -1: an
// earlier priority line is lost, which vigil points out.
void ResetPriority(const Node& n, int& priority, std::string_view priority_keyword,
                   Diagnostics& diags) {
  if (priority != -1)
    diags.Warning(n.keyword.loc, n.name() + " sets the chains' priority back to -1 (as "
                                 "keepalived does): the " + std::string(priority_keyword) +
                                 " " + std::to_string(priority) + " above it is lost; put "
                                 "it after " + n.name());
  priority = -1;
}

}  // namespace

bool BuildNftablesGlobal(const Node& n, model::Global& g, Diagnostics& diags) {
  const std::string& kw = n.name();
  if (kw == "nftables") {
    if (ReadTable(n, g.nftables, diags)) ResetPriority(n, g.nftables_priority, "nftables_priority", diags);
  } else if (kw == "nftables_priority") {
    ReadPriority(n, g.nftables_priority, diags);
  } else if (kw == "nftables_ifindex") {
    g.nftables_ifindex = true;  // keepalived reads no argument
  } else if (kw == "nftables_counters") {
    g.nftables_counters = true;
  } else if (kw == "vrrp_iptables") {
    // keepalived built without iptables (Debian's 2.2.7, upstream's default) reports it and
    // filters with nftables; so does vigil, which has no iptables backend.
    diags.Warning(n.keyword.loc,
                  "vrrp_iptables: vigil has no iptables backend; the VIPs are filtered with "
                  "nftables instead (as keepalived built without iptables does): replace "
                  "vrrp_iptables and vrrp_ipsets with nftables",
                  Grade::kError);
    g.vrrp_iptables = JoinArgs(n);
    if (!g.nftables) g.nftables = "";
    g.nftables_priority = -1;
  } else if (kw == "vrrp_ipsets") {
    // Debian's 2.2.7 (no ipset support) does not know the keyword: an error there too.
    diags.Warning(n.keyword.loc,
                  "vrrp_ipsets: vigil has no ipset backend; the VIPs are filtered in nftables "
                  "sets instead; ignored",
                  Grade::kError);
  } else if (kw == "nftables_ipvs") {
    if (ReadTable(n, g.nftables_ipvs, diags)) {
      ResetPriority(n, g.nftables_ipvs_priority, "nftables_ipvs_priority", diags);
      g.nftables_ipvs_start_fwmark = 1000;  // keepalived's handler sets it back too
    }
  } else if (kw == "nftables_ipvs_priority") {
    ReadPriority(n, g.nftables_ipvs_priority, diags);
  } else if (kw == "nftables_ipvs_start_fwmark") {
    if (const Token* t = RequireArg(n, 0, diags))
      if (auto v = ParseInteger(*t, kw, 1, UINT32_MAX, diags))
        g.nftables_ipvs_start_fwmark = static_cast<uint32_t>(*v);
  } else {
    return false;
  }
  return true;
}

}  // namespace vigil::config::build_internal
