#include "check/syn_prober.h"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <bit>
#include <deque>
#include <asio.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/fd.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "check/deadline_queue.h"
#include "check/socket_util.h"
#include "check/tcp_segment.h"

namespace vigil::check {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// Local ports one source address may use at once towards the same server; each is held by
// a bound TCP socket that never listens. A second probe of a server whose first one is still
// in flight takes the next port.
constexpr size_t kMaxPortsPerSource = 64;
constexpr int kReceiveBuffer = 8 << 20;
constexpr int kSendBuffer = 4 << 20;
// How long SYNs wait after the device's queue dropped one (ENOBUFS) before they go again.
constexpr auto kDroppedPause = std::chrono::milliseconds(1);
// At most kBurst SYNs leave in one go, then the next after kBurstGap (up to 256,000 a second).
constexpr size_t kBurst = 256;
constexpr auto kBurstGap = std::chrono::milliseconds(1);
// A probe whose SYN is still in the outbox after this many connect_timeouts fails.
constexpr int kOutboxTimeouts = 10;
// A first SYN that waited longer than this to leave is counted (a debug log line).
constexpr auto kLateSyn = std::chrono::milliseconds(100);
// How long a route's source address is trusted before it is looked up again. A failed probe
// forgets it at once.
constexpr auto kSourceLifetime = std::chrono::seconds(30);

std::array<uint8_t, 16> AddressBytes(const SockAddr& a) {
  std::array<uint8_t, 16> out{};
  if (a.family() == AF_INET) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(&a.storage);
    std::memcpy(out.data(), &in4->sin_addr, 4);
  } else {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a.storage);
    std::memcpy(out.data(), &in6->sin6_addr, 16);
  }
  return out;
}

void SetPort(SockAddr& a, uint16_t port) {
  if (a.family() == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(port);
  }
}

// One probe's four-tuple, as seen from this host.
struct FlowKey {
  int family = 0;
  std::array<uint8_t, 16> local{};
  std::array<uint8_t, 16> remote{};
  uint16_t lport = 0;
  uint16_t rport = 0;
  bool operator==(const FlowKey&) const = default;
};

// Folds 64-bit words into a hash (multiply and rotate; the table is ours, not an adversary's
// to choose: replies that match no probe are dropped before any lookup grows anything).
class WordHasher {
 public:
  void Add(uint64_t word) { h_ = std::rotl((h_ ^ word) * 0x9e3779b97f4a7c15ull, 29); }
  void Add(const std::array<uint8_t, 16>& bytes) {
    uint64_t w[2];
    std::memcpy(w, bytes.data(), sizeof w);
    Add(w[0]);
    Add(w[1]);
  }
  size_t value() const { return static_cast<size_t>(h_); }

 private:
  uint64_t h_ = 0;
};

struct FlowHash {
  size_t operator()(const FlowKey& k) const noexcept {
    WordHasher h;
    h.Add(k.remote);
    h.Add(k.local);
    h.Add(uint64_t{k.lport} << 32 | uint64_t{k.rport} << 16 | static_cast<uint64_t>(k.family));
    return h.value();
  }
};

// What a route's source address depends on: the destination and the socket options.
struct SourceKey {
  int family = 0;
  std::array<uint8_t, 16> dst{};
  uint32_t fwmark = 0;
  std::string bind_if;
  bool operator==(const SourceKey&) const = default;
};

struct SourceHash {
  size_t operator()(const SourceKey& k) const noexcept {
    WordHasher h;
    h.Add(k.dst);
    h.Add(uint64_t{k.fwmark} << 8 | static_cast<uint64_t>(k.family));
    return h.value() ^ std::hash<std::string>{}(k.bind_if);
  }
};

std::string FlowTarget(const FlowKey& k) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(k.family, k.remote.data(), text, sizeof text);
  return FormatHostPort(text, k.rport);
}

// Accepts only segments with ACK and SYN or RST set: the answers to a SYN. The program
// starts at the IPv4 header on an IPv4 raw socket and at the TCP header on an IPv6 one.
std::vector<sock_filter> ReplyFilter(int family) {
  std::vector<sock_filter> f;
  if (family == AF_INET) {
    f.push_back(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0));       // X = IPv4 header length
    f.push_back(BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13));       // A = TCP flags
  } else {
    f.push_back(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13));       // A = TCP flags
  }
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kTcpFlagAck, 0, 2));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kTcpFlagSyn | kTcpFlagRst, 0, 1));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, 0xffff));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, 0));
  return f;
}

