#include "lb/nft_batch.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <variant>

namespace vigil::lb::nft {
namespace {

// Elements per message: each is at most ~300 bytes (a 4-byte key and a goto to a chain
// name), so a message stays well inside the scratch buffer.
constexpr size_t kElementsPerMessage = 128;
constexpr size_t kScratch = 64 * 1024;

template <typename T, void (*Free)(const T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using RulePtr = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule, nftnl_rule_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, Deleter<nftnl_chain, nftnl_chain_free>>;
using SetPtr = std::unique_ptr<nftnl_set, Deleter<nftnl_set, nftnl_set_free>>;

// Appends messages to a batch.
class Writer {
 public:
  explicit Writer(const Options& options) : table_(options.table), scratch_(kScratch) {
    Append(nftnl_batch_begin(scratch_.data(), 0), "begin");
  }

  const std::string& table() const { return table_; }
  // The family of the following messages: NFPROTO_INET, or NFPROTO_NETDEV (DR services).
  void Use(uint8_t family) { family_ = family; }
  uint8_t family() const { return family_; }

  // Appends one nftables message of `type`: `payload` fills in what follows the header.
  void Add(uint16_t type, uint16_t flags, std::string step,
           const std::function<void(nlmsghdr*)>& payload) {
    nlmsghdr* h = nftnl_nlmsg_build_hdr(scratch_.data(), type, family_, flags, 0);
    payload(h);
    last_ = batch_.bytes.size();
    Append(h, (family_ == NFPROTO_NETDEV ? "netdev " : "inet ") + table_ + ": " + step);
  }

  // Ends the batch: the last nftables message asks for an acknowledgement.
  Batch Finish() && {
    if (batch_.steps.size() == 1) return Batch{};
    reinterpret_cast<nlmsghdr*>(batch_.bytes.data() + last_)->nlmsg_flags |= NLM_F_ACK;
    Append(nftnl_batch_end(scratch_.data(), 0), "end");
    return std::move(batch_);
  }

 private:
  // Copies the message built in scratch_ and clears what it used: libmnl leaves attribute
  // padding as it finds it, and a batch's bytes should not depend on the one before.
  void Append(const nlmsghdr* h, std::string step) {
    const auto* p = reinterpret_cast<const uint8_t*>(h);
    const size_t len = h->nlmsg_len;
    batch_.bytes.insert(batch_.bytes.end(), p, p + len);
    batch_.bytes.resize(NLMSG_ALIGN(batch_.bytes.size()), 0);
    batch_.steps.push_back(std::move(step));
    std::memset(scratch_.data(), 0, std::min(NLMSG_ALIGN(len), scratch_.size()));
  }

  std::string table_;
  uint8_t family_ = NFPROTO_INET;
  std::vector<char> scratch_;
  size_t last_ = 0;
  Batch batch_;
};

// ---------------------------------------------------------------------------------------
// Rules and their expressions.

RulePtr NewRule(const std::string& table, const std::string& chain,
                uint8_t family = NFPROTO_INET) {
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, family);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  return r;
}

nftnl_expr* Expr(nftnl_rule* r, const char* name) {
  nftnl_expr* e = nftnl_expr_alloc(name);
  nftnl_rule_add_expr(r, e);  // the rule owns it
  return e;
}

void Meta(nftnl_rule* r, uint32_t key, uint32_t dreg) {
  nftnl_expr* e = Expr(r, "meta");
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

void CmpEq(nftnl_rule* r, uint32_t sreg, const void* data, uint32_t len) {
  nftnl_expr* e = Expr(r, "cmp");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

void Immediate(nftnl_rule* r, uint32_t dreg, const void* data, uint32_t len) {
  nftnl_expr* e = Expr(r, "immediate");
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
  nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

void Payload(nftnl_rule* r, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg) {
  nftnl_expr* e = Expr(r, "payload");
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

void Comment(nftnl_rule* r, const std::string& text) {
  nftnl_udata_buf* b = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
  nftnl_udata_put_strz(b, NFTNL_UDATA_RULE_COMMENT, text.c_str());
  nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(b), nftnl_udata_buf_len(b));
  nftnl_udata_buf_free(b);
}

// `meta l4proto tcp dnat ip to 10.1.0.1:8080 comment "vigil-dst ..."` (or without the
// protocol match and the port when the destination's port is 0), as nft builds it;
// `slotted`: the destination has a slot (RecordComment).
RulePtr DestinationRule(const std::string& table, const Service& s, const Destination& d,
                        bool slotted, const Options& options) {
  if (d.forwarding == Forwarding::kDirectRoute) {
    // `fwd ip to 10.1.0.1 device "eth1" comment "vigil-dst ..."` (the device checked by
    // DeviceIndex).
    RulePtr r = NewRule(table, DestinationChainName(s.key, d.key), NFPROTO_NETDEV);
    const uint32_t index = if_nametoindex(options.dr_devices.at(d.key.address).c_str());
    Immediate(r.get(), NFT_REG_1, &index, sizeof index);
    Immediate(r.get(), NFT_REG_2, d.key.address.bytes().data(),
              static_cast<uint32_t>(d.key.address.size()));
    nftnl_expr* f = Expr(r.get(), "fwd");
    nftnl_expr_set_u32(f, NFTNL_EXPR_FWD_SREG_DEV, NFT_REG_1);
    nftnl_expr_set_u32(f, NFTNL_EXPR_FWD_SREG_ADDR, NFT_REG_2);
    nftnl_expr_set_u32(f, NFTNL_EXPR_FWD_NFPROTO,
                       d.key.address.family() == Family::kIpv4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
    Comment(r.get(), RecordComment(s, d, slotted));
    return r;
  }
  RulePtr r = NewRule(table, DestinationChainName(s.key, d.key));
  const auto& a = std::get<AddressKey>(s.key);
  if (d.key.port != 0) {
    Meta(r.get(), NFT_META_L4PROTO, NFT_REG_1);
    const uint8_t proto = ProtocolNumber(a.protocol);
    CmpEq(r.get(), NFT_REG_1, &proto, sizeof proto);
  }
  Immediate(r.get(), NFT_REG_1, d.key.address.bytes().data(),
            static_cast<uint32_t>(d.key.address.size()));
  const uint16_t port = htons(d.key.port);
  if (d.key.port != 0) Immediate(r.get(), NFT_REG_2, &port, sizeof port);
  nftnl_expr* nat = Expr(r.get(), "nat");
  nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
  nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_FAMILY,
                     d.key.address.family() == Family::kIpv4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
  nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
  if (d.key.port != 0) {
    nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
    nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
  }
  Comment(r.get(), RecordComment(s, d, slotted));
  return r;
}

// `jhash ip saddr [. th sport] mod SLOTS seed 0x0` into register 1: the source address,
// then (sh-port) the source port right after it (32-bit registers).
void SourceHash(nftnl_rule* r, const Service& s, bool v4, uint32_t slots) {
  const uint32_t addr_len = v4 ? 4 : 16;
  Payload(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, addr_len, NFT_REG_2);
  uint32_t len = addr_len;
  if (s.scheduler_flags & kSchedFlag2) {
    Payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, v4 ? NFT_REG32_05 : NFT_REG_3);
    len += 4;
  }
  nftnl_expr* h = Expr(r, "hash");
  nftnl_expr_set_u32(h, NFTNL_EXPR_HASH_SREG, NFT_REG_2);
  nftnl_expr_set_u32(h, NFTNL_EXPR_HASH_DREG, NFT_REG_1);
  nftnl_expr_set_u32(h, NFTNL_EXPR_HASH_LEN, len);
  nftnl_expr_set_u32(h, NFTNL_EXPR_HASH_MODULUS, slots);
  nftnl_expr_set_u32(h, NFTNL_EXPR_HASH_SEED, 0);
  nftnl_expr_set_u32(h, NFTNL_EXPR_HASH_OFFSET, 0);
  nftnl_expr_set_u32(h, NFTNL_EXPR_HASH_TYPE, NFT_HASH_JENKINS);
}

// The selector: `meta l4proto tcp dnat ip to numgen inc mod N map @v_<key>` (numgen
// random; jhash ip saddr [. th sport] mod N seed 0x0 for sh and mh), as nft builds it.
RulePtr SelectorRule(const std::string& table, const Service& s, uint32_t slots, bool dr) {
  if (dr) {
    // `jhash ip saddr [. th sport] mod N seed 0x0 vmap @v_<key>` in the netdev family: the
    // ethertype, not nfproto, guards the address.
    RulePtr r = NewRule(table, ServiceChainName(s.key), NFPROTO_NETDEV);
    const bool v4 = KeyFamily(s.key) == Family::kIpv4;
    Meta(r.get(), NFT_META_PROTOCOL, NFT_REG_1);
    const uint16_t ethertype = htons(v4 ? 0x0800 : 0x86dd);
    CmpEq(r.get(), NFT_REG_1, &ethertype, sizeof ethertype);
    SourceHash(r.get(), s, v4, slots);
    nftnl_expr* l = Expr(r.get(), "lookup");
    nftnl_expr_set_u32(l, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(l, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_str(l, NFTNL_EXPR_LOOKUP_SET, SlotMapName(s.key).c_str());
    return r;
  }
  RulePtr r = NewRule(table, ServiceChainName(s.key));
  const bool v6 = KeyFamily(s.key) == Family::kIpv6;
  Meta(r.get(), NFT_META_L4PROTO, NFT_REG_1);
  const uint8_t proto = ProtocolNumber(std::get<AddressKey>(s.key).protocol);
  CmpEq(r.get(), NFT_REG_1, &proto, sizeof proto);
  if (HashedSelector(s)) {
    const bool v4 = KeyFamily(s.key) == Family::kIpv4;
    Meta(r.get(), NFT_META_NFPROTO, NFT_REG_1);
    const uint8_t nfproto = v4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
    CmpEq(r.get(), NFT_REG_1, &nfproto, sizeof nfproto);
    SourceHash(r.get(), s, v4, slots);
  } else {
    nftnl_expr* g = Expr(r.get(), "numgen");
    nftnl_expr_set_u32(g, NFTNL_EXPR_NG_DREG, NFT_REG_1);
    nftnl_expr_set_u32(g, NFTNL_EXPR_NG_MODULUS, slots);
    nftnl_expr_set_u32(g, NFTNL_EXPR_NG_TYPE,
                       s.scheduler == Scheduler::kRandom ? NFT_NG_RANDOM : NFT_NG_INCREMENTAL);
    nftnl_expr_set_u32(g, NFTNL_EXPR_NG_OFFSET, 0);
  }
  // The slot's address and port, then the port right after the address (32-bit registers).
  nftnl_expr* l = Expr(r.get(), "lookup");
  nftnl_expr_set_u32(l, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(l, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
  nftnl_expr_set_str(l, NFTNL_EXPR_LOOKUP_SET, SlotMapName(s.key).c_str());
  nftnl_expr* nat = Expr(r.get(), "nat");
  nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
  nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_FAMILY, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
  nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
  nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_PROTO_MIN, v6 ? NFT_REG_2 : NFT_REG32_01);
  return r;
}

// `drop comment "vigil-svc ..."`.
RulePtr DropRule(const std::string& table, const Service& s, uint8_t family) {
  RulePtr r = NewRule(table, ServiceChainName(s.key), family);
  nftnl_expr* e = Expr(r.get(), "immediate");
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
  Comment(r.get(), ServiceComment(s));
  return r;
}

// ---------------------------------------------------------------------------------------
// Messages.

void AddRule(Writer& w, RulePtr rule, std::string step) {
  w.Add(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, std::move(step),
        [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, rule.get()); });
}

void FlushChain(Writer& w, const std::string& chain) {
  RulePtr r = NewRule(w.table(), chain, w.family());
  w.Add(NFT_MSG_DELRULE, 0, "flush chain " + chain,
        [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, r.get()); });
}

void ChainMessage(Writer& w, uint16_t type, const std::string& chain) {
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, w.family());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, w.table().c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, chain.c_str());
  const bool add = type == NFT_MSG_NEWCHAIN;
  w.Add(type, add ? NLM_F_CREATE : 0, (add ? "add chain " : "delete chain ") + chain,
        [&](nlmsghdr* h) { nftnl_chain_nlmsg_build_payload(h, c.get()); });
}

// Adds (with their address and port, and comment if any) or deletes the slot elements
// `slots` of service `entry`'s slot map, a bounded number per message. `dests` and
// `noted` (SlotCommentWeights) are indexed by slot.
void Elements(Writer& w, uint16_t type, const ServiceEntry& entry,
              const std::vector<uint32_t>& slots, const std::vector<DestinationKey>& dests,
              const std::vector<int64_t>& noted) {
  const Service& s = entry.service;
  const bool add = type == NFT_MSG_NEWSETELEM;
  const std::string map = SlotMapName(s.key);
  for (size_t first = 0; first < slots.size(); first += kElementsPerMessage) {
    SetPtr set(nftnl_set_alloc());
    nftnl_set_set_u32(set.get(), NFTNL_SET_FAMILY, w.family());
    nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, w.table().c_str());
    nftnl_set_set_str(set.get(), NFTNL_SET_NAME, map.c_str());
    std::string step = std::string(add ? "add" : "delete") + " element " + map + " {";
    for (size_t i = first; i < slots.size() && i < first + kElementsPerMessage; ++i) {
      const uint32_t slot = slots[i];
      nftnl_set_elem* e = nftnl_set_elem_alloc();
      nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &slot, sizeof slot);
      step += (i > first ? ", " : " ") + std::to_string(slot);
      if (add && noted[slot] >= 0) {
        const std::string comment = DestinationComment(s, entry.destinations.at(dests[slot]));
        nftnl_udata_buf* b = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
        nftnl_udata_put_strz(b, NFTNL_UDATA_SET_ELEM_COMMENT, comment.c_str());
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(b),
                           nftnl_udata_buf_len(b));
        nftnl_udata_buf_free(b);
        step += " comment \"" + comment + "\"";
      }
      if (add && !AddressSlots(entry)) {
        // A DR service's slot: goto its destination's chain.
        const std::string chain = DestinationChainName(s.key, dests[slot]);
        nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, static_cast<uint32_t>(NFT_GOTO));
        nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain.c_str());
        step += " : goto " + chain;
      } else if (add) {
        // The address, then the port in network order, each padded to 32 bits.
        const DestinationKey& d = dests[slot];
        uint8_t data[20] = {};
        const size_t n = d.address.size();
        std::memcpy(data, d.address.bytes().data(), n);
        const uint16_t port = htons(SlotPort(s, d));
        std::memcpy(data + n, &port, sizeof port);
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, static_cast<uint32_t>(n + 4));
        step += " : " + d.address.ToString() + " . " + std::to_string(SlotPort(s, d));
      }
      nftnl_set_elem_add(set.get(), e);  // the set owns it
    }
    w.Add(type, add ? NLM_F_CREATE : 0, step + " }",
          [&](nlmsghdr* h) { nftnl_set_elems_nlmsg_build_payload(h, set.get()); });
  }
}

