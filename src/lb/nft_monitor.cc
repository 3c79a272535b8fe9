#include "lb/nft_monitor.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <utility>

namespace vigil::lb::nft {
namespace {

// The attribute naming the table is number 1 for every object message type; the second
// names the object itself (or, for rules and set elements, the chain or set they belong to),
// except for chains, whose name is attribute 3.
constexpr uint16_t kTableAttr = 1;

uint16_t ObjectAttr(uint8_t type) {
  switch (type) {
    case NFT_MSG_NEWCHAIN:
    case NFT_MSG_DELCHAIN:
      return NFTA_CHAIN_NAME;
    case NFT_MSG_NEWRULE:
    case NFT_MSG_DELRULE:
      return NFTA_RULE_CHAIN;
    case NFT_MSG_NEWSET:
    case NFT_MSG_DELSET:
      return NFTA_SET_NAME;
    case NFT_MSG_NEWSETELEM:
    case NFT_MSG_DELSETELEM:
      return NFTA_SET_ELEM_LIST_SET;
    default:
      return 0;
  }
}

// What an event did, as the summary words it.
std::string_view Verb(uint8_t type) {
  switch (type) {
    case NFT_MSG_NEWTABLE:
      return "table changed";
    case NFT_MSG_DELTABLE:
      return "table deleted";
    case NFT_MSG_NEWCHAIN:
      return "chains added";
    case NFT_MSG_DELCHAIN:
      return "chains deleted";
    case NFT_MSG_NEWRULE:
      return "rules added";
    case NFT_MSG_DELRULE:
      return "rules deleted";
    case NFT_MSG_NEWSET:
      return "sets added";
    case NFT_MSG_DELSET:
      return "sets deleted";
    case NFT_MSG_NEWSETELEM:
      return "elements added";
    case NFT_MSG_DELSETELEM:
      return "elements deleted";
    default:
      return "objects changed";
  }
}

std::string AttrString(const nlattr* a) {
  const char* s = static_cast<const char*>(mnl_attr_get_payload(a));
  size_t n = mnl_attr_get_payload_len(a);
  while (n > 0 && s[n - 1] == '\0') --n;
  return std::string(s, n);
}

}  // namespace

std::optional<Event> ParseEvent(const nlmsghdr& message) {
  if (NFNL_SUBSYS_ID(message.nlmsg_type) != NFNL_SUBSYS_NFTABLES) return std::nullopt;
  if (message.nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg))) return std::nullopt;
  Event e;
  e.type = static_cast<uint8_t>(NFNL_MSG_TYPE(message.nlmsg_type));
  const auto* gen = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(&message));
  e.family = gen->nfgen_family;
  const uint16_t object = ObjectAttr(e.type);
  struct Ctx {
    Event* e;
    uint16_t object;
  } ctx{&e, object};
  mnl_attr_parse(
      &message, sizeof(nfgenmsg),
      [](const nlattr* a, void* data) -> int {
        auto* c = static_cast<Ctx*>(data);
        const uint16_t type = mnl_attr_get_type(a);
        if (c->e->type == NFT_MSG_NEWGEN) {
          if (type == NFTA_GEN_PROC_PID && mnl_attr_get_payload_len(a) == 4) {
            c->e->pid = ntohl(mnl_attr_get_u32(a));
          } else if (type == NFTA_GEN_PROC_NAME) {
            c->e->process = AttrString(a);
          }
        } else if (type == kTableAttr) {
          c->e->table = AttrString(a);
        } else if (c->object != 0 && type == c->object) {
          c->e->object = AttrString(a);
        }
        return MNL_CB_OK;
      },
      &ctx);
  return e;
}

std::optional<std::string> ChangeFilter::Feed(const Event& event) {
  if (event.type != NFT_MSG_NEWGEN) {
    // vigil's table of that name in either family: inet (NAT, DR dispatch) and netdev (DR
    // forwarding).
    if ((event.family == NFPROTO_INET || event.family == NFPROTO_NETDEV) &&
        event.table == table_) {
      ++counts_[std::string(Verb(event.type)) + "\n" + event.object];
      families_ |= event.family == NFPROTO_INET ? kInet : kNetdev;
    }
    return std::nullopt;
  }
  if (counts_.empty()) return std::nullopt;
  // "rules deleted: 3 (dispatch, s_x)"; at most three names per kind.
  std::map<std::string, std::pair<size_t, std::vector<std::string>>> by_verb;
  for (const auto& [key, n] : counts_) {
    const size_t cut = key.find('\n');
    auto& [total, names] = by_verb[key.substr(0, cut)];
    total += n;
    if (cut + 1 < key.size()) names.push_back(key.substr(cut + 1));
  }
  std::string tables = families_ == (kInet | kNetdev) ? "tables inet " + table_ + " and netdev "
                       : families_ == kNetdev          ? "table netdev "
                                                       : "table inet ";
  std::string out = tables + table_ + " changed by " +
                    (event.process.empty() ? std::string("a process") : event.process) +
                    " (pid " + std::to_string(event.pid) + "):";
  bool first = true;
  for (const auto& [verb, what] : by_verb) {
    out += first ? " " : "; ";
    first = false;
    out += verb;
    if (verb != "table deleted" && verb != "table changed") out += " " + std::to_string(what.first);
    if (!what.second.empty()) {
      out += " (";
      for (size_t i = 0; i < what.second.size() && i < 3; ++i) {
        out += (i ? ", " : "") + what.second[i];
      }
      if (what.second.size() > 3) out += " and " + std::to_string(what.second.size() - 3) + " more";
      out += ")";
    }
  }
  Clear();
  return out;
}

Result<Monitor> Monitor::Open(std::string table, net::ReceiveBuffer receive_buffer) {
  const unsigned groups[] = {NFNLGRP_NFTABLES};
  auto socket = net::NetlinkSocket::Open(NETLINK_NETFILTER, groups, receive_buffer);
  if (!socket) return std::unexpected(socket.error());
  return Monitor(std::move(*socket), std::move(table));
}

Result<std::vector<std::string>> Monitor::Poll() {
  std::vector<std::string> out;
  auto r = socket_.ReceivePending([&](const nlmsghdr& m) {
    if (auto e = ParseEvent(m)) {
      if (auto change = filter_.Feed(*e)) out.push_back(std::move(*change));
    }
  });
  if (!r) return std::unexpected(r.error());
  if (*r == net::ReceiveOutcome::kOverrun) {
    filter_.Clear();
    out.push_back("nftables events were lost (the socket overran)");
  }
  return out;
}

void Monitor::Discard() {
  (void)socket_.ReceivePending([](const nlmsghdr&) {});
  filter_.Clear();
}

Result<void> Monitor::Pause() { return socket_.SetMembership(NFNLGRP_NFTABLES, false); }

Result<void> Monitor::Resume() {
  filter_.Clear();
  return socket_.SetMembership(NFNLGRP_NFTABLES, true);
}

}  // namespace vigil::lb::nft