// The source address the kernel would pick to reach `dst` (a connected UDP socket's name).
Result<SockAddr> RouteSource(const SockAddr& dst, const ConnectOptions& opts) {
  UniqueFd fd = fd::Socket(dst.family(), SOCK_DGRAM, 0);
  if (!fd) return FailErrno("socket");
  if (auto r = ApplyDeviceOptions(fd.get(), opts); !r) return std::unexpected(r.error());
  if (::connect(fd.get(), dst.get(), dst.length) != 0) return FailErrno("connect");
  SockAddr src;
  src.length = sizeof(src.storage);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&src.storage), &src.length) != 0) {
    return FailErrno("getsockname");
  }
  SetPort(src, 0);
  return src;
}

}  // namespace

Duration NextSynWait(Duration previous) {
  // The kernel's initial retransmission timeout for a SYN (TCP_TIMEOUT_INIT, RFC 6298 2.1),
  // doubled after every unanswered send.
  return previous == Duration::zero() ? Duration(std::chrono::seconds(1)) : previous * 2;
}

std::vector<Duration> SynRetransmitOffsets(Duration connect_timeout) {
  std::vector<Duration> out;
  Duration wait = NextSynWait({});
  for (Duration at = wait; at < connect_timeout; wait = NextSynWait(wait), at += wait) out.push_back(at);
  return out;
}

SendSyns KernelSendSyns() {
  return [](int fd, mmsghdr* msgs, unsigned count) { return ::sendmmsg(fd, msgs, count, 0); };
}

class SynProber::Impl {
 public:
  Impl(asio::io_context& io, SendSyns send)
      : io_(io),
        send_(std::move(send)),
        rng_(std::random_device{}()),
        deadlines_(io, std::chrono::steady_clock::duration::zero(),
                   [this](const Deadline& d) { return FindPending(d.key, d.serial) != pending_.end(); },
                   [this](Deadline d) { OnDeadline(pending_.find(d.key)); }),
        resends_(io, std::chrono::milliseconds(10),
                 [this](const Deadline& d) { return FindPending(d.key, d.serial) != pending_.end(); },
                 [this](Deadline d) { Resend(pending_.find(d.key)); }) {}

  bool Start(const ConnectOptions& opts, ProbeCallback&& done, ProbeMemo* memo) {
    if (opts.bind_port != 0 || opts.address.find('%') != std::string::npos) return false;
    auto dst = ParseSockAddr(opts.address, opts.port);
    if (!dst) return false;
    SourceKey source_key;
    if (opts.bind_address.empty()) {
      source_key.family = dst->family();
      source_key.dst = AddressBytes(*dst);
      source_key.fwmark = opts.fwmark;
      source_key.bind_if = opts.bind_if;
    }
    // A steady probe finds its raw socket (and so its source address) in its memo.
    Endpoint* ep = nullptr;
    const SteadyTime now = std::chrono::steady_clock::now();
    if (memo && memo->owner == this && memo->endpoint && now < memo->expires) {
      ep = static_cast<Endpoint*>(memo->endpoint);
    } else {
      auto src = Source(opts, *dst, source_key);
      if (!src) return false;
      ep = GetEndpoint(*src, opts);
      if (!ep) return false;
      if (memo) *memo = ProbeMemo{this, ep, now + kSourceLifetime};
    }

    FlowKey key;
    key.family = dst->family();
    key.local = AddressBytes(ep->local);
    key.remote = AddressBytes(*dst);
    key.rport = opts.port;
    size_t i = 0;
    for (; i < ep->ports.size(); ++i) {
      key.lport = ep->ports[i];
      if (!pending_.contains(key)) break;
    }
    if (i == ep->ports.size()) {
      if (ep->ports.size() >= kMaxPortsPerSource || !ReservePort(*ep)) return false;
      key.lport = ep->ports.back();
    }

    const uint32_t isn = static_cast<uint32_t>(rng_());
    Outgoing out;
    out.endpoint = ep;
    out.key = key;
    out.to = *dst;
    SetPort(out.to, 0);  // a raw socket takes no port (or its protocol's number)
    const SegmentAddresses addresses{key.family, key.local, key.remote};
    const auto syn = BuildSyn(addresses, key.lport, key.rport, isn,
                              key.family == AF_INET ? 1460 : 1440);
    if (ep->hdrincl) {  // IPv4: the whole packet, which skips the kernel's cork path
      const auto ip = BuildIpv4Header(addresses, kSynLength);
      std::copy(ip.begin(), ip.end(), out.packet.begin());
      std::copy(syn.begin(), syn.end(), out.packet.begin() + kIpv4HeaderLength);
      out.length = kIpv4HeaderLength + kSynLength;
    } else {
      std::copy(syn.begin(), syn.end(), out.packet.begin());
      out.length = kSynLength;
    }
    const uint64_t serial = ++serial_;
    out.serial = serial;
    // connect_timeout counts from when the SYN leaves (OnWire), as a connect()'s does: a
    // SYN that waits in the outbox behind a burst does not spend its probe's time there.
    // Until it leaves, the deadline is the start's.
    const SteadyTime deadline = now + opts.connect_timeout;
    AddPending(key, Pending{isn, serial, std::move(done), std::move(source_key), out, now,
                            NextSynWait({}), deadline, opts.connect_timeout});
    deadlines_.Push(deadline, Deadline{key, serial});
    Send(out);
    return true;
  }

