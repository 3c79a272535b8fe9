// `vigild -t`'s reading of the route and rule lines (virtual_routes, virtual_rules,
// static_routes, static_rules): each read as the VRRP engine will read it, so that a line
// the engine would drop is reported at its place before it runs, as keepalived's -t does.
#ifndef VIGIL_VRRP_ROUTE_CHECK_H_
#define VIGIL_VRRP_ROUTE_CHECK_H_

#include <string>
#include <vector>

#include "model/config.h"
#include "vrrp/rt_names.h"

namespace vigil::vrrp {

struct RouteLineProblem {
  model::SourceRef loc;  // the line
  std::string message;   // "route '...': what cannot be read"
};

// Returns one problem per line of `config` that ParseRoute / ParseRule refuse with `names`.
// Interface names are not judged here (an interface may come later).
std::vector<RouteLineProblem> CheckRouteLines(const model::Config& config, const RtNames& names);

// The same with the names the VRRP engine will load (iproute_etc_dir / iproute_usr_dir).
std::vector<RouteLineProblem> CheckRouteLines(const model::Config& config);

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ROUTE_CHECK_H_
