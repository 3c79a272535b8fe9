#include "net/netlink.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>

#include "base/fd.h"

namespace vigil::net {
namespace {

constexpr std::size_t kReceiveChunk = 64 * 1024;

Result<void> SetIntOption(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    return FailErrno(std::string("netlink setsockopt ") + what);
  }
  return {};
}

}  // namespace

std::optional<RawAddress> RawAddress::Parse(std::string_view text) {
  std::string copy(text);
  RawAddress out;
  if (::inet_pton(AF_INET, copy.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET;
    return out;
  }
  if (::inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET6;
    return out;
  }
  return std::nullopt;
}

RawAddress RawAddress::FromBytes(const void* data, std::size_t length) {
  RawAddress out;
  if (length == 4 || length == 16) {
    out.family = length == 4 ? AF_INET : AF_INET6;
    std::memcpy(out.bytes.data(), data, length);
  }
  return out;
}

std::size_t RawAddress::size() const {
  return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

std::string RawAddress::ToString() const {
  if (size() == 0) return "";
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes.data(), text, sizeof(text));
  return text;
}

std::size_t ForEachNetlinkMessage(std::span<const std::uint8_t> datagram,
                                  const std::function<void(const nlmsghdr&)>& on_message) {
  std::size_t delivered = 0;
  std::size_t offset = 0;
  while (datagram.size() - offset >= sizeof(nlmsghdr)) {
    nlmsghdr header;
    std::memcpy(&header, datagram.data() + offset, sizeof(header));
    if (header.nlmsg_len < sizeof(nlmsghdr) || header.nlmsg_len > datagram.size() - offset) break;
    on_message(*reinterpret_cast<const nlmsghdr*>(datagram.data() + offset));
    ++delivered;
    offset += NLMSG_ALIGN(header.nlmsg_len);
    if (offset > datagram.size()) break;
  }
  return delivered;
}

int DecodeNetlinkError(const nlmsghdr& message, std::string* extended_message) {
  if (message.nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return EBADMSG;
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(&message));
  if (err->error == 0) return 0;
  if (extended_message != nullptr && (message.nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
    // The echoed request is only the header when NLM_F_CAPPED is set, else the full message.
    std::size_t offset = sizeof(nlmsgerr);
    if ((message.nlmsg_flags & NLM_F_CAPPED) == 0) {
      offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
    }
    const auto* payload = static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(&message));
    std::size_t payload_len = mnl_nlmsg_get_payload_len(&message);
    while (offset + sizeof(nlattr) <= payload_len) {
      const auto* attr = reinterpret_cast<const nlattr*>(payload + offset);
      if (attr->nla_len < sizeof(nlattr) || offset + attr->nla_len > payload_len) break;
      if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG) {
        const char* text = static_cast<const char*>(mnl_attr_get_payload(attr));
        std::size_t len = mnl_attr_get_payload_len(attr);
        extended_message->assign(text, ::strnlen(text, len));
        break;
      }
      offset += NLA_ALIGN(attr->nla_len);
    }
  }
  return -err->error;
}

Result<void> SetReceiveBuffer(int fd, ReceiveBuffer rb) {
  if (rb.bytes <= 0) return {};
  if (rb.force &&
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb.bytes, sizeof(rb.bytes)) == 0)
    return {};
  // Without CAP_NET_ADMIN the forced variant fails; take what rmem_max allows.
  return SetIntOption(fd, SOL_SOCKET, SO_RCVBUF, rb.bytes, "SO_RCVBUF");
}

ReceiveBuffer ConfiguredReceiveBuffer(std::optional<uint32_t> bytes, bool force,
                                      ReceiveBuffer fallback) {
  if (!bytes) return {fallback.bytes, fallback.force || force};
  constexpr uint32_t kMax = std::numeric_limits<int>::max();
  return {static_cast<int>(std::min(*bytes, kMax)), force};
}