  ~Impl() { *alive_ = false; }

 private:
  struct Outgoing;

  // Queues `out`: the SYNs of one turn of the loop leave together, in one system call per
  // raw socket.
  void Send(const Outgoing& out) {
    outbox_.push_back(out);
    if (outbox_.size() == 1) {
      std::weak_ptr<bool> alive = alive_;
      asio::post(io_, [this, alive] {
        if (auto a = alive.lock()) Flush();
      });
    }
  }
  struct Endpoint {
    explicit Endpoint(asio::io_context& io) : desc(io) {}
    asio::posix::stream_descriptor desc;  // the raw socket
    SockAddr local;
    bool hdrincl = false;  // IPv4 with IP_HDRINCL: SYNs carry their own IP header
    std::vector<UniqueFd> reservations;  // bound TCP sockets holding `ports`
    std::vector<uint16_t> ports;
  };

  // A SYN waiting for the end of the loop's turn.
  struct Outgoing {
    Endpoint* endpoint = nullptr;
    FlowKey key;
    uint64_t serial = 0;
    SockAddr to;
    std::array<uint8_t, kIpv4HeaderLength + kSynLength> packet{};
    size_t length = 0;
  };

  void Flush() {
    // The vectors keep their capacity from turn to turn.
    // At most kBurst SYNs a turn: a burst larger than the receiving side's backlog
    // (net.core.netdev_max_backlog) would be dropped there without a word; the rest follow
    // after kBurstGap.
    std::vector<Outgoing>& batch = sending_;
    const size_t take = std::min(outbox_.size(), kBurst);
    batch.assign(std::make_move_iterator(outbox_.begin()),
                 std::make_move_iterator(outbox_.begin() + static_cast<ptrdiff_t>(take)));
    outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<ptrdiff_t>(take));
    std::vector<mmsghdr>& msgs = msgs_;
    std::vector<iovec>& iov = iov_;
    for (size_t start = 0; start < batch.size();) {
      // One run of consecutive SYNs through the same raw socket.
      size_t end = start + 1;
      while (end < batch.size() && batch[end].endpoint == batch[start].endpoint) ++end;
      const size_t n = end - start;
      msgs.assign(n, mmsghdr{});
      iov.resize(n);
      for (size_t i = 0; i < n; ++i) {
        Outgoing& o = batch[start + i];
        iov[i] = iovec{o.packet.data(), o.length};
        msgs[i].msg_hdr.msg_name = &o.to.storage;
        msgs[i].msg_hdr.msg_namelen = o.to.length;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int fd = batch[start].endpoint->desc.native_handle();
      for (size_t sent = 0; sent < n;) {
        const int got = send_(fd, msgs.data() + sent, static_cast<unsigned>(n - sent));
        if (got > 0) {
          OnWire(batch, start + sent, start + sent + static_cast<size_t>(got));
          sent += static_cast<size_t>(got);
          continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
          // A burst (a turn of the loop that came late sends thousands) filled the socket's
          // send buffer, or the device's queue dropped the SYN: the rest go, in order, once
          // the socket has room or after a pause. Not a probe failure.
          Defer(batch, start + sent, *batch[start].endpoint, errno == ENOBUFS);
          return;
        }
        // The first unsent SYN failed (no route, a firewall's EPERM, ...): that probe fails.
        const int err = got < 0 ? errno : EIO;
        const Outgoing& o = batch[start + sent];
        if (auto it = FindPending(o.key, o.serial); it != pending_.end()) {
          Complete(it, false, std::string("failed: ") + std::strerror(err));
        }
        ++sent;
      }
      start = end;
    }
    batch.clear();
    if (!outbox_.empty()) Pause(kBurstGap, nullptr);
  }

