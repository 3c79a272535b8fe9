// Watching vigil's nftables table for changes made behind its back: the kernel's nftables
// notifications (NFNLGRP_NFTABLES on a NETLINK_NETFILTER socket) read as values, a filter
// that says when a transaction changed the table, and the socket that feeds it.
//
// Telling vigil's own transactions apart: libnftables commits synchronously, and the kernel
// queues the notifications of a commit on every listener before the commit returns. So the
// owner drains the socket just before each of its own transactions (what is queued then is
// someone else's) and discards what is queued just after it (its own), or leaves the
// notification group for its transaction (Pause, Resume).
#ifndef VIGIL_LB_NFT_MONITOR_H_
#define VIGIL_LB_NFT_MONITOR_H_

#include <linux/netlink.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "net/netlink.h"

namespace vigil::lb::nft {

// One nftables notification.
struct Event {
  uint8_t type = 0;     // NFT_MSG_NEWTABLE, NFT_MSG_DELRULE, ..., NFT_MSG_NEWGEN
  uint8_t family = 0;   // NFPROTO_INET, ... (the nfgenmsg's)
  std::string table;    // the table the object belongs to ("" for NFT_MSG_NEWGEN)
  std::string object;   // the chain of a rule, the set of an element, the chain or set name
  uint32_t pid = 0;     // NFT_MSG_NEWGEN: the process that committed (NFTA_GEN_PROC_PID)
  std::string process;  // NFT_MSG_NEWGEN: its name (NFTA_GEN_PROC_NAME)

  bool operator==(const Event&) const = default;
};

// Returns the nftables notification `message` carries, or nullopt for any other message.
std::optional<Event> ParseEvent(const nlmsghdr& message);

// Collects the events of one table, transaction by transaction (a transaction's events end
// with NFT_MSG_NEWGEN). Not thread-safe.
class ChangeFilter {
 public:
  // Watches table `table` of families inet and netdev.
  explicit ChangeFilter(std::string table) : table_(std::move(table)) {}

  // Feeds one event. At the end of a transaction that changed the table, returns what it
  // changed: "rules deleted: 2 (chain s_tcp_10.0.0.1_80); table deleted by nft (pid 42)".
  std::optional<std::string> Feed(const Event& event);
  // Forgets the events of the current transaction.
  void Clear() {
    counts_.clear();
    families_ = 0;
  }

 private:
  static constexpr unsigned kInet = 1, kNetdev = 2;
  std::string table_;
  std::map<std::string, size_t> counts_;  // "rules deleted (chain X)" -> count
  unsigned families_ = 0;                 // kInet | kNetdev: whose events are counted
};

// The socket: subscribed to nftables notifications in the caller's network namespace.
class Monitor {
 public:
  // Opens the socket (its receive buffer as `receive_buffer` asks); watches table `table`
  // (inet and netdev).
  static Result<Monitor> Open(std::string table,
                              net::ReceiveBuffer receive_buffer =
                                  net::NetlinkSocket::kDefaultReceiveBuffer);

  // Returns the descriptor, for the event loop to watch for readability.
  int fd() const { return socket_.fd(); }

  // Reads what is queued now. Returns one line per transaction that changed the table
  // (ChangeFilter's), plus "nftables events were lost" if the kernel dropped some.
  Result<std::vector<std::string>> Poll();
  // Reads and drops what is queued now (vigil's own transaction's events).
  void Discard();
  // Leaves the notification group for the length of one of vigil's own transactions (Poll
  // first), so that the kernel builds no notifications for it when no one else listens: at
  // 1,000 real-server changes they are half of the commit's cost. Resume joins again, and
  // there is then nothing of vigil's to Discard. What others commit in between goes unseen
  // (as what they commit between a transaction and Discard would be taken for vigil's).
  Result<void> Pause();
  Result<void> Resume();

 private:
  Monitor(net::NetlinkSocket socket, std::string table)
      : socket_(std::move(socket)), filter_(std::move(table)) {}

  net::NetlinkSocket socket_;
  ChangeFilter filter_;
};

}  // namespace vigil::lb::nft

#endif  // VIGIL_LB_NFT_MONITOR_H_
