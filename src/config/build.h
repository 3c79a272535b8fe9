// The builder: block tree -> typed model. Validates values and cross-references the
// way keepalived 2.2.7 does, grading each finding:
//   kFatal   vigild does not run this configuration (keepalived drops the item; -t exit 5)
//   kError   keepalived logs, ignores the value / uses the default / skips the item and
//            runs (-t exit 5)
//   kWarning accepted, but worth the user's attention (exit 5 only where keepalived also
//            reports it: Grade::kError)
// Scripts configured without `enable_script_security` mark diags (exit 6).
// Pure: never touches the system (see system_check.h for interface/user/file checks).
#ifndef VIGIL_CONFIG_BUILD_H_
#define VIGIL_CONFIG_BUILD_H_

#include <optional>
#include <vector>

#include "config/diagnostics.h"
#include "config/service_index.h"
#include "config/tree.h"
#include "model/config.h"

namespace vigil::config {

// Returns the model of `tree` with defaults and inheritance resolved. Invalid items are
// dropped or corrected as keepalived would, each with a diagnostic in `diags`.
model::Config Build(const Tree& tree, Diagnostics& diags);
// The same, freeing each top-level block of `tree` once it is built (`tree` is left empty).
model::Config Build(Tree&& tree, Diagnostics& diags);

// Builds the model block by block as the parser hands over each top-level block
// (ParseRoots), so that the tree of the whole file is never in memory: the same model and
// diagnostics as Build() of the whole tree. global_defs is built first wherever it appears,
// so the blocks before the first one wait (as a tree) until it comes; a global_defs after
// other blocks were built makes the result unusable (late_global_defs(): build the whole
// tree instead).
class RootBuilder {
 public:
  // Reserves room for that many vrrp_instances and virtual_servers, when known.
  explicit RootBuilder(Diagnostics& diags, size_t instances = 0, size_t virtual_servers = 0);

  // Builds `root` now (freeing it), or keeps it until the first global_defs is built.
  void Add(Node&& root);
  // Builds `root` now; Build() calls it with every global_defs first.
  void Build(const Node& root);
  // True when a global_defs came after another block was built; Finish() is then not the
  // model of the configuration.
  bool late_global_defs() const { return late_global_defs_; }
  // Builds the blocks still waiting and finishes the model (cross-references).
  model::Config Finish();

 private:
  void BuildWaiting();

