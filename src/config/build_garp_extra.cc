// -t's diagnostics of garp_extra_if / vmac_garp_intvl and global_defs vrrp_garp_extra_if /
// vrrp_vmac_garp_intvl (the VRRP engine reads the lines themselves): what keepalived 2.2.7
// reports as configuration errors (exit 5) — a line it ignores, an old name.
#include <string>

#include "config/build.h"
#include "config/values.h"
#include "model/garp_extra.h"

namespace vigil::config::build_internal {

void DiagnoseGarpExtra(const Node& n, const std::string& who, unsigned min,
                       std::string_view old_name, std::string_view name, Diagnostics& diags) {
  const std::string prefix = who.empty() ? "" : who + ": ";
  if (n.name() == old_name)
    diags.Warning(n.keyword.loc,
                  prefix + std::string(old_name) + " is deprecated; use " + std::string(name),
                  Grade::kError);
  auto parsed = model::ParseGarpExtra(ArgTexts(n), min);
  if (parsed) return;
  if (parsed.error().empty()) {
    diags.Error(n.keyword.loc, prefix + n.name() + " has no time; ignored");
    return;
  }
  SourceLoc loc = n.keyword.loc;
  for (const Token& a : n.args)
    if (a.text == parsed.error()) {
      loc = a.loc;
      break;
    }
  diags.Error(loc, prefix + n.name() + ": '" + parsed.error() +
                       "' is neither `all` nor a number of seconds (" + std::to_string(min) +
                       ".." + std::to_string(model::kGarpExtraMaxDelay) + "); ignored");
}

}  // namespace vigil::config::build_internal
