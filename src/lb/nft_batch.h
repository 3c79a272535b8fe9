// Real-server changes as nftables netlink messages, built with libnftnl: the steady-state
// path that bypasses libnftables (whose cache load costs tens of milliseconds per command
// at 10,000 real servers) and leaves the table exactly as nft_render's commands would.
//
// What one batch holds, for each service touched (only destination operations of services
// that stay as they are, whose slot maps hold addresses (nft::AddressSlots) or, for DR
// services in the netdev table, verdicts (goto d_<dest>, whose rule is `fwd ... device`)):
//   1. the slot map's elements that change (Slots and SlotComments before and after,
//      compared slot by slot) deleted, and the service chain flushed if the number of
//      slots changes (its selector names the modulus);
//   2. the record chains of destinations that go (flushed, deleted) or come (created with
//      their dnat rule), and the rule of those whose RecordComment changes replaced (flush +
//      add: a weight to or from 0, whose slot carried the weight or now does);
//   3. the slot map's new elements added, and (if flushed) the service chain's selector and
//      drop rules.
// So a weight change that keeps the slots (rr) is one element deleted and added again with
// the new weight in its comment: no rule at all, and no message jumps to a chain.
// A service whose destinations need more (persistence sets, fwmark services' protocol sets)
// is left to libnftables: BuildBatch then returns nullopt.
#ifndef VIGIL_LB_NFT_BATCH_H_
#define VIGIL_LB_NFT_BATCH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <linux/netlink.h>

#include "lb/nft_render.h"
#include "lb/reconciler.h"
#include "lb/state.h"

namespace vigil::lb::nft {

// One nfnetlink batch: NFNL_MSG_BATCH_BEGIN, the nftables messages, NFNL_MSG_BATCH_END,
// back to back, with sequence numbers 0 (the transport numbers them). The last nftables
// message asks for an acknowledgement (NLM_F_ACK); the kernel reports any that fails.
struct Batch {
  std::vector<uint8_t> bytes;
  // What each message does, by its index in the batch (begin and end included), in nft's
  // words: "delete chain inet vigil d_tcp_10.0.0.1_80_10.1.0.1_8080".
  std::vector<std::string> steps;
};

// Returns the batch that applies `ops` (as computed by Reconcile(desired, actual)), or
// nullopt if some operation needs libnftables (RenderOps): anything but destination
// operations, or a service that is persistent, a fwmark service, or not the same service in
// `desired` and `actual`. Returns an empty batch (no bytes) for no operations.
std::optional<Batch> BuildBatch(const std::vector<Op>& ops, const State& desired,
                                const State& actual, const Options& options);

// The DR ingress chain's hook (`chain ingress` of `table netdev vigil`, nft_render.h).
inline constexpr std::string_view kIngressChain = "ingress";

// Returns the request (NFT_MSG_GETCHAIN, acknowledged) for the netdev table's ingress chain.
std::vector<uint8_t> BuildGetIngressChain(const Options& options);
// Returns the interfaces a chain message (NFT_MSG_NEWCHAIN: the answer to
// BuildGetIngressChain) hooks, sorted; nullopt for a message that is not a chain.
std::optional<std::vector<std::string>> DecodeChainDevices(const nlmsghdr& message);
// Returns the batch that hooks the ingress chain to the interfaces `add` (NFT_MSG_NEWCHAIN
// with those devices: the kernel adds them to the chain's) and then unhooks it from
// `remove` (NFT_MSG_DELCHAIN with those devices: only they go), as one transaction; an
// empty batch when both are empty.
Batch BuildHookBatch(const std::vector<std::string>& add, const std::vector<std::string>& remove,
                     const Options& options);

}  // namespace vigil::lb::nft

#endif  // VIGIL_LB_NFT_BATCH_H_