  Diagnostics& diags_;
  model::Config cfg_;
  ServiceIndex services_;
  std::vector<Node> waiting_;  // top-level blocks before the first global_defs
  bool globals_seen_ = false;
  bool built_other_ = false;
  bool late_global_defs_ = false;
};

// Internal: the per-area builders that Build() calls (one .cc file per area).
namespace build_internal {

// global_defs { } into `g`.
void BuildGlobalDefs(const Node& n, model::Global& g, Diagnostics& diags);
// Reads `n` into `g` if it is a global_defs keyword about vigild's own processes (umask,
// process_names, process_name, vrrp/checker/lvs/bfd_process_name, random_seed), as
// keepalived reads them; returns false for any other keyword.
bool BuildProcessGlobal(const Node& n, model::Global& g, Diagnostics& diags);
// Reads `n` into `g` if it is one of global_defs' firewall keywords (nftables*,
// vrrp_iptables, vrrp_ipsets), as keepalived reads them; returns false otherwise.
bool BuildNftablesGlobal(const Node& n, model::Global& g, Diagnostics& diags);

// vrrp_script, track_file, vrrp_track_process, bfd_instance, vrrp_instance,
// vrrp_sync_group, static_*, garp_group, linkbeat_interfaces. Each appends to `cfg`
// (reading cfg.global for defaults) or reports and skips.
void BuildVrrpScript(const Node& n, model::Config& cfg, Diagnostics& diags);
void BuildTrackFile(const Node& n, model::Config& cfg, Diagnostics& diags);
void BuildTrackProcess(const Node& n, model::Config& cfg, Diagnostics& diags);
void BuildBfdInstance(const Node& n, model::Config& cfg, Diagnostics& diags);
void BuildVrrpInstance(const Node& n, model::Config& cfg, Diagnostics& diags);
void BuildSyncGroup(const Node& n, model::Config& cfg, Diagnostics& diags);
void BuildStaticAddresses(const Node& n, model::Config& cfg, Diagnostics& diags);
// static_routes or static_rules (by `n`'s keyword), each line's track_group checked
// against the track_groups above it.
void BuildStaticRoutesOrRules(const Node& n, model::Config& cfg, Diagnostics& diags);
// A top-level `track_group NAME { group { INSTANCE... } }`.
void BuildTrackGroup(const Node& n, model::Config& cfg, Diagnostics& diags);
// The top-level `interface_up_down_delays { IF DOWN [UP] ... }`.
void BuildUpDownDelays(const Node& n, model::Config& cfg, Diagnostics& diags);
void BuildGarpGroup(const Node& n, model::Config& cfg, Diagnostics& diags);
// garp_extra_if-like line `n` (`name`, or its deprecated `old_name`) of `who` ("" for
// global_defs), DELAY from `min`: reports what keepalived does (the line is kept as read).
void DiagnoseGarpExtra(const Node& n, const std::string& who, unsigned min,
                       std::string_view old_name, std::string_view name, Diagnostics& diags);
// auth_hmac { } of a vrrp_instance into `out` (a second block adds to the first).
void ParseAuthHmac(const Node& n, std::optional<model::AuthHmac>& out, Diagnostics& diags);
// Settles `v`'s auth_hmac at the end of its block as keepalived does: legacy
// authentication dropped, disabled without its active key, mode enforce in strict mode,
// time_window derived from advert_int (3 x whole seconds, 5..300) when unset.
void FinishAuthHmac(model::VrrpInstance& v, Diagnostics& diags);
// Checks references between VRRP items once all are built (track_script names,
// sync-group members, duplicate VRIDs, unused scripts).
void FinishVrrp(model::Config& cfg, Diagnostics& diags);

// SSL, virtual_server_group, virtual_server (with real servers and checkers).
void BuildSsl(const Node& n, model::Config& cfg, Diagnostics& diags);
void BuildVirtualServerGroup(const Node& n, model::Config& cfg, Diagnostics& diags);
// `services` indexes cfg.virtual_servers (a repeated service joins the first one).
void BuildVirtualServer(const Node& n, model::Config& cfg, ServiceIndex& services,
                        Diagnostics& diags);
// Checks references between checker items (virtual server groups) once all are built.
void FinishCheck(model::Config& cfg, Diagnostics& diags);

// Shared helpers.
// Reads `KEYWORD "command" [user [group]]` (notify scripts).
std::optional<model::Script> ParseNotifyScript(const Node& n, Diagnostics& diags);
// Reads `KEYWORD word...` as one command line (vrrp_script `script`, misc_path).
std::optional<model::Script> ParseCommandScript(const Node& n, Diagnostics& diags);
// Reads a `virtual_ipaddress`-style line; with `groups` a `static_ipaddress` line, which may
// name one of `groups` with `track_group NAME`.
std::optional<model::VirtualAddress> ParseVirtualAddress(
    const Node& line, Diagnostics& diags,
    const std::vector<model::StaticTrackGroup>* groups = nullptr);
// Reads an `ip route` / `ip rule` style line.
model::RouteOrRule ParseRouteOrRule(const Node& line);
// Reads a static_routes (`rule` false) or static_rules line: `track_group NAME` (one of
// `groups`) is taken out of its words; it needs the route's dev/oif (the rule's dev/iif).
model::RouteOrRule ParseStaticRouteOrRule(const Node& line, bool rule,
                                          const std::vector<model::StaticTrackGroup>& groups,
                                          Diagnostics& diags);

}  // namespace build_internal
}  // namespace vigil::config

#endif  // VIGIL_CONFIG_BUILD_H_
