#include "bfd/engine.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include <asio.hpp>

#include "base/fd.h"
#include "base/log.h"
#include "bfd/session_table.h"
#include "model/config.h"

namespace vigil::bfd {
namespace {

using std::chrono::steady_clock;

constexpr int kSourcePortAttempts = 64;

// A socket address for `a` and `port`.
struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
};

SockAddr ToSockAddr(const std::optional<model::IpAddress>& a, model::Family family, uint16_t port) {
  SockAddr out;
  if (family == model::Family::kIpv4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    if (a) std::memcpy(&sin->sin_addr, a->bytes().data(), 4);
    out.len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    if (a) std::memcpy(&sin6->sin6_addr, a->bytes().data(), 16);
    out.len = sizeof(sockaddr_in6);
  }
  return out;
}

std::optional<model::IpAddress> FromSockAddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    return model::IpAddress::V4(ntohl(sin->sin_addr.s_addr));
  }
  if (ss.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), &sin6->sin6_addr, 16);
    return model::IpAddress::V6(b);
  }
  return std::nullopt;
}

int Domain(model::Family f) { return f == model::Family::kIpv4 ? AF_INET : AF_INET6; }

Result<void> SetInt(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) return FailErrno(what);
  return {};
}

// Opens the listening socket of `family` on `port`, reporting each datagram's TTL and
// destination address.
Result<UniqueFd> OpenReceiver(model::Family family, uint16_t port) {
  UniqueFd fd = fd::Socket(Domain(family), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (!fd) return FailErrno("BFD socket");
  if (auto r = SetInt(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR"); !r)
    return std::unexpected(r.error());
  if (family == model::Family::kIpv4) {
    if (auto r = SetInt(fd.get(), IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL"); !r)
      return std::unexpected(r.error());
    if (auto r = SetInt(fd.get(), IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO"); !r)
      return std::unexpected(r.error());
  } else {
    if (auto r = SetInt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY"); !r)
      return std::unexpected(r.error());
    if (auto r = SetInt(fd.get(), IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"); !r)
      return std::unexpected(r.error());
    if (auto r = SetInt(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"); !r)
      return std::unexpected(r.error());
  }
  // The kernel's receive time of each datagram: detection counts from it (see Drain).
  if (auto r = SetInt(fd.get(), SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS"); !r)
    return std::unexpected(r.error());
  SockAddr any = ToSockAddr(std::nullopt, family, port);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&any.ss), any.len) != 0)
    return FailErrno("bind to BFD port " + std::to_string(port));
  return fd;
}

// Returns the steady-clock time of a datagram the kernel stamped at `kernel` (CLOCK_REALTIME),
// by its age on the realtime clock; nullopt when that age is not believable (the realtime
// clock was stepped), so the datagram counts as received when handled.
std::optional<TimePoint> ArrivalTime(const timespec& kernel) {
  const auto stamped = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(kernel.tv_sec) + std::chrono::nanoseconds(kernel.tv_nsec)));
  const TimePoint steady_now = steady_clock::now();
  const auto age = std::chrono::system_clock::now() - stamped;
  if (age < std::chrono::system_clock::duration::zero() || age > std::chrono::seconds(1))
    return std::nullopt;
  return steady_now - std::chrono::duration_cast<steady_clock::duration>(age);
}

// Opens a session's sending socket: bound to its source_ip (if any) and a port in
// 49152-65535 (RFC 5881 section 4), sending with its ttl, connected to the neighbor.
Result<UniqueFd> OpenSender(const SessionConfig& c, std::mt19937_64& rng) {
  const model::Family family = c.neighbor.family();
  UniqueFd fd = fd::Socket(Domain(family), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (!fd) return FailErrno("BFD socket");
  auto ttl = family == model::Family::kIpv4
                 ? SetInt(fd.get(), IPPROTO_IP, IP_TTL, c.ttl, "IP_TTL")
                 : SetInt(fd.get(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, c.ttl, "IPV6_UNICAST_HOPS");
  if (!ttl) return std::unexpected(ttl.error());
  std::uniform_int_distribution<int> ports(kSourcePortMin, kSourcePortMax);
  bool bound = false;
  for (int i = 0; i < kSourcePortAttempts && !bound; ++i) {
    SockAddr local = ToSockAddr(c.source, family, static_cast<uint16_t>(ports(rng)));
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local.ss), local.len) == 0) bound = true;
    else if (errno != EADDRINUSE) return FailErrno("bind BFD source " + (c.source ? c.source->ToString() : "*"));
  }
  if (!bound) return Fail(ErrorCode::kExists, "no free BFD source port in 49152-65535");
  SockAddr peer = ToSockAddr(c.neighbor, family, c.port());
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&peer.ss), peer.len) != 0)
    return FailErrno("connect to BFD neighbor " + c.neighbor.ToString());
  return fd;
}

class EngineImpl final : public control::Engine {
 public:
  explicit EngineImpl(asio::io_context& io)
      : io_(io),
        rng_(std::random_device{}()),
        table_([this](uint64_t lo, uint64_t hi) {
          return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
        }),
        timer_(io) {}

  ~EngineImpl() override { CloseAll(); }

  Result<void> Start(const model::Config& config) override {
    Apply(config);
    return {};
  }

  Result<std::string> Reload(const model::Config& config) override {
    size_t before = table_.sessions().size();
    Apply(config);
    return std::to_string(table_.sessions().size()) + " BFD sessions (" +
           std::to_string(before) + " before)";
  }

  void Stop(std::function<void()> done) override {
    stopping_ = true;
    // The neighbors learn at once that the sessions go (AdminDown, diag 7), instead of
    // after their detection time.
    const TimePoint now = steady_clock::now();
    Output out;
    for (const auto& [name, e] : table_.sessions()) {
      for (auto& a : e.session->SetAdminDown(true, now))
        if (auto* t = std::get_if<Transmit>(&a)) out.sends.push_back({name, Encode(t->packet)});
    }
    Send(out);
    timer_.cancel();
    CloseAll();
    done();
  }

  void Report(control::Status& status) const override {
    for (const auto& [name, e] : table_.sessions()) {
      control::BfdSessionStatus b;
      b.name = name;
      b.neighbor = e.config.neighbor.ToString();
      b.source = e.config.source ? e.config.source->ToString() : "";
      b.multihop = e.config.multihop;
      b.state = std::string(StateName(e.session->state()));
      b.remote_state = std::string(StateName(e.session->remote_state()));
      b.diag = std::string(DiagName(e.session->local_diag()));
      b.local_discriminator = e.session->local_discriminator();
      b.remote_discriminator = e.session->remote_discriminator();
      b.tx_interval_s = std::chrono::duration<double>(e.session->tx_interval()).count();
      b.detection_time_s = std::chrono::duration<double>(e.session->detection_time()).count();
      b.packets_sent = e.counters.sent;
      b.packets_received = e.counters.received;
      b.up_transitions = e.counters.up;
      b.down_transitions = e.counters.down;
      status.bfd_sessions.push_back(std::move(b));
    }
    status.bfd_dropped = table_.dropped();
  }

 private:
  struct Receiver {
    Receiver(asio::io_context& io, UniqueFd f, bool multihop)
        : fd(std::move(f)), desc(io, fd::Dup(fd.get()).Release()), multihop(multihop) {}
    UniqueFd fd;
    asio::posix::stream_descriptor desc;
    bool multihop;
  };

  void Apply(const model::Config& config) {
    const TimePoint now = steady_clock::now();
    std::set<std::string> was_up;
    for (const auto& [name, e] : table_.sessions())
      if (e.session->state() == State::kUp) was_up.insert(name);
    auto configs = SessionsFromModel(config);
    Output out;
    for (const auto& name : table_.Configure(configs, now, out)) {
      senders_.erase(name);
      log::Info("BFD_Instance(" + name + ") removed");
      if (was_up.count(name)) PublishBfdState(name, false);
    }
    OpenSockets();
    Handle(out);
  }

  // Opens the receivers the sessions need (and closes the others), and each session's sender.
  void OpenSockets() {
    std::set<std::pair<model::Family, bool>> needed;
    for (const auto& [name, e] : table_.sessions())
      needed.insert({e.config.neighbor.family(), e.config.multihop});
    for (auto it = receivers_.begin(); it != receivers_.end();) {
      if (needed.count(it->first)) {
        ++it;
      } else {
        std::error_code ec;
        it->second->desc.close(ec);
        it = receivers_.erase(it);
      }
    }
    for (const auto& key : needed) {
      if (receivers_.count(key)) continue;
      const uint16_t port = key.second ? kMultihopControlPort : kControlPort;
      auto fd = OpenReceiver(key.first, port);
      if (!fd) {
        log::Error("BFD: cannot listen on " +
                   std::string(key.first == model::Family::kIpv4 ? "IPv4" : "IPv6") + " port " +
                   std::to_string(port) + ": " + fd.error().ToString());
        continue;
      }
      auto r = std::make_unique<Receiver>(io_, std::move(*fd), key.second);
      Receiver* raw = r.get();
      receivers_.emplace(key, std::move(r));
      Watch(raw);
    }
    for (const auto& [name, e] : table_.sessions()) {
      if (senders_.count(name)) continue;
      auto fd = OpenSender(e.config, rng_);
      if (!fd) {
        log::Error("BFD_Instance(" + name + "): " + fd.error().ToString());
        continue;
      }
      senders_.emplace(name, std::move(*fd));
    }
  }

  void Watch(Receiver* r) {
    r->desc.async_wait(asio::posix::descriptor_base::wait_read, [this, r](std::error_code ec) {
      if (ec || stopping_) return;
      Drain(*r);
      Watch(r);
    });
  }

  void Drain(Receiver& r) {
    for (int i = 0; i < 256; ++i) {
      std::array<uint8_t, 512> buf{};
      sockaddr_storage from{};
      alignas(cmsghdr) char control[256];
      iovec iov{buf.data(), buf.size()};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = recvmsg(r.fd.get(), &msg, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          log::Warning(std::string("BFD receive: ") + std::strerror(errno));
        return;
      }
      auto source = FromSockAddr(from);
      if (!source) continue;
      Received d;
      d.from = *source;
      d.multihop = r.multihop;
      d.payload = std::span<const uint8_t>(buf.data(), static_cast<size_t>(n));
      if (msg.msg_flags & MSG_TRUNC) d.payload = {};  // larger than any BFD packet
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
          int ttl = 0;
          std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
          d.ttl = static_cast<uint8_t>(ttl);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
          int hops = 0;
          std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
          d.ttl = static_cast<uint8_t>(hops);
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts{};
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          d.arrived = ArrivalTime(ts);
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo pi{};
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          d.to = model::IpAddress::V4(ntohl(pi.ipi_addr.s_addr));
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo pi{};
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          std::array<uint8_t, 16> b{};
          std::memcpy(b.data(), &pi.ipi6_addr, 16);
          d.to = model::IpAddress::V6(b);
        }
      }
      Output out;
      table_.OnReceive(d, steady_clock::now(), out);
      Handle(out);
    }
  }

  // Sends, announces the transitions, and sets the timer to the next deadline.
  void Handle(const Output& out) {
    Send(out);
    for (const auto& t : out.transitions) {
      log::Notice("BFD_Instance(" + t.session + ") Entering " + std::string(StateName(t.to)) +
                  " state (local diag - " + std::string(DiagName(t.diag)) + ")");
      Emit("bfd_transition", {{"session", t.session},
                              {"from", std::string(StateName(t.from))},
                              {"to", std::string(StateName(t.to))},
                              {"diag", std::string(DiagName(t.diag))}});
      if (t.to == State::kUp) PublishBfdState(t.session, true);
      else if (t.from == State::kUp) PublishBfdState(t.session, false);
    }
    if (!out.transitions.empty()) Changed();
    Arm();
  }

  void Send(const Output& out) {
    for (const auto& s : out.sends) {
      auto it = senders_.find(s.session);
      if (it == senders_.end()) continue;
      // Errors (an ICMP unreachable reported on the connected socket, no route yet) are
      // the neighbor's silence as far as BFD goes; the next packet tries again.
      if (::send(it->second.get(), s.bytes.data(), s.bytes.size(), MSG_DONTWAIT) < 0)
        log::Debug("BFD_Instance(" + s.session + "): send: " + std::strerror(errno));
    }
  }

  void Arm() {
    if (stopping_) return;
    auto next = table_.NextDeadline();
    if (!next) {
      armed_.reset();
      timer_.cancel();
      return;
    }
    if (armed_ && *armed_ == *next) return;
    armed_ = next;
    timer_.expires_at(*next);
    timer_.async_wait([this](std::error_code ec) {
      if (ec || stopping_) return;
      armed_.reset();
      // What is already queued is read first: a packet that arrived before a detection
      // deadline (by its kernel timestamp) keeps the session Up even when this process
      // was too busy to read it in time.
      for (auto& [key, r] : receivers_) Drain(*r);
      Output out;
      table_.OnTimer(steady_clock::now(), out);
      Handle(out);
    });
  }

  void CloseAll() {
    for (auto& [key, r] : receivers_) {
      std::error_code ec;
      r->desc.close(ec);
    }
    receivers_.clear();
    senders_.clear();
  }

  asio::io_context& io_;
  std::mt19937_64 rng_;
  SessionTable table_;
  asio::steady_timer timer_;
  std::optional<TimePoint> armed_;
  std::map<std::pair<model::Family, bool>, std::unique_ptr<Receiver>> receivers_;
  std::map<std::string, UniqueFd> senders_;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<control::Engine> MakeEngine(asio::io_context& io) {
  return std::make_unique<EngineImpl>(io);
}

}  // namespace vigil::bfd