// Returns whether the batch can express op `op`.
bool Expressible(const Op& op, const State& desired, const State& actual) {
  if (op.kind != OpKind::kAddDestination && op.kind != OpKind::kUpdateDestination &&
      op.kind != OpKind::kDeleteDestination) {
    return false;
  }
  const ServiceEntry* have = actual.Find(op.service.key);
  const ServiceEntry* want = desired.Find(op.service.key);
  if (have == nullptr || want == nullptr || !op.destination) return false;
  if (!(have->service == want->service)) return false;
  if (!std::holds_alternative<AddressKey>(want->service.key)) return false;
  // (A service that changes tables is libnftables'.)
  if (DirectRouted(*have) != DirectRouted(*want)) return false;
  return want->service.persistence_timeout == 0;
}

}  // namespace

std::optional<Batch> BuildBatch(const std::vector<Op>& ops, const State& desired,
                                const State& actual, const Options& options) {
  std::set<ServiceKey> touched;
  for (const Op& op : ops) {
    if (!Expressible(op, desired, actual)) return std::nullopt;
    touched.insert(op.service.key);
  }
  // DR real servers' devices must be known (else RenderOps says why).
  for (const ServiceKey& key : touched) {
    for (const auto& [k, d] : desired.Find(key)->destinations) {
      if (d.forwarding != Forwarding::kDirectRoute) continue;
      auto dev = options.dr_devices.find(k.address);
      if (dev == options.dr_devices.end() || if_nametoindex(dev->second.c_str()) == 0) {
        return std::nullopt;
      }
    }
  }

  if (ops.empty()) return Batch{};
  Writer w(options);
  auto use = [&](const ServiceKey& key) {
    w.Use(DirectRouted(*desired.Find(key)) ? NFPROTO_NETDEV : NFPROTO_INET);
  };
  // Slots before and after (with their comments), and which of them change.
  struct Change {
    std::vector<DestinationKey> before, after;
    std::vector<int64_t> noted_before, noted_after;  // SlotCommentWeights
    std::set<DestinationKey> slotted_before, slotted_after;
    std::vector<uint32_t> gone, come;
  };
  std::map<ServiceKey, Change> slots;
  for (const ServiceKey& key : touched) {
    Change& s = slots[key];
    const ServiceEntry& have = *actual.Find(key);
    const ServiceEntry& want = *desired.Find(key);
    s.before = Slots(have);
    s.after = Slots(want);
    s.noted_before = SlotCommentWeights(have, s.before);
    s.noted_after = SlotCommentWeights(want, s.after);
    s.slotted_before.insert(s.before.begin(), s.before.end());
    s.slotted_after.insert(s.after.begin(), s.after.end());
    for (uint32_t i = 0; i < s.before.size(); ++i) {
      if (i >= s.after.size() || s.after[i] != s.before[i] ||
          s.noted_after[i] != s.noted_before[i]) {
        s.gone.push_back(i);
      }
    }
    for (uint32_t i = 0; i < s.after.size(); ++i) {
      if (i >= s.before.size() || s.before[i] != s.after[i] ||
          s.noted_before[i] != s.noted_after[i]) {
        s.come.push_back(i);
      }
    }
  }
  // 1. The slots that change go (and the selector, if their number changes).
  for (const ServiceKey& key : touched) {
    const Change& c = slots[key];
    use(key);
    if (c.before.size() != c.after.size()) FlushChain(w, ServiceChainName(key));
    Elements(w, NFT_MSG_DELSETELEM, *actual.Find(key), c.gone, c.before, c.noted_before);
  }
  // 2. The destinations' record chains: those that go or come, and those whose comment
  // changes (a weight to or from 0: the slot that carried the weight goes or comes).
  auto record_step = [](const std::string& chain, const std::string& comment) {
    return "add rule " + chain + " (" + comment + ")";
  };
  for (const Op& op : ops) {
    const Service& s = desired.Find(op.service.key)->service;
    const Change& c = slots[s.key];
    const DestinationKey& dkey = op.destination->key;
    const std::string chain = DestinationChainName(s.key, dkey);
    use(s.key);
    if (op.kind == OpKind::kDeleteDestination) {
      FlushChain(w, chain);
      ChainMessage(w, NFT_MSG_DELCHAIN, chain);
    } else if (op.kind == OpKind::kAddDestination) {
      const bool slotted = c.slotted_after.contains(dkey);
      ChainMessage(w, NFT_MSG_NEWCHAIN, chain);
      AddRule(w, DestinationRule(w.table(), s, *op.destination, slotted, options),
              record_step(chain, RecordComment(s, *op.destination, slotted)));
    }
  }
  for (const ServiceKey& key : touched) {
    const ServiceEntry& have = *actual.Find(key);
    const ServiceEntry& want = *desired.Find(key);
    const Change& c = slots[key];
    const bool dr = DirectRouted(want);
    use(key);
    for (const auto& [dkey, d] : want.destinations) {
      auto old = have.destinations.find(dkey);
      if (old == have.destinations.end()) continue;
      // (The service is the same: the comment changes with the slot, or the weight it
      // holds when there is no slot; a DR record always holds the weight.)
      const bool slotted = c.slotted_after.contains(dkey);
      if (dr ? old->second.weight == d.weight
             : c.slotted_before.contains(dkey) == slotted &&
                   (slotted || old->second.weight == d.weight)) {
        continue;
      }
      const std::string chain = DestinationChainName(key, dkey);
      FlushChain(w, chain);
      AddRule(w, DestinationRule(w.table(), want.service, d, slotted, options),
              record_step(chain, RecordComment(want.service, d, slotted)));
    }
  }
  // 3. The slots and the service chains.
  for (const ServiceKey& key : touched) {
    const ServiceEntry& want = *desired.Find(key);
    const Service& s = want.service;
    const Change& sl = slots[key];
    const bool dr = DirectRouted(want);
    use(key);
    Elements(w, NFT_MSG_NEWSETELEM, want, sl.come, sl.after, sl.noted_after);
    if (sl.before.size() == sl.after.size()) continue;
    if (!sl.after.empty()) {
      AddRule(w, SelectorRule(w.table(), s, static_cast<uint32_t>(sl.after.size()), dr),
              "add rule " + ServiceChainName(key) + " (selector mod " +
                  std::to_string(sl.after.size()) + ")");
    }
    AddRule(w, DropRule(w.table(), s, w.family()), "add rule " + ServiceChainName(key) + " (drop)");
  }
  return std::move(w).Finish();
}

