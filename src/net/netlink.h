// NetlinkSocket: a netlink socket (NETLINK_ROUTE or NETLINK_GENERIC) with sequence numbers,
// synchronous request/acknowledge and non-blocking receive for multicast subscribers.
//
// Message builders elsewhere in vigil::net produce complete netlink messages as byte vectors
// with nlmsg_seq = 0 and nlmsg_pid = 0; the transport stamps the sequence number when sending.
#ifndef VIGIL_NET_NETLINK_H_
#define VIGIL_NET_NETLINK_H_

#include <linux/netlink.h>

#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace vigil::net {

// An IPv4 or IPv6 address as the kernel sees it: an AF_* family and network-order bytes
// (the first 4 for AF_INET). Default-constructed: AF_UNSPEC, all zero.
struct RawAddress {
  int family = AF_UNSPEC;
  std::array<std::uint8_t, 16> bytes{};

  // Parses IPv4 or IPv6 text with inet_pton; nullopt for anything else.
  static std::optional<RawAddress> Parse(std::string_view text);
  // Returns the address from `length` (4 or 16) network-order bytes; unspecified otherwise.
  static RawAddress FromBytes(const void* data, std::size_t length);
  // Returns 4, 16 or 0 (unspecified).
  std::size_t size() const;
  // Returns the inet_ntop text, "" when unspecified.
  std::string ToString() const;

  friend auto operator<=>(const RawAddress&, const RawAddress&) = default;
  friend bool operator==(const RawAddress&, const RawAddress&) = default;
};

// Called once for each reply message (not for the final ACK / NLMSG_DONE) of a request.
using NetlinkReplyHandler = std::function<void(const nlmsghdr& message)>;

// The seam through which rtnetlink/genetlink code talks to the kernel. Tests substitute a
// recording fake; NetlinkSocket is the real implementation.
class NetlinkTransport {
 public:
  virtual ~NetlinkTransport() = default;

  // Sends `request` (one complete netlink message) and waits, bounded, for the kernel's
  // answer. Every reply message belonging to the request is passed to `on_reply` (may be
  // empty). Returns the kernel's error (errno from NLMSG_ERROR, with the extended-ack text
  // appended to the context when the kernel sent one) or success once the ACK or the end of
  // a dump arrives.
  virtual Result<void> Transact(std::span<const std::uint8_t> request,
                                const NetlinkReplyHandler& on_reply) = 0;
};

// What a non-blocking drain of a subscriber socket saw.
enum class ReceiveOutcome {
  kDrained,  // all queued messages were delivered; the socket would now block
  kOverrun,  // the kernel dropped messages (ENOBUFS): the caller must resynchronise by dumping
};

// Splits a datagram holding one or more netlink messages into messages and calls `on_message`
// for each well-formed one. Stops at the first truncated header. Returns the number delivered.
std::size_t ForEachNetlinkMessage(std::span<const std::uint8_t> datagram,
                                  const std::function<void(const nlmsghdr&)>& on_message);

// Returns the error carried by an NLMSG_ERROR message: 0 for an ACK, else a positive errno.
// `extended_message` receives the kernel's extended-ack text if present (may be null).
int DecodeNetlinkError(const nlmsghdr& message, std::string* extended_message);

// How a socket's receive buffer is asked for: `bytes` (the kernel doubles it) with
// SO_RCVBUFFORCE, beyond net.core.rmem_max (falling back to SO_RCVBUF without
// CAP_NET_ADMIN), or with SO_RCVBUF only (capped at rmem_max); 0 bytes: the kernel default.
struct ReceiveBuffer {
  constexpr ReceiveBuffer(int b, bool f = true) : bytes(b), force(f) {}  // NOLINT: from int
  int bytes;
  bool force;
};

// Sets `fd`'s receive buffer as `rb` asks.
Result<void> SetReceiveBuffer(int fd, ReceiveBuffer rb);