Result<NetlinkSocket> NetlinkSocket::Open(int protocol, std::span<const unsigned> groups,
                                          ReceiveBuffer receive_buffer) {
  UniqueFd fd = fd::Socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, protocol);
  if (!fd) return FailErrno("netlink socket");

  if (auto r = SetReceiveBuffer(fd.get(), receive_buffer); !r) return std::unexpected(r.error());
  // Best effort: older kernels lack these; errors then come without text.
  int one = 1;
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
    return FailErrno("netlink bind");
  }
  socklen_t addr_len = sizeof(local);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &addr_len) != 0) {
    return FailErrno("netlink getsockname");
  }
  int granted = 0;
  socklen_t granted_len = sizeof(granted);
  (void)::getsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &granted, &granted_len);
  NetlinkSocket socket(std::move(fd), local.nl_pid, granted);
  for (unsigned group : groups) {
    if (auto r = socket.SetMembership(group, true); !r) return std::unexpected(r.error());
  }
  return socket;
}

Result<void> NetlinkSocket::SetMembership(unsigned group, bool member) {
  int g = static_cast<int>(group);
  if (::setsockopt(fd_.get(), SOL_NETLINK, member ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP,
                   &g, sizeof(g)) != 0) {
    return FailErrno(std::string(member ? "netlink join group " : "netlink leave group ") +
                     std::to_string(group));
  }
  return {};
}

std::uint32_t NetlinkSocket::NextSequence() {
  if (++sequence_ == 0) ++sequence_;
  return sequence_;
}

Result<void> NetlinkSocket::TransactBatch(std::span<const std::uint8_t> batch,
                                          std::size_t* failed) {
  std::vector<std::uint8_t> datagram(batch.begin(), batch.end());
  // Number the messages; note which answers to wait for.
  std::vector<std::uint32_t> seqs;
  std::size_t acks_wanted = 0;
  for (std::size_t at = 0; at + sizeof(nlmsghdr) <= datagram.size();) {
    auto* h = reinterpret_cast<nlmsghdr*>(datagram.data() + at);
    if (h->nlmsg_len < sizeof(nlmsghdr) || at + h->nlmsg_len > datagram.size()) {
      return Fail(ErrorCode::kInvalidArgument, "netlink batch: message " +
                                                   std::to_string(seqs.size()) + " is truncated");
    }
    h->nlmsg_seq = NextSequence();
    h->nlmsg_pid = 0;
    seqs.push_back(h->nlmsg_seq);
    if ((h->nlmsg_flags & NLM_F_ACK) != 0) ++acks_wanted;
    at += NLMSG_ALIGN(h->nlmsg_len);
  }
  if (seqs.empty()) return Fail(ErrorCode::kInvalidArgument, "netlink batch: no message");
  const int need = static_cast<int>(std::min<std::size_t>(datagram.size() + 4096, INT32_MAX / 2));
  if (need > send_buffer_ && need > 200 * 1024) {
    if (::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDBUFFORCE, &need, sizeof(need)) != 0) {
      if (auto r = SetIntOption(fd_.get(), SOL_SOCKET, SO_SNDBUF, need, "SO_SNDBUF"); !r) return r;
    }
    send_buffer_ = need;
  }

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(fd_.get(), datagram.data(), datagram.size(), 0,
                    reinterpret_cast<const sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return FailErrno("netlink send");

  // Sequence numbers may wrap inside one batch: find a message by searching.
  auto index_of = [&](std::uint32_t seq) -> std::optional<std::size_t> {
    const std::uint32_t offset = seq - seqs.front();
    if (offset < seqs.size() && seqs[offset] == seq) return offset;
    return std::nullopt;
  };
  buffer_.resize(kReceiveChunk);
  std::size_t acks = 0;
  std::optional<Error> first_error;
  std::size_t first_failed = 0;
  while (acks < acks_wanted) {
    ssize_t got;
    do {
      got = ::recv(fd_.get(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      if (errno == ENOBUFS) {
        return Fail(ErrorCode::kIo, "netlink batch: answers lost (receive buffer overrun)");
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) return FailErrno("netlink receive");
      // Nothing queued: everything the kernel had to say was said, unless it is not done.
      if (first_error) break;
      pollfd pfd{fd_.get(), POLLIN, 0};
      int ready;
      do {
        ready = ::poll(&pfd, 1, kReplyTimeoutMs);
      } while (ready < 0 && errno == EINTR);
      if (ready < 0) return FailErrno("netlink poll");
      if (ready == 0) return Fail(ErrorCode::kTimeout, "netlink: no answer from the kernel");
      continue;
    }
    ForEachNetlinkMessage(
        std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(got)),
        [&](const nlmsghdr& reply) {
          if (reply.nlmsg_pid != port_id_ || reply.nlmsg_type != NLMSG_ERROR) return;
          const auto index = index_of(reply.nlmsg_seq);
          if (!index) return;
          std::string text;
          const int err = DecodeNetlinkError(reply, &text);
          if (err == 0) {
            ++acks;
            return;
          }
          // A failed message that asked for an acknowledgement gets this error instead.
          const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(&reply));
          if (reply.nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr)) &&
              (e->msg.nlmsg_flags & NLM_F_ACK) != 0) {
            ++acks;
          }
          if (!first_error) {
            std::string context = "netlink batch message " + std::to_string(*index);
            if (!text.empty()) context += " (" + text + ")";
            first_error = Error::FromErrno(err, std::move(context));
            first_failed = *index;
          }
        });
  }
  if (first_error) {
    if (failed != nullptr) *failed = first_failed;
    return std::unexpected(*first_error);
  }
  return {};
}