  // Puts `batch` from `from` on back in front of what was queued since, and flushes again
  // once `blocked`'s socket can take more (`dropped`: after kDroppedPause, the device's
  // queue having no room).
  void Defer(std::vector<Outgoing>& batch, size_t from, Endpoint& blocked, bool dropped) {
    outbox_.insert(outbox_.begin(),
                   std::make_move_iterator(batch.begin() + static_cast<ptrdiff_t>(from)),
                   std::make_move_iterator(batch.end()));
    batch.clear();
    Pause(kDroppedPause, dropped ? nullptr : &blocked);
  }

  // Flushes outbox_ again after `gap`, or once `blocked`'s socket has room when given.
  void Pause(Duration gap, Endpoint* blocked) {
    if (waiting_to_send_) return;
    waiting_to_send_ = true;
    std::weak_ptr<bool> alive = alive_;
    auto resume = [this, alive](std::error_code ec) {
      auto a = alive.lock();
      if (!a || !*a || ec == asio::error::operation_aborted) return;
      waiting_to_send_ = false;
      if (!outbox_.empty()) Flush();
    };
    if (blocked) {
      blocked->desc.async_wait(asio::posix::descriptor_base::wait_write, std::move(resume));
    } else {
      pause_.expires_after(gap);
      pause_.async_wait(std::move(resume));
    }
  }

  struct Pending {
    uint32_t isn = 0;
    uint64_t serial = 0;
    ProbeCallback done;
    SourceKey source_key;
    Outgoing syn;              // sent again while unanswered
    SteadyTime sent{};         // the last time it was (the start until the first leaves)
    Duration rto{};            // the wait before the next resend
    SteadyTime deadline{};     // connect_timeout after the first left (the start before)
    Duration timeout{};        // connect_timeout
    bool on_wire = false;      // the first SYN left
  };


  // A probe's timeout; answered probes leave theirs behind, dropped unseen.
  struct Deadline {
    FlowKey key;
    uint64_t serial = 0;
  };


  struct CachedSource {
    SockAddr address;
    SteadyTime expires;
  };

  using EndpointKey = std::tuple<int, std::array<uint8_t, 16>, uint32_t, std::string>;

  // The source address for `opts` towards `dst`: bindto, or the route's (cached under `key`,
  // which is empty with bindto).
  Result<SockAddr> Source(const ConnectOptions& opts, const SockAddr& dst, const SourceKey& key) {
    if (!opts.bind_address.empty()) {
      auto src = ParseSockAddr(opts.bind_address, 0);
      if (!src) return src;
      if (src->family() != dst.family()) {
        return Fail(ErrorCode::kInvalidArgument, "bindto address family differs from target");
      }
      return src;
    }
    const SteadyTime now = std::chrono::steady_clock::now();
    if (auto it = sources_.find(key); it != sources_.end() && now < it->second.expires) {
      return it->second.address;
    }
    auto src = RouteSource(dst, opts);
    if (src) sources_.insert_or_assign(key, CachedSource{*src, now + kSourceLifetime});
    return src;
  }

