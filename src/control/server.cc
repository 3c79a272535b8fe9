#include "control/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <asio.hpp>
#include <nlohmann/json.hpp>

#include "base/fd.h"
#include "control/event_log.h"
#include "control/metrics_request.h"

namespace vigil::control {
namespace {

// asio opens and accepts without SOCK_CLOEXEC: set it before anything can fork.
std::error_code CloseOnExec(int fd) {
  if (auto r = fd::SetCloexec(fd); !r)
    return std::error_code(r.error().sys_errno(), std::system_category());
  return {};
}

using asio::awaitable;
using asio::use_awaitable;
constexpr size_t kMaxRequestBytes = 64 * 1024;

// Calls `start` with a function that takes the reply, which `start` or the loop calls
// once, at once or later (a reload, fresh counters); returns the reply, or nullopt if the
// wait ended without one.
awaitable<std::optional<std::string>> AwaitReply(
    const std::function<void(std::function<void(std::string)>)>& start) {
  auto pending = std::make_shared<std::optional<std::string>>();
  auto wake = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                   asio::steady_timer::time_point::max());
  start([pending, wake](std::string reply) {
    *pending = std::move(reply);
    wake->cancel();
  });
  if (!pending->has_value()) {
    std::error_code ec;
    co_await wake->async_wait(asio::redirect_error(use_awaitable, ec));
  }
  co_return *pending;
}

// The accept side both listeners share: the connection cap, the pause after a failed
// accept, the counters. Sessions hold it by shared_ptr (they may outlive their server
// until the loop drops them).
class AcceptGate {
 public:
  AcceptGate(asio::any_io_executor ex, std::string name, ListenerLimits limits)
      : limits_(limits), slot_freed_(ex, asio::steady_timer::time_point::max()),
        pause_(ex) {
    stats_.name = std::move(name);
    stats_.max_connections = limits.max_connections;
  }

  // Waits until fewer than max_connections are open; meanwhile new peers wait in the
  // kernel's backlog (and are refused by it once that is full).
  awaitable<void> WaitForSlot() {
    while (stats_.open >= limits_.max_connections) {
      std::error_code ec;
      slot_freed_.expires_at(asio::steady_timer::time_point::max());
      co_await slot_freed_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }

  // Counts a failed accept and waits before the next one: an exhausted descriptor table
  // leaves the pending connection in the backlog, so retrying at once would spin.
  awaitable<void> Failed(std::error_code failure) {
    ++stats_.accept_errors;
    if (failure == asio::error::connection_aborted) co_return;  // that peer left: go on
    pause_.expires_after(next_pause_);
    next_pause_ = std::min(next_pause_ * 2, limits_.max_pause);
    std::error_code ec;
    co_await pause_.async_wait(asio::redirect_error(use_awaitable, ec));
  }

  void Accepted() {
    ++stats_.accepted;
    ++stats_.open;
    next_pause_ = limits_.min_pause;
  }
  void Closed() {
    --stats_.open;
    slot_freed_.cancel();
  }

  void Stop() {
    slot_freed_.cancel();
    pause_.cancel();
  }

  const ListenerLimits& limits() const { return limits_; }
  ListenerStatus& stats() { return stats_; }

 private:
  ListenerLimits limits_;
  ListenerStatus stats_;
  asio::steady_timer slot_freed_;
  asio::steady_timer pause_;
  std::chrono::milliseconds next_pause_ = limits_.min_pause;
};

// The control connections that watch: at most `max` at once (each holds a connection slot
// as long as its peer stays), and the way to end them all when vigild stops.
class WatchRoster {
 public:
  explicit WatchRoster(size_t max) : max_(max) {}