Result<void> NetlinkSocket::Transact(std::span<const std::uint8_t> request,
                                     const NetlinkReplyHandler& on_reply) {
  if (request.size() < sizeof(nlmsghdr)) {
    return Fail(ErrorCode::kInvalidArgument, "netlink request shorter than a header");
  }
  std::vector<std::uint8_t> message(request.begin(), request.end());
  auto* header = reinterpret_cast<nlmsghdr*>(message.data());
  const std::uint32_t seq = NextSequence();
  header->nlmsg_seq = seq;
  header->nlmsg_pid = 0;
  const bool is_dump = (header->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  const bool wants_ack = (header->nlmsg_flags & NLM_F_ACK) != 0;

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(fd_.get(), message.data(), message.size(), 0,
                    reinterpret_cast<const sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return FailErrno("netlink send");

  buffer_.resize(kReceiveChunk);
  bool done = false;
  Result<void> outcome;
  while (!done) {
    pollfd pfd{fd_.get(), POLLIN, 0};
    int ready;
    do {
      ready = ::poll(&pfd, 1, kReplyTimeoutMs);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) return FailErrno("netlink poll");
    if (ready == 0) return Fail(ErrorCode::kTimeout, "netlink: no answer from the kernel");

    ssize_t got;
    do {
      got = ::recv(fd_.get(), buffer_.data(), buffer_.size(), 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) continue;
      if (errno == ENOBUFS) continue;  // multicast overflow; our unicast answer still comes
      return FailErrno("netlink receive");
    }
    ForEachNetlinkMessage(
        std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(got)),
        [&](const nlmsghdr& reply) {
          if (done || reply.nlmsg_seq != seq || reply.nlmsg_pid != port_id_) return;
          if (reply.nlmsg_type == NLMSG_ERROR) {
            std::string text;
            int err = DecodeNetlinkError(reply, &text);
            if (err != 0) {
              std::string context = "netlink request type " + std::to_string(header->nlmsg_type);
              if (!text.empty()) context += " (" + text + ")";
              outcome = std::unexpected(Error::FromErrno(err, std::move(context)));
            }
            done = true;  // an ACK or an error ends every request
            return;
          }
          if (reply.nlmsg_type == NLMSG_DONE) {
            done = true;
            return;
          }
          if (reply.nlmsg_type == NLMSG_NOOP || reply.nlmsg_type == NLMSG_OVERRUN) return;
          if (on_reply) on_reply(reply);
          // A non-dump request without NLM_F_ACK ends at its single reply.
          if (!is_dump && !wants_ack && (reply.nlmsg_flags & NLM_F_MULTI) == 0) done = true;
        });
  }
  return outcome;
}

Result<ReceiveOutcome> NetlinkSocket::ReceivePending(
    const std::function<void(const nlmsghdr&)>& on_message) {
  buffer_.resize(kReceiveChunk);
  ReceiveOutcome outcome = ReceiveOutcome::kDrained;
  // Bounded: a socket cannot hold more than its buffer, but a busy kernel can keep refilling
  // it; give the event loop back after this many datagrams.
  for (int i = 0; i < 4096; ++i) {
    ssize_t got = ::recv(fd_.get(), buffer_.data(), buffer_.size(), 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return outcome;
      if (errno == ENOBUFS) {
        outcome = ReceiveOutcome::kOverrun;
        continue;
      }
      return FailErrno("netlink receive");
    }
    ForEachNetlinkMessage(
        std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(got)),
        on_message);
  }
  return outcome;
}

}  // namespace vigil::net