  // Returns the raw socket for `src` with the options of `opts`, opening it on first use;
  // nullptr when raw sockets or these options are refused here.
  Endpoint* GetEndpoint(const SockAddr& src, const ConnectOptions& opts) {
    EndpointKey key{src.family(), AddressBytes(src), opts.fwmark, opts.bind_if};
    if (auto it = endpoints_.find(key); it != endpoints_.end()) return it->second.get();
    std::unique_ptr<Endpoint> ep = OpenEndpoint(src, opts);
    Endpoint* out = ep.get();
    endpoints_.emplace(std::move(key), std::move(ep));
    if (out) Read(*out);
    return out;
  }

  std::unique_ptr<Endpoint> OpenEndpoint(const SockAddr& src, const ConnectOptions& opts) {
    UniqueFd fd = fd::Socket(src.family(), SOCK_RAW | SOCK_NONBLOCK, IPPROTO_TCP);
    if (!fd || !ApplyDeviceOptions(fd.get(), opts)) return nullptr;
    int one = 1;
    bool hdrincl = false;
    if (src.family() == AF_INET) {
      (void)::setsockopt(fd.get(), SOL_IP, IP_RECVERR, &one, sizeof one);
      hdrincl = ::setsockopt(fd.get(), SOL_IP, IP_HDRINCL, &one, sizeof one) == 0;
      if (!hdrincl) {  // don't fragment, as TCP's SYNs (BuildIpv4Header sets DF itself)
        const int pmtu = IP_PMTUDISC_PROBE;
        (void)::setsockopt(fd.get(), SOL_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
      }
    } else {
      (void)::setsockopt(fd.get(), SOL_IPV6, IPV6_RECVERR, &one, sizeof one);
    }
    // Replies arrive in bursts: every SYN sent in one turn of the loop is answered before the
    // loop reads any. Room for a few thousand of them (root may exceed rmem_max).
    const int rcvbuf = kReceiveBuffer;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) {
      (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    // Room for a late turn's burst of SYNs (a full buffer only delays them: see Defer).
    const int sndbuf = kSendBuffer;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0) {
      (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    }
    if (::bind(fd.get(), src.get(), src.length) != 0) return nullptr;
    // Without the filter every TCP segment to this address would be copied here.
    std::vector<sock_filter> code = ReplyFilter(src.family());
    sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);

    auto ep = std::make_unique<Endpoint>(io_);
    ep->local = src;
    ep->hdrincl = hdrincl;
    std::error_code ec;
    ep->desc.assign(fd.get(), ec);
    if (ec) return nullptr;
    (void)fd.Release();
    if (!ReservePort(*ep)) return nullptr;
    return ep;
  }

  // Binds one more never-listening TCP socket to the endpoint's address, so that the kernel
  // gives its port to nobody else and answers a SYN-ACK to it with a reset.
  bool ReservePort(Endpoint& ep) {
    UniqueFd fd = fd::Socket(ep.local.family(), SOCK_STREAM, 0);
    if (!fd || ::bind(fd.get(), ep.local.get(), ep.local.length) != 0) return false;
    SockAddr bound;
    bound.length = sizeof(bound.storage);
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound.storage), &bound.length) != 0) {
      return false;
    }
    const auto* in = reinterpret_cast<const sockaddr_in*>(&bound.storage);  // port: same offset
    ep.ports.push_back(ntohs(in->sin_port));
    ep.reservations.push_back(std::move(fd));
    return true;
  }

  void Read(Endpoint& ep) {
    ep.desc.async_wait(asio::posix::descriptor_base::wait_read, [this, &ep](std::error_code ec) {
      if (ec) return;  // closed: the prober is gone
      Drain(ep);
      Read(ep);
    });
  }

  // Reads every queued reply, up to kBatch per system call, until the socket says EAGAIN (a
  // short batch may have stopped at a pending ICMP error).
  void Drain(Endpoint& ep) {
    static constexpr size_t kBatch = 32;
    std::array<std::array<uint8_t, 512>, kBatch> bufs;  // headers are all a reply needs
    std::array<sockaddr_storage, kBatch> from;
    std::array<iovec, kBatch> iov;
    std::array<mmsghdr, kBatch> msgs;
    for (;;) {
      for (size_t i = 0; i < kBatch; ++i) {
        iov[i] = iovec{bufs[i].data(), bufs[i].size()};
        msgs[i] = mmsghdr{};
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int got = ::recvmmsg(ep.desc.native_handle(), msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        DrainErrors(ep);  // an ICMP error was reported; its details wait in the error queue
        continue;
      }
      for (int i = 0; i < got; ++i) {
        OnSegment(ep, std::span<const uint8_t>(bufs[i].data(), msgs[i].msg_len), from[i]);
      }
    }
  }

  void OnSegment(const Endpoint& ep, std::span<const uint8_t> data, const sockaddr_storage& from) {
    FlowKey key;
    key.family = ep.local.family();
    key.local = AddressBytes(ep.local);
    std::span<const uint8_t> tcp = data;
    if (key.family == AF_INET) {
      auto ip = ParseIpv4Packet(data);
      if (!ip || ip->protocol != IPPROTO_TCP) return;
      std::copy(ip->src.begin(), ip->src.end(), key.remote.begin());
      tcp = ip->payload;
    } else {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&from);
      std::memcpy(key.remote.data(), &in6->sin6_addr, 16);
    }
    auto header = ParseTcpHeader(tcp);
    if (!header) return;
    key.lport = header->dport;
    key.rport = header->sport;
    auto it = pending_.find(key);
    if (it == pending_.end()) return;
    auto reply = ClassifyReply(*header, it->second.isn);
    if (!reply) return;
    if (*reply == SynReply::kOpen) {
      Complete(it, true, {});
    } else {
      Complete(it, false, "failed: Connection refused");
    }
  }

  void DrainErrors(Endpoint& ep) {
    for (;;) {
      std::array<uint8_t, 128> data;
      sockaddr_storage name{};
      alignas(cmsghdr) std::array<char, 512> control;
      iovec iov{data.data(), data.size()};
      msghdr msg{};
      msg.msg_name = &name;
      msg.msg_namelen = sizeof name;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      const ssize_t got = ::recvmsg(ep.desc.native_handle(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
      if (got < 0) {
        if (errno == EINTR) continue;
        return;
      }
      int err = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        const bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
        const bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
        if (!v4 && !v6) continue;
        sock_extended_err ee;
        std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
        if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
          err = static_cast<int>(ee.ee_errno);
        }
      }
      // The quote starts at the TCP header, or at the IP header we wrote with IP_HDRINCL.
      std::span<const uint8_t> quote(data.data(), static_cast<size_t>(got));
      if (ep.hdrincl) quote = QuotedIpv4Payload(quote);
      auto quoted = ParseQuotedTcpHeader(quote);
      if (err == 0 || !quoted) continue;
      FlowKey key;
      key.family = ep.local.family();
      key.local = AddressBytes(ep.local);
      SockAddr remote;
      std::memcpy(&remote.storage, &name, sizeof name);
      key.remote = AddressBytes(remote);
      key.lport = quoted->sport;
      key.rport = quoted->dport;
      auto it = pending_.find(key);
      if (it == pending_.end() || it->second.isn != quoted->seq) continue;
      Complete(it, false, std::string("failed: ") + std::strerror(err));
    }
  }

  using PendingMap = std::unordered_map<FlowKey, Pending, FlowHash>;

  // The probe of `key` if it is the attempt `serial` and still unanswered, else end().
  PendingMap::iterator FindPending(const FlowKey& key, uint64_t serial) {
    auto it = pending_.find(key);
    return it != pending_.end() && it->second.serial == serial ? it : pending_.end();
  }

  // The pending table's nodes are reused, so that a steady probe allocates nothing.
  void AddPending(const FlowKey& key, Pending&& p) {
    if (spare_.empty()) {
      pending_.emplace(key, std::move(p));
      return;
    }
    PendingMap::node_type node = std::move(spare_.back());
    spare_.pop_back();
    node.key() = key;
    node.mapped() = std::move(p);
    pending_.insert(std::move(node));
  }

  // Ends the probe of `it` (called from the loop, never from Start).
  void Complete(PendingMap::iterator it, bool ok, const std::string& detail) {
    const FlowKey key = it->first;
    Pending p = std::move(it->second);
    spare_.push_back(pending_.extract(it));
    ProbeResult result{ok, {}, {}};
    if (!ok) {
      sources_.erase(p.source_key);
      result.detail = "connection to " + FlowTarget(key) + " " + detail;
    }
    p.done(std::move(result));
  }

  // The SYNs batch[from, to) left now: a probe's first starts its connect_timeout and its
  // resend schedule.
  void OnWire(const std::vector<Outgoing>& batch, size_t from, size_t to) {
    const SteadyTime now = std::chrono::steady_clock::now();
    for (size_t i = from; i < to; ++i) {
      auto it = FindPending(batch[i].key, batch[i].serial);
      if (it == pending_.end() || it->second.on_wire) continue;
      Pending& p = it->second;
      p.on_wire = true;
      if (now - p.sent > kLateSyn) ++late_syns_;
      p.sent = now;
      p.deadline = now + std::chrono::duration_cast<SteadyTime::duration>(p.timeout);
      const SteadyTime resend = now + std::chrono::duration_cast<SteadyTime::duration>(p.rto);
      if (resend < p.deadline) resends_.Push(resend, Deadline{it->first, p.serial});
    }
    if (late_syns_ > 0 && now - late_logged_ > std::chrono::seconds(10)) {
      log::Debug("SYN prober: " + std::to_string(late_syns_) +
                 " SYN(s) waited over 100 ms to leave since the last report");
      late_syns_ = 0;
      late_logged_ = now;
    }
  }

  // A probe's deadline came: it timed out, unless its first SYN left late (its deadline
  // moved on: wait for that one) or has not left yet — it has connect_timeout from when it
  // does, within kOutboxTimeouts of them from the start.
  void OnDeadline(PendingMap::iterator it) {
    const SteadyTime now = std::chrono::steady_clock::now();
    Pending& p = it->second;
    if (!p.on_wire) {
      const auto step = std::chrono::duration_cast<SteadyTime::duration>(p.timeout);
      if (now < p.sent + kOutboxTimeouts * step) p.deadline = now + step;
    }
    if (p.deadline > now) {
      deadlines_.Push(p.deadline, Deadline{it->first, p.serial});
      return;
    }
    Complete(it, false, p.on_wire ? "timed out" : "timed out before its SYN could leave");
  }

  // Sends the unanswered SYN of `it` again (the same segment, as the kernel does) and
  // schedules the next resend at twice the wait, if before the probe's deadline.
  void Resend(PendingMap::iterator it) {
    Pending& p = it->second;
    Send(p.syn);
    p.sent += std::chrono::duration_cast<SteadyTime::duration>(p.rto);
    p.rto = NextSynWait(p.rto);
    const SteadyTime next = p.sent + std::chrono::duration_cast<SteadyTime::duration>(p.rto);
    if (next < p.deadline) resends_.Push(next, Deadline{it->first, p.serial});
  }

  asio::io_context& io_;
  SendSyns send_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::deque<Outgoing> outbox_;    // SYNs waiting to go, in order
  std::vector<Outgoing> sending_;  // the batch Flush sends
  asio::steady_timer pause_{io_};  // after a SYN the device's queue dropped
  bool waiting_to_send_ = false;   // a full send buffer or queue holds outbox_ back
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iov_;
  std::mt19937_64 rng_;
  uint64_t serial_ = 0;
  std::map<EndpointKey, std::unique_ptr<Endpoint>> endpoints_;
  std::unordered_map<SourceKey, CachedSource, SourceHash> sources_;
  PendingMap pending_;
  std::vector<PendingMap::node_type> spare_;  // nodes of answered probes, for the next ones
  uint64_t late_syns_ = 0;   // first SYNs that waited over kLateSyn in the outbox
  SteadyTime late_logged_{};
  DeadlineQueue<Deadline> deadlines_;  // last: its callbacks use the members above
  DeadlineQueue<Deadline> resends_;    // when unanswered SYNs go again
};

SynProber::SynProber(asio::io_context& io, SendSyns send)
    : impl_(std::make_unique<Impl>(io, std::move(send))) {}
SynProber::~SynProber() = default;

bool SynProber::Start(const ConnectOptions& opts, ProbeCallback&& done, ProbeMemo* memo) {
  return impl_->Start(opts, std::move(done), memo);
}

}  // namespace vigil::check