std::vector<uint8_t> BuildGetIngressChain(const Options& options) {
  std::vector<char> buf(kScratch);
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, options.table.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, std::string(kIngressChain).c_str());
  nlmsghdr* h = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETCHAIN, NFPROTO_NETDEV, NLM_F_ACK, 0);
  nftnl_chain_nlmsg_build_payload(h, c.get());
  const auto* p = reinterpret_cast<const uint8_t*>(h);
  return std::vector<uint8_t>(p, p + h->nlmsg_len);
}

std::optional<std::vector<std::string>> DecodeChainDevices(const nlmsghdr& message) {
  if ((message.nlmsg_type & 0xff) != NFT_MSG_NEWCHAIN ||
      (message.nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) {
    return std::nullopt;
  }
  ChainPtr c(nftnl_chain_alloc());
  if (nftnl_chain_nlmsg_parse(&message, c.get()) < 0) return std::nullopt;
  std::vector<std::string> out;
  if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_DEVICES)) {
    for (const char* const* d = nftnl_chain_get_array(c.get(), NFTNL_CHAIN_DEVICES);
         d != nullptr && *d != nullptr; ++d) {
      out.emplace_back(*d);
    }
  } else if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_DEV)) {
    out.emplace_back(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_DEV));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Batch BuildHookBatch(const std::vector<std::string>& add, const std::vector<std::string>& remove,
                     const Options& options) {
  Writer w(options);
  w.Use(NFPROTO_NETDEV);
  auto hook = [&](uint16_t type, const std::vector<std::string>& devices) {
    if (devices.empty()) return;
    ChainPtr c(nftnl_chain_alloc());
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, NFPROTO_NETDEV);
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, w.table().c_str());
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, std::string(kIngressChain).c_str());
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, NF_NETDEV_INGRESS);
    nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, 0);
    std::vector<const char*> names;
    std::string list;
    for (const std::string& d : devices) {
      names.push_back(d.c_str());
      list += (list.empty() ? "\"" : ", \"") + d + "\"";
    }
    names.push_back(nullptr);
    nftnl_chain_set_array(c.get(), NFTNL_CHAIN_DEVICES, names.data());
    const bool add_hooks = type == NFT_MSG_NEWCHAIN;
    w.Add(type, 0,
          std::string(add_hooks ? "add" : "delete") + " chain " + std::string(kIngressChain) +
              " { devices = { " + list + " } }",
          [&](nlmsghdr* h) { nftnl_chain_nlmsg_build_payload(h, c.get()); });
  };
  hook(NFT_MSG_NEWCHAIN, add);
  hook(NFT_MSG_DELCHAIN, remove);
  return std::move(w).Finish();
}

}  // namespace vigil::lb::nft
