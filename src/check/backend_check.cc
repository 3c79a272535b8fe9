#include "check/backend_check.h"

#include <optional>
#include <set>
#include <vector>

#include "check/from_model.h"
#include "lb/ipvs_message.h"
#include "lb/nft_render.h"

namespace vigil::check {

std::vector<BackendProblem> CheckBackendSupport(const model::Config& config,
                                                const std::string& ipvs_proc_path) {
  std::vector<BackendProblem> out;
  if (config.virtual_servers.empty()) return out;
  std::string choice = "auto";
  for (const auto& s : config.global.other)
    if (s.keyword == "vigil_lb_backend" && !s.args.empty()) choice = s.args[0];
  auto selected = lb::SelectBackend(choice, ipvs_proc_path);
  if (!selected) {
    out.push_back({{}, selected.error().ToString(), true});
    return out;
  }
  const lb::BackendKind kind = selected->kind;
  const bool configured = choice != "auto";
  if (config.net_namespace_ipvs && kind == lb::BackendKind::kNftables) {
    out.push_back({config.net_namespace_ipvs_loc,
                   "net_namespace_ipvs moves IPVS only; vigil's nftables backend programs the "
                   "namespace vigild runs in",
                   false});
  }
  auto validate = [kind](const lb::State& state) {
    return kind == lb::BackendKind::kNftables ? lb::nft::Validate(state)
                                              : lb::ipvs::Validate(state);
  };
  // Each virtual server alone, to say which ones the backend refuses (a state of one
  // virtual server at a time: the whole table is tens of megabytes at scale). Where two
  // share a service, its entry merges theirs: the whole table first, and when the backend
  // takes it, it takes each service.
  std::vector<std::optional<std::vector<lb::ServiceKey>>> keys;
  keys.reserve(config.virtual_servers.size());
  std::set<lb::ServiceKey> seen;
  bool shared = false;
  for (const auto& vs : config.virtual_servers) {
    auto k = ServiceKeys(vs, config);
    if (k)
      for (const lb::ServiceKey& key : *k) shared |= !seen.insert(key).second;
    keys.push_back(k ? std::optional(std::move(*k)) : std::nullopt);
  }
  if (shared)
    if (auto whole = FullState(config); whole && validate(*whole)) return out;
  for (size_t v = 0; v < config.virtual_servers.size(); ++v) {
    const model::VirtualServer& vs = config.virtual_servers[v];
    if (!keys[v]) continue;  // the model builder has reported what is wrong with it
    lb::State state;
    AddFullToState(vs, *keys[v], state);
    Result<void> ok = validate(state);
    if (ok) continue;
    std::string why = ok.error().ToString();
    if (!configured && kind == lb::BackendKind::kNftables)
      why += " (this host has no IPVS, so vigil would use nftables)";
    out.push_back({vs.loc, why, configured});
  }
  return out;
}

}  // namespace vigil::check
