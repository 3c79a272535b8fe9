// Reading keepalived's virtual_routes / virtual_rules / static_routes / static_rules
// lines (`ip route` / `ip rule` syntax, as kept verbatim by the model) into rtnetlink
// requests. Pure: interface names are resolved through the given function.
#ifndef VIGIL_VRRP_ROUTES_H_
#define VIGIL_VRRP_ROUTES_H_

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "net/rtnetlink.h"
#include "vrrp/rt_names.h"

namespace vigil::vrrp {

// Returns the ifindex of interface `name`, 0 if there is none.
using IfindexLookup = std::function<int(const std::string& name)>;

// Parses `[TYPE] DST [via GW] [dev IF] [src ADDR] [metric N] [table T] [scope S]
// [protocol P] [onlink] [no_track]`, TYPE one of unicast blackhole unreachable prohibit,
// DST an address, prefix or `default`. `default_dev` is used when no `dev` is given and
// no gateway implies one. Tables, protocols and scopes are numbers or names of `names`.
// Fails with a message naming the word it cannot read.
Result<net::RouteSpec> ParseRoute(const std::vector<std::string>& words,
                                  const std::string& default_dev, const IfindexLookup& ifindex,
                                  const RtNames& names = RtNames::Defaults());

// The words of a route or rule line as one line of text, for messages.
std::string LineText(const std::vector<std::string>& words);

// Parses `[from SRC] [to DST] [table T | lookup T] [priority|preference|order N]
// [fwmark MARK[/MASK]] [iif|dev IF] [no_track]`.
Result<net::RuleSpec> ParseRule(const std::vector<std::string>& words,
                                const RtNames& names = RtNames::Defaults());

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ROUTES_H_