  // Admits a watch that `wake` wakes when the watches end; returns its id, or 0 when
  // `max` watch already or the watches are ending.
  uint64_t Join(std::function<void()> wake) {
    if (ending_ || wakers_.size() >= max_) return 0;
    const uint64_t id = next_++;
    wakers_[id] = std::move(wake);
    return id;
  }
  void Leave(uint64_t id) {
    wakers_.erase(id);
    if (ending_ && wakers_.empty() && done_) std::exchange(done_, {})();
  }
  // Asks every watch to end once it has written every event there is; calls `done` when
  // none is left.
  void End(std::function<void()> done) {
    ending_ = true;
    done_ = std::move(done);
    if (wakers_.empty()) return std::exchange(done_, {})();
    std::vector<std::function<void()>> wake;
    for (const auto& [id, w] : wakers_) wake.push_back(w);
    for (auto& w : wake) w();
  }
  bool ending() const { return ending_; }
  size_t size() const { return wakers_.size(); }
  size_t max() const { return max_; }

 private:
  size_t max_;
  std::map<uint64_t, std::function<void()>> wakers_;
  uint64_t next_ = 1;
  bool ending_ = false;
  std::function<void()> done_;
};

// Holds one of a gate's connection slots for a session's lifetime.
class Slot {
 public:
  explicit Slot(std::shared_ptr<AcceptGate> gate) : gate_(std::move(gate)) { gate_->Accepted(); }
  ~Slot() { gate_->Closed(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  AcceptGate& gate() { return *gate_; }

 private:
  std::shared_ptr<AcceptGate> gate_;
};

// Closes `socket` if the exchange has not ended `after` from now; disarmed on destruction.
template <typename Socket>
class Deadline {
 public:
  Deadline(Socket& socket, std::chrono::milliseconds after, uint64_t& expired)
      : timer_(socket.get_executor(), after) {
    timer_.async_wait([&socket, &expired](std::error_code ec) {
      if (ec) return;
      ++expired;
      std::error_code ignored;
      socket.close(ignored);
    });
  }
  ~Deadline() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

// Answers a peer that may not use the control socket, and says why.
std::string RefusalLine(uid_t uid, const ControlAccess& access) {
  std::string who = access.group ? "root or group '" + access.group_name + "'" : "root";
  return "{\"error\":\"permission denied: uid " + std::to_string(uid) +
         " may not use the control socket (" + who + " only)\",\"ok\":false}\n";
}

// Returns the supplementary groups of process `pid` (empty if it is gone).
std::vector<gid_t> SupplementaryGroups(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::stringstream text;
  text << in.rdbuf();
  return ParseStatusGroups(text.str());
}

// One control connection: read lines, answer each, until the peer closes. Reading a
// request and writing its answer each have the listener's deadline; the wait for the
// answer itself (a reload) is bounded by the supervisor.
class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(asio::local::stream_protocol::socket socket, ControlTarget& target,
                 std::shared_ptr<AcceptGate> gate, std::shared_ptr<WatchRoster> roster)
      : socket_(std::move(socket)),
        target_(target),
        slot_(std::move(gate)),
        roster_(std::move(roster)) {}

  awaitable<void> Run() {
    auto self = shared_from_this();
    std::string buffer;
    ListenerStatus& stats = slot_.gate().stats();
    const auto deadline = slot_.gate().limits().deadline;
    for (;;) {
      std::error_code ec;
      size_t n = 0;
      {
        Deadline guard(socket_, deadline, stats.timed_out);
        n = co_await asio::async_read_until(socket_, asio::dynamic_buffer(buffer, kMaxRequestBytes),
                                            '\n', asio::redirect_error(use_awaitable, ec));
      }
      if (ec) co_return;
      std::string line = buffer.substr(0, n - 1);
      buffer.erase(0, n);
      if (IsWatchRequest(line)) {
        co_await Watch(line);
        co_return;
      }
      std::optional<std::string> reply = co_await AwaitReply(
          [&](std::function<void(std::string)> done) { HandleRequest(line, target_, done); });
      if (!reply) co_return;
      std::string out = *reply + "\n";
      {
        Deadline guard(socket_, deadline, stats.timed_out);
        co_await asio::async_write(socket_, asio::buffer(out),
                                   asio::redirect_error(use_awaitable, ec));
      }
      if (ec) co_return;
    }
  }

private:
  // A watch's state shared with the callbacks that wake it.
  struct Watching {
    explicit Watching(const asio::any_io_executor& ex)
        : wake(ex, asio::steady_timer::time_point::max()), cut(ex) {}
    asio::steady_timer wake;  // cancelled when an event arrives or the peer leaves
    asio::steady_timer cut;   // closes a stalled reader that fell a ring behind
    bool gone = false;        // the peer closed (or sent garbage after its request)
    bool writing = false;
    bool cutting = false;
    uint64_t next = 0;        // the first event not handed to the socket yet
    std::array<char, 512> sink{};
  };

  // Streams the event log from the request's sequence number: the answer, a line counting
  // the events lost before `from` if any, then events as they come, until the peer leaves.
  // A reader whose next event falls out of the ring gets a last line saying where to
  // resume, and is closed; one that cannot take even that within the deadline is closed.
  awaitable<void> Watch(const std::string& line) {
    AcceptGate& gate = slot_.gate();
    ListenerStatus& stats = gate.stats();
    const ListenerLimits& limits = gate.limits();
    std::shared_ptr<EventLog> log = target_.Events();
    auto request = WatchRequestFromJson(line);
    auto w = std::make_shared<Watching>(socket_.get_executor());
    uint64_t joined = 0;
    bool ok = false;
    uint64_t from = 0;
    bool restarted = false;
    std::string answer;
    auto error = [](const std::string& why) {
      return nlohmann::json{{"ok", false}, {"error", why}}.dump(
          -1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    if (!log) {
      answer = error("this daemon keeps no events");
    } else if (!request) {
      answer = error(request.error().context());
    } else {
      from = WatchStart(*log, *request, &restarted);
      answer = WatchAnswer(*log, from, &ok);
      if (ok) {
        joined = roster_->Join([w] { w->wake.cancel(); });
        if (!joined) {
          ok = false;
          answer = roster_->ending()
                       ? error("vigild is stopping")
                       : error("too many watchers: " + std::to_string(roster_->size()) +
                               " connections watch already (at most " +
                               std::to_string(roster_->max()) + ")");
        }
      }
    }
    struct Leave {
      ~Leave() {
        if (log) log->Unsubscribe(subscription);
        w->cut.cancel();
        w->wake.cancel();
        std::error_code ignored;
        socket.close(ignored);  // ends the read below, which holds the session
        if (joined) roster.Leave(joined);
      }
      std::shared_ptr<EventLog> log;
      uint64_t subscription;
      std::shared_ptr<Watching> w;
      asio::local::stream_protocol::socket& socket;
      WatchRoster& roster;
      uint64_t joined;
    } leave{nullptr, 0, w, socket_, *roster_, joined};
    std::error_code ec;
    {
      std::string out = answer + "\n";
      Deadline guard(socket_, limits.deadline, stats.timed_out);
      co_await asio::async_write(socket_, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
    }
    if (!ok || ec) co_return;

    w->next = from;
    const uint64_t subscription = log->Subscribe([this, w, raw = log.get(), &stats, &limits] {
      w->wake.cancel();
      // Stalled in a write while the ring drops what it has not read: it gets the
      // deadline to take the rest and the last line, then it is closed.
      if (!w->writing || w->cutting || raw->first_seq() <= w->next) return;
      w->cutting = true;
      w->cut.expires_after(limits.deadline);
      w->cut.async_wait([this, w, &stats](std::error_code e) {
        if (e) return;
        ++stats.timed_out;
        std::error_code ignored;
        socket_.close(ignored);
      });
    });
    leave.log = log;
    leave.subscription = subscription;
    ReadUntilGone(w);

    bool first = true;
    for (;;) {
      if (w->gone) co_return;
      if (!first && w->next < log->first_seq()) {
        std::string last = WatchOverflowLine(w->next, log->capacity(), log->run()) + "\n";
        Deadline guard(socket_, limits.deadline, stats.timed_out);
        co_await asio::async_write(socket_, asio::buffer(last),
                                   asio::redirect_error(use_awaitable, ec));
        co_return;
      }
      EventLog::Batch batch = log->Read(w->next, limits.watch_chunk);
      std::string out;
      if (first && restarted)
        out = WatchRestartedLine(*request->run, *request->from, log->run()) + "\n";
      if (first && batch.lost) out += WatchLostLine(from, batch.lost, log->capacity()) + "\n";
      first = false;
      out += batch.text;
      if (out.empty()) {
        if (roster_->ending()) co_return;  // vigild stops: every event is written
        w->wake.expires_at(asio::steady_timer::time_point::max());
        co_await w->wake.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      w->next = batch.next;
      w->writing = true;
      co_await asio::async_write(socket_, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
      w->writing = false;
      if (ec) co_return;
    }
  }

  // Reads and drops what a watching peer sends, to see it leave.
  void ReadUntilGone(std::shared_ptr<Watching> w) {
    socket_.async_read_some(asio::buffer(w->sink),
                            [self = shared_from_this(), w](std::error_code ec, size_t) {
                              if (ec) {
                                w->gone = true;
                                w->wake.cancel();
                                return;
                              }
                              self->ReadUntilGone(w);
                            });
  }

  asio::local::stream_protocol::socket socket_;
  ControlTarget& target_;
  Slot slot_;
  std::shared_ptr<WatchRoster> roster_;
};

class ControlServerImpl final : public ControlServer {
 public:
  ControlServerImpl(asio::io_context& io, std::string path, const ControlAccess& access,
                    ControlTarget& target, ListenerLimits limits)
      : acceptor_(io),
        path_(std::move(path)),
        access_(access),
        target_(target),
        gate_(std::make_shared<AcceptGate>(io.get_executor(), "control", limits)),
        roster_(std::make_shared<WatchRoster>(limits.max_watchers)),
        end_timer_(io) {}

  Result<void> Listen() {
    // The caller holds the path's lock: a socket file there is a dead daemon's.
    ::unlink(path_.c_str());
    std::error_code ec;
    asio::local::stream_protocol::endpoint ep(path_);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) ec = CloseOnExec(acceptor_.native_handle());
    if (!ec) {
      // bind creates the file with the umask applied: no moment with a wider mode.
      mode_t old = ::umask(0177);
      acceptor_.bind(ep, ec);
      ::umask(old);
    }
    if (!ec) acceptor_.listen(16, ec);
    if (ec) return Fail(ErrorCode::kIo, "control socket '" + path_ + "': " + ec.message());
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return FailErrno("stat control socket");
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    if (access_.group) {
      // Group members may connect; the credentials check below still applies to each.
      if (::chown(path_.c_str(), static_cast<uid_t>(-1), *access_.group) != 0)
        return FailErrno("chown control socket");
      if (::chmod(path_.c_str(), 0660) != 0) return FailErrno("chmod control socket");
    }
    asio::co_spawn(acceptor_.get_executor(), Accept(), asio::detached);
    return {};
  }

  void Close() override {
    if (!acceptor_.is_open()) return;
    std::error_code ec;
    acceptor_.close(ec);
    gate_->Stop();
    // Only the socket this server made: never one another process has put there since.
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_)
      ::unlink(path_.c_str());
  }
  ~ControlServerImpl() override { Close(); }
  ListenerStatus stats() const override {
    ListenerStatus s = gate_->stats();
    s.watching = roster_->size();
    return s;
  }

  void EndWatches(std::chrono::milliseconds limit, std::function<void()> done) override {
    auto once = std::make_shared<std::function<void()>>(std::move(done));
    auto fire = [once] {
      if (*once) std::exchange(*once, {})();
    };
    end_timer_.expires_after(limit);
    end_timer_.async_wait([fire](std::error_code ec) {
      if (!ec) fire();
    });
    // Called back from the loop, never from within this call.
    auto ex = acceptor_.get_executor();
    roster_->End([this, ex, fire] {
      end_timer_.cancel();
      asio::post(ex, fire);
    });
  }

 private:
  awaitable<void> Accept() {
    for (;;) {
      co_await gate_->WaitForSlot();
      if (!acceptor_.is_open()) co_return;
      std::error_code ec;
      auto socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      if (ec) {
        co_await gate_->Failed(ec);
        continue;
      }
      (void)CloseOnExec(socket.native_handle());
      uid_t peer = 0;
      if (!Admitted(socket, peer)) {
        ++gate_->stats().refused;
        asio::co_spawn(acceptor_.get_executor(), Refuse(std::move(socket), peer), asio::detached);
        continue;
      }
      auto session = std::make_shared<ControlSession>(std::move(socket), target_, gate_, roster_);
      asio::co_spawn(acceptor_.get_executor(), session->Run(), asio::detached);
    }
  }

  // Returns whether the peer's credentials (SO_PEERCRED) admit it; sets `uid` to its uid.
  bool Admitted(asio::local::stream_protocol::socket& socket, uid_t& uid) {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
      return false;
    uid = cred.uid;
    if (PeerAllowed(cred.uid, cred.gid, {}, ::geteuid(), access_)) return true;
    if (!access_.group) return false;
    std::vector<gid_t> groups = SupplementaryGroups(cred.pid);
    return PeerAllowed(cred.uid, cred.gid, groups, ::geteuid(), access_);
  }

  // Tells a refused peer why, then waits (within the deadline) for it to close: closing
  // first would make its request fail with EPIPE before it reads the answer. Whatever it
  // sends is discarded unread.
  awaitable<void> Refuse(asio::local::stream_protocol::socket socket, uid_t uid) {
    Slot slot(gate_);
    std::string line = RefusalLine(uid, access_);
    Deadline guard(socket, gate_->limits().deadline, gate_->stats().timed_out);
    std::error_code ec;
    co_await asio::async_write(socket, asio::buffer(line), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    socket.shutdown(asio::socket_base::shutdown_send, ec);
    char sink[512];
    while (!ec) co_await socket.async_read_some(asio::buffer(sink),
                                                asio::redirect_error(use_awaitable, ec));
  }

  asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
  ControlAccess access_;
  ControlTarget& target_;
  std::shared_ptr<AcceptGate> gate_;
  std::shared_ptr<WatchRoster> roster_;
  asio::steady_timer end_timer_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

Result<asio::ip::tcp::endpoint> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Fail(ErrorCode::kInvalidArgument,
                                              "metrics address '" + listen + "' has no port");
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  unsigned long port = 0;
  try {
    size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size() || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return Fail(ErrorCode::kInvalidArgument, "metrics address '" + listen + "' has a bad port");
  }
  std::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return Fail(ErrorCode::kInvalidArgument,
                      "metrics address '" + listen + "' has a bad IP address");
  return asio::ip::tcp::endpoint(addr, static_cast<unsigned short>(port));
}

class MetricsServerImpl final : public MetricsServer {
 public:
  MetricsServerImpl(asio::io_context& io, std::function<std::string()> render,
                    std::function<void(std::function<void()>)> refresh, ListenerLimits limits)
      : acceptor_(io),
        render_(std::move(render)),
        refresh_(std::move(refresh)),
        gate_(std::make_shared<AcceptGate>(io.get_executor(), "metrics", limits)) {}

  Result<void> Listen(const asio::ip::tcp::endpoint& ep) {
    std::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) ec = CloseOnExec(acceptor_.native_handle());
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(16, ec);
    if (ec) return Fail(ErrorCode::kIo, "metrics listener: " + ec.message());
    asio::co_spawn(acceptor_.get_executor(), Accept(), asio::detached);
    return {};
  }

  void Close() override {
    std::error_code ec;
    acceptor_.close(ec);
    gate_->Stop();
  }
  ListenerStatus stats() const override { return gate_->stats(); }
  unsigned short port() const override {
    std::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }
  ~MetricsServerImpl() override { Close(); }

 private:
  awaitable<void> Accept() {
    for (;;) {
      co_await gate_->WaitForSlot();
      if (!acceptor_.is_open()) co_return;
      std::error_code ec;
      auto socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      if (ec) {
        co_await gate_->Failed(ec);
        continue;
      }
      (void)CloseOnExec(socket.native_handle());
      asio::co_spawn(acceptor_.get_executor(), Serve(std::move(socket)), asio::detached);
    }
  }

  // One exchange under one deadline: the request, the (refreshed) rendering, the answer.
  awaitable<void> Serve(asio::ip::tcp::socket socket) {
    Slot slot(gate_);
    Deadline guard(socket, gate_->limits().deadline, gate_->stats().timed_out);
    std::string buffer;
    std::error_code ec;
    co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, 16 * 1024), "\r\n\r\n",
                                    asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const MetricsRoute route = RouteMetricsRequest(buffer);
    std::string status, body, type = "text/plain; charset=utf-8";
    if (route == MetricsRoute::kMetrics) {
      status = "200 OK";
      std::optional<std::string> rendered =
          co_await AwaitReply([this](std::function<void(std::string)> done) {
            if (!refresh_) return done(render_());
            refresh_([this, done] { done(render_()); });
          });
      body = rendered.value_or("");
      type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (route == MetricsRoute::kNotFound) {
      status = "404 Not Found";
      body = "vigil serves /metrics\n";
    } else {
      status = "405 Method Not Allowed";
      body = "only GET is supported\n";
    }
    std::string out = "HTTP/1.0 " + status + "\r\nContent-Type: " + type +
                      "\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body;
    co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }

  asio::ip::tcp::acceptor acceptor_;
  std::function<std::string()> render_;
  std::function<void(std::function<void()>)> refresh_;
  std::shared_ptr<AcceptGate> gate_;
};

}  // namespace

bool PeerAllowed(uid_t uid, gid_t gid, std::span<const gid_t> groups, uid_t self,
                 const ControlAccess& access) {
  if (uid == 0 || uid == self) return true;
  if (!access.group) return false;
  if (gid == *access.group) return true;
  for (gid_t g : groups)
    if (g == *access.group) return true;
  return false;
}

std::vector<gid_t> ParseStatusGroups(std::string_view status) {
  std::vector<gid_t> out;
  size_t at = status.find("\nGroups:");
  if (at == std::string_view::npos) return out;
  std::string_view line = status.substr(at + 8);
  line = line.substr(0, line.find('\n'));
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    gid_t g = 0;
    auto [next, ec] = std::from_chars(p, end, g);
    if (ec != std::errc()) break;
    out.push_back(g);
    p = next;
  }
  return out;
}

Result<std::unique_ptr<ControlServer>> ControlServer::Start(asio::io_context& io,
                                                            const std::string& path,
                                                            const ControlAccess& access,
                                                            ControlTarget& target,
                                                            ListenerLimits limits) {
  auto server = std::make_unique<ControlServerImpl>(io, path, access, target, limits);
  if (auto r = server->Listen(); !r) return std::unexpected(r.error());
  return std::unique_ptr<ControlServer>(std::move(server));
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(asio::io_context& io,
                                                            const std::string& listen,
                                                            std::function<std::string()> render,
                                                            std::function<void(std::function<void()>)> refresh,
                                                            ListenerLimits limits) {
  auto ep = ParseListen(listen);
  if (!ep) return std::unexpected(ep.error());
  auto server = std::make_unique<MetricsServerImpl>(io, std::move(render), std::move(refresh),
                                                    limits);
  if (auto r = server->Listen(*ep); !r) return std::unexpected(r.error());
  return std::unique_ptr<MetricsServer>(std::move(server));
}

}  // namespace vigil::control
