// Pure translation between lb State/Ops and nftables: validation, command text, read-back.
//
// Layout. vigil owns exactly one table, `table inet vigil` (one inet table serves IPv4 and
// IPv6; the kernel has had inet NAT since 5.2). Nothing outside it is ever touched.
//
//   map svc4 { type inet_proto . ipv4_addr . inet_service : verdict }   address services
//   map svc6 { type inet_proto . ipv6_addr . inet_service : verdict }
//   map fwm  { type nf_proto . mark : verdict }                          fwmark services
//   chain dispatch:                      one vmap lookup per packet for its family
//       meta mark != 0 meta nfproto . meta mark vmap @fwm
//       meta l4proto . ip daddr . th dport vmap @svc4
//       meta l4proto . ip6 daddr . th dport vmap @svc6
//   chain prerouting (nat, dstnat) and chain output (nat, -100): jump dispatch
//   sets masq4/masq6 (VIP addresses), masqm (nf_proto . mark) and chain postrouting (nat,
//   srcnat): `ct status dnat` connections whose original destination is in those sets are
//   masqueraded. The sets are filled only when Options::masquerade is on.
//
// Per service `s_<key>` (e.g. s_tcp_10.0.0.1_80, s_tcp_fd00--1_80, s_fwm4_7):
//   [persistence] <client> @p_<dest> goto d_<dest>      one per schedulable destination
//   <selector> vmap { <slot range> : goto d_<dest>, ... }
//       rr      numgen inc mod N, one slot per destination (weights ignored, as IPVS rr)
//       wrr     numgen inc mod sum(w/g), w/g slots per destination (g = gcd), interleaved
//               as IPVS wrr: one slot for each destination, then one more for each whose
//               w/g is at least 2, and so on (so a weight change appends or drops slots
//               at the end rather than shifting the others)
//       random  numgen random mod sum(w/g), slots as wrr
//       sh      jhash ip saddr [. th sport with kSchedFlag2] mod sum(w/g) seed 0x0, w/g
//               consecutive slots per destination (as IPVS sh fills its buckets)
//       mh      jhash ip saddr [. th sport with kSchedFlag2] mod M seed 0x0 into a Maglev
//               table of M slots (lb/maglev.h: M = 65537 up to 655 servers), so directors
//               with the same schedulable servers send a client to the same one, and a
//               server leaving moves only about its share of the clients
//   drop comment "vigil-svc ..."           reached only when no destination is schedulable
// Per destination `d_<key>_<dest>`:
//   [persistence] update @p_<dest> { <client> }           refreshes the client's timer
//   meta l4proto tcp dnat ip to 10.1.0.1:8080 comment "vigil-dst ..."
// In an address service's slot map (the selector dnats to the slot's address itself, so no
// rule reaches these chains: they are records), the first slot of each destination
// carries the destination's comment with its weight, and the record's comment says "-"
// for the weight: a weight change that keeps the slots (rr) rewrites one map element and
// no rule. A destination without a slot (weight 0) keeps its weight in its record.
// Per destination, for persistent services, `set p_<key>_<dest>` { type ipv4_addr; flags
// dynamic,timeout; timeout T }: the clients (masked to persistence_prefix) that stick to it.
// A client stays with its destination until T seconds pass without a new connection
// (IPVS counts T from the end of the last connection instead). Only a connection's first
// packet traverses NAT chains, so all of this runs once per connection.
//
// Weight 0 (inhibit_on_failure) keeps the destination's chain and set but leaves it out of
// the selector and the persistence lookups. The rule and slot comments carry every
// attribute, and reading back the table parses them.
//
// NAT: the destination rewrites the address (and the port unless the destination port is
// 0). With masquerade off this is exactly IPVS NAT: real servers must route replies back
// through this host. Turn masquerade on for one-armed set-ups where they do not. vigil does
// not change sysctls (net.ipv4.ip_forward etc.).
//
// DR (direct routing, lb_kind DR): the inet family cannot forward a packet unchanged to a
// neighbour, so DR services live in a second table of the same name, `table netdev vigil`,
// created with the first DR service and deleted with the last:
//   map dr4 / dr6 { type inet_proto . ipv4_addr . inet_service : verdict }
//   chain ingress { type filter hook ingress devices = { "eth0", ... } priority filter; }
//       meta pkttype host meta l4proto . ip daddr . th dport vmap @dr4   (ip6: @dr6)
// (frames for this host only, not those a switch floods to every port). The ingress hook is on every interface of the namespace but loopback
// (Options::dr_hook_devices, listed by the backend whenever it renders a DR service through
// libnftables): a packet for a DR virtual service is scheduled whichever link it comes in
// by. Interfaces that come later are added to the hook, and those that go removed from
// it, as rtnetlink reports them (NftablesBackend::SyncHooks: one batch). Per service,
// s_<key> hashes the client into
// a slot map of verdicts, as for NAT (only sh and mh: without connection state, a counting
// scheduler would send each packet of a connection elsewhere):
//   jhash ip saddr [. th sport] mod N seed 0x0 vmap @v_<key>    { slot : goto d_<key>_<dest> }
//   drop comment "vigil-svc ..."
// and each destination's chain forwards the packet unchanged but for its MAC addresses
// (the kernel resolves the real server's neighbour entry; the TTL is decremented):
//   fwd ip to 10.1.0.1 device "eth1" comment "vigil-dst ... <weight>"
// The device is Options::dr_devices' for the real server's address: the backend picks the
// interface with an address whose subnet holds it (the longest prefix), since DR needs the
// real server on a link of this host. The packet keeps its destination port (real server
// ports are ignored, as IPVS DR does). All real servers of a service use one forwarding
// method; a service with none sits in the inet table (and drops) until one comes back.
// Traffic the director itself sends to a DR virtual service is not scheduled (no ingress).
//
// Each Render* result is meant for one nft_run_cmd_from_buffer call, i.e. one atomic
// transaction, and touches only the chains, sets and map elements of the services named
// in the operations.
#ifndef VIGIL_LB_NFT_RENDER_H_
#define VIGIL_LB_NFT_RENDER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "lb/reconciler.h"
#include "lb/state.h"

