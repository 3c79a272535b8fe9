#include "vrrp/route_check.h"

#include "vrrp/routes.h"

namespace vigil::vrrp {

std::vector<RouteLineProblem> CheckRouteLines(const model::Config& config, const RtNames& names) {
  std::vector<RouteLineProblem> out;
  const IfindexLookup any_interface = [](const std::string&) { return 1; };
  auto routes = [&](const std::vector<model::RouteOrRule>& lines, const std::string& dev) {
    for (const auto& r : lines)
      if (auto spec = ParseRoute(r.words, dev, any_interface, names); !spec)
        out.push_back({r.loc, "route '" + LineText(r.words) + "': " + spec.error().ToString() +
                                  "; the line is ignored"});
  };
  auto rules = [&](const std::vector<model::RouteOrRule>& lines) {
    for (const auto& r : lines)
      if (auto spec = ParseRule(r.words, names); !spec)
        out.push_back({r.loc, "rule '" + LineText(r.words) + "': " + spec.error().ToString() +
                                  "; the line is ignored"});
  };
  routes(config.static_routes, "");
  rules(config.static_rules);
  for (const auto& v : config.vrrp_instances) {
    routes(v.virtual_routes, v.interface.value_or(""));
    rules(v.virtual_rules);
  }
  return out;
}

std::vector<RouteLineProblem> CheckRouteLines(const model::Config& config) {
  const model::Global& g = config.global;
  return CheckRouteLines(config, RtNames::Load(g.iproute_etc_dir.value_or(kIprouteEtcDir),
                                               g.iproute_usr_dir.value_or(kIprouteUsrDir)));
}

}  // namespace vigil::vrrp