// Returns the receive buffer keepalived's `*_rcv_bufs BYTES` / `*_rcv_bufs_force` ask for:
// `bytes` (at most INT_MAX) with SO_RCVBUF, or SO_RCVBUFFORCE with `force`; without
// `bytes`, vigil's `fallback` for the socket (forced if either says so).
ReceiveBuffer ConfiguredReceiveBuffer(std::optional<uint32_t> bytes, bool force,
                                      ReceiveBuffer fallback);

// An open netlink socket. Move-only; not thread-safe. The fd is O_CLOEXEC | O_NONBLOCK.
class NetlinkSocket final : public NetlinkTransport {
 public:
  // Default receive buffer asked for (SO_RCVBUFFORCE, falling back to SO_RCVBUF).
  static constexpr int kDefaultReceiveBuffer = 4 * 1024 * 1024;
  // How long Transact waits for each datagram of an answer before giving up.
  static constexpr int kReplyTimeoutMs = 5000;

  // Opens a socket of netlink `protocol` (NETLINK_ROUTE, NETLINK_GENERIC, ...), subscribed to
  // the multicast `groups` (RTNLGRP_* numbers, not bit masks), with a receive buffer of at
  // least `receive_buffer` bytes where the kernel allows it. Enables extended ACKs.
  static Result<NetlinkSocket> Open(int protocol, std::span<const unsigned> groups = {},
                                    ReceiveBuffer receive_buffer = kDefaultReceiveBuffer);

  NetlinkSocket(NetlinkSocket&&) noexcept = default;
  NetlinkSocket& operator=(NetlinkSocket&&) noexcept = default;

  // Returns the descriptor, for an event loop to watch for readability.
  int fd() const { return fd_.get(); }
  // Returns the port id the kernel assigned to this socket.
  std::uint32_t port_id() const { return port_id_; }
  // Returns the receive buffer size the kernel granted (as reported by SO_RCVBUF).
  int receive_buffer() const { return receive_buffer_; }

  // Returns a fresh sequence number (never 0).
  std::uint32_t NextSequence();

  // Joins (`member`) or leaves the multicast group `group` (an RTNLGRP_*-style number).
  Result<void> SetMembership(unsigned group, bool member);

  // See NetlinkTransport. Messages with other sequence numbers (late answers to earlier
  // requests, multicast notifications) are skipped. Bounded by kReplyTimeoutMs per datagram.
  Result<void> Transact(std::span<const std::uint8_t> request,
                        const NetlinkReplyHandler& on_reply) override;

  // Sends `batch` (several complete netlink messages, such as an nfnetlink batch from
  // NFNL_MSG_BATCH_BEGIN to NFNL_MSG_BATCH_END) in one datagram, numbering the messages with
  // consecutive sequence numbers, and collects the kernel's answers: the acknowledgement of
  // every message that asks for one (NLM_F_ACK) and the error of every message that failed
  // (the kernel reports those unasked). The kernel handles a datagram before send returns,
  // so the answers are waited for (bounded) only if they are not queued already. Returns
  // success if no message failed; else the first failure, with that message's index in
  // `*failed` (which may be null). Raises the send buffer to the batch's size if needed.
  Result<void> TransactBatch(std::span<const std::uint8_t> batch, std::size_t* failed);

  // Reads every datagram queued now without blocking and passes each message to
  // `on_message`. Returns kOverrun if the kernel reported ENOBUFS (messages were lost).
  Result<ReceiveOutcome> ReceivePending(const std::function<void(const nlmsghdr&)>& on_message);

 private:
  NetlinkSocket(UniqueFd fd, std::uint32_t port_id, int receive_buffer)
      : fd_(std::move(fd)), port_id_(port_id), receive_buffer_(receive_buffer) {}

  UniqueFd fd_;
  std::uint32_t port_id_ = 0;
  int receive_buffer_ = 0;
  std::uint32_t sequence_ = 0;
  int send_buffer_ = 0;  // as last raised by TransactBatch (0: the default)
  std::vector<std::uint8_t> buffer_;
};

}  // namespace vigil::net

#endif  // VIGIL_NET_NETLINK_H_