namespace vigil::lb::nft {

inline constexpr std::string_view kBackendName = "nftables";
inline constexpr std::string_view kDefaultTable = "vigil";

struct Options {
  // Masquerade connections to virtual services (one-armed NAT load balancing).
  bool masquerade = false;
  // The name of vigil's inet table: one table per daemon instance (TableName).
  std::string table = std::string(kDefaultTable);
  // The egress interface of each DR real server (by address), resolved by the backend.
  std::map<IpAddress, std::string> dr_devices = {};
  // The interfaces the netdev table's ingress chain hooks (DR), resolved by the backend.
  std::vector<std::string> dr_hook_devices = {};
};

// Returns the table of a daemon instance: "vigil" for the default one, "vigil_ID" for
// the one started with config id ID (-i; characters nft names do not allow become '_').
std::string TableName(const std::optional<std::string>& config_id);

// Returns "inet " + options.table.
std::string TableRef(const Options& options);

// Returns success if the nftables backend can express `state`, else the first problem as a
// kUnsupported / kInvalidArgument Error naming the backend and the virtual server.
Result<void> Validate(const State& state);
// The same for one service and its destinations.
Result<void> ValidateService(const ServiceEntry& entry);

// Returns the name of the chain for service `key` ("s_tcp_10.0.0.1_80").
std::string ServiceChainName(const ServiceKey& key);
// Returns the name of the chain for destination `dest` of service `key`.
std::string DestinationChainName(const ServiceKey& key, const DestinationKey& dest);
// Returns the name of the slot map of service `key` ("v_tcp_10.0.0.1_80").
std::string SlotMapName(const ServiceKey& key);
// Returns whether the service's real servers are reached by direct routing (its
// destinations' forwarding method is DR): it lives in the netdev table.
bool DirectRouted(const ServiceEntry& entry);
// Returns "inet vigil", or "netdev vigil" for a DR service.
std::string TableRefFor(const ServiceEntry& entry, const Options& options);
// Returns whether the service's slot map holds addresses (NAT address services without
// persistence: `dnat to <selector> map @v_<key>`) rather than verdicts (goto d_<dest>).
bool AddressSlots(const ServiceEntry& entry);
// Returns the slot map's type: "typeof numgen inc mod 1 : ip daddr . tcp dport" or
// "typeof numgen inc mod 1 : verdict".
std::string SlotMapType(const ServiceEntry& entry);
// Returns the destination of each slot of the service's slot map, slot 0 first: the
// schedulable destinations in key order, each with one slot (rr), weight/gcd slots
// interleaved (wrr, random: rounds over the destinations in key order, each round taking
// those with slots left) or consecutive (sh), or for mh the Maglev table of the
// schedulable destinations (maglev::BuildKeyTable); empty when none is schedulable.
std::vector<DestinationKey> Slots(const ServiceEntry& entry);
// Returns whether the service's selector hashes the client (sh, mh) rather than counting.
bool HashedSelector(const Service& s);
// Returns the port a destination's slot holds: its own, or the service's if it has none.
uint16_t SlotPort(const Service& s, const DestinationKey& d);
// Returns each slot's value in nft's words: "10.1.0.1 . 8080" or "goto d_...".
std::vector<std::string> SlotValues(const ServiceEntry& entry);
// The same for the slots `slots` (Slots(entry), computed once by the caller).
std::vector<std::string> SlotValues(const ServiceEntry& entry,
                                    const std::vector<DestinationKey>& slots);
// Returns the comment of each slot's element (`slots` = Slots(entry)): in an address
// service's slot map, the first slot of each destination carries its DestinationComment;
// every other slot, and every slot of a verdict map, none ("").
std::vector<std::string> SlotComments(const ServiceEntry& entry,
                                      const std::vector<DestinationKey>& slots);
// Returns the weight each slot's comment (SlotComments) carries, or -1 for none: what
// decides whether an element changes, without building the comments.
std::vector<int64_t> SlotCommentWeights(const ServiceEntry& entry,
                                        const std::vector<DestinationKey>& slots);
// Returns the name of the persistence set of destination `dest` of service `key`.
std::string PersistenceSetName(const ServiceKey& key, const DestinationKey& dest);

// Returns the comment of a service's drop rule: "vigil-svc tcp 10.0.0.1 80 wrr 0 0 -"
// (key, scheduler, flags, persistence timeout and prefix).
std::string ServiceComment(const Service& s);
// Returns the comment of a destination's dnat rule: "vigil-dst tcp 10.0.0.1 80 10.1.0.1 8080
// 3" (service key, address, port, weight).
std::string DestinationComment(const Service& s, const Destination& d);
// Returns the comment of destination `d`'s record rule: DestinationComment, or with "-" for
// the weight when its slot carries it (a NAT address service's destination that has a
// slot, `slotted`): "vigil-dst tcp 10.0.0.1 80 10.1.0.1 8080 -".
std::string RecordComment(const Service& s, const Destination& d, bool slotted);

// Returns the commands that create the netdev table of DR services (idempotent: its
// ingress chain is flushed and refilled).
std::string RenderDirectRouteSkeleton(const Options& options = {});

// Returns the commands (one per line) that create vigil's empty table.
std::string RenderSkeleton(const Options& options = {});

// Returns the commands that empty the masquerade sets and, if `options.masquerade`, fill
// them for the services of `state` (used once after start-up to resynchronise them).
std::string RenderMasqueradeResync(const State& state, const Options& options);

// Returns the commands that apply `ops` (as computed by Reconcile(desired, actual)). Only
// the objects of services named in `ops` are touched. Fails if one of those services does
// not Validate in `desired`, or if an op does not agree with `desired`/`actual`.
Result<std::string> RenderOps(const std::vector<Op>& ops, const State& desired, const State& actual,
                              const Options& options);

// Returns the commands that delete vigil's tables (inet and netdev), whether they exist or
// not.
std::string RenderTeardown(const Options& options = {});

// Returns the commands that replace vigil's table, whatever it holds now or if it is
// missing, by one that holds exactly `state`: one transaction, so packets never see a
// table half rebuilt.
Result<std::string> RenderRebuild(const State& state, const Options& options);

// Returns what differs between vigil's table as listed (libnftables' JSON for `list table
// inet vigil`) and the table that holds exactly `state`: one line per finding ("chain
// s_tcp_10.0.0.1_80 has 0 rules, 3 expected", "map svc4 lacks the element for
// s_tcp_10.0.0.1_80", "real server 10.1.0.1:8080 of tcp 10.0.0.1:80 is missing", ...), at
// most `limit` of them; empty when they agree. Compares the services and real servers the
// rule comments describe, every chain and its number of rules, the dispatch maps'
// elements and the masquerade sets.
std::vector<std::string> AuditTable(std::string_view json, const State& state,
                                    const Options& options, size_t limit = 5);

// Parses libnftables' JSON output for `list table inet vigil` back into a State. Rules of
// the netdev table (JoinListings) describe DR real servers.
Result<State> ParseTable(std::string_view json);

// Returns one listing holding the objects of both: libnftables' JSON for the inet table
// and, if any, for the netdev one. Fails if either is not libnftables JSON.
Result<std::string> JoinListings(std::string_view inet, std::string_view netdev);

}  // namespace vigil::lb::nft

#endif  // VIGIL_LB_NFT_RENDER_H_
