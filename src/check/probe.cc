#include "check/probe.h"

#include <sys/resource.h>

#include <algorithm>
#include <utility>

#include "check/probe_coro.h"
#include "check/syn_prober.h"

namespace vigil::check {

Watchdog::Watchdog(const asio::any_io_executor& ex, Duration timeout,
                   std::function<void()> on_expire)
    : state_(std::make_shared<State>(ex)), timeout_(timeout) {
  state_->on_expire = std::move(on_expire);
}

Watchdog::~Watchdog() {
  state_->on_expire = nullptr;
  ++state_->generation;
  state_->timer.cancel();
}

void Watchdog::Arm() { Arm(timeout_); }

void Watchdog::Arm(Duration timeout) {
  const uint64_t gen = ++state_->generation;
  state_->expired = false;
  auto end = std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  state_->at_deadline = deadline_ && *deadline_ <= end;
  if (state_->at_deadline) end = *deadline_;
  state_->timer.expires_at(end);
  state_->timer.async_wait([s = state_, gen](const std::error_code& ec) {
    if (ec || gen != s->generation || !s->on_expire) return;
    s->expired = true;
    s->on_expire();
  });
}

void Watchdog::SetBudget(Duration budget) {
  budget_ = budget;
  deadline_ = std::chrono::steady_clock::now() +
              std::chrono::duration_cast<std::chrono::steady_clock::duration>(budget);
}

std::string BudgetTimeoutDetail(Duration budget, int steps) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(budget).count();
  const std::string amount = ms % 1000 == 0 ? std::to_string(ms / 1000) + " s"
                                            : std::to_string(ms) + " ms";
  return "timeout: not done within " + amount + " (" + std::to_string(steps) +
         " x connect_timeout)";
}

void Watchdog::Disarm() {
  ++state_->generation;
  state_->timer.cancel();
}

asio::awaitable<ProbeResult> RunProbe(ProbeSpec spec, Duration default_timeout) {
  struct Visitor {
    const ConnectOptions& c;
    Duration default_timeout;
    asio::awaitable<ProbeResult> operator()(const TcpCheck&) { return TcpProbe(c); }
    asio::awaitable<ProbeResult> operator()(const HttpCheck& h) { return HttpProbe(c, h); }
    asio::awaitable<ProbeResult> operator()(const SmtpCheck& s) { return SmtpProbe(c, s); }
    asio::awaitable<ProbeResult> operator()(const DnsCheck& d) { return DnsProbe(c, d); }
    asio::awaitable<ProbeResult> operator()(const UdpCheck& u) { return UdpProbe(c, u); }
    asio::awaitable<ProbeResult> operator()(const PingCheck&) { return PingProbe(c); }
    asio::awaitable<ProbeResult> operator()(const MiscCheck& m) {
      return MiscProbe(m, m.timeout.value_or(default_timeout));
    }
    asio::awaitable<ProbeResult> operator()(const FileCheck& f) { return FileProbe(f); }
    asio::awaitable<ProbeResult> operator()(const BfdCheck& b) { return BfdProbe(b); }
  };
  co_return co_await std::visit(Visitor{spec.connect, default_timeout}, spec.params);
}

namespace {

// Turns an exception that escaped a probe coroutine (a cancelled one's, or a bug) into a
// failed result.
ProbeResult FromException(std::exception_ptr ep, ProbeResult result) {
  if (!ep) return result;
  result = ProbeResult{};
  try {
    std::rethrow_exception(ep);
  } catch (const std::system_error& e) {
    result.detail = e.code() == asio::error::operation_aborted ? "cancelled"
                                                                : std::string("internal error: ") + e.what();
  } catch (const std::exception& e) {
    result.detail = std::string("internal error: ") + e.what();
  } catch (...) {
    result.detail = "internal error";
  }
  return result;
}

}  // namespace

void StartProbe(asio::io_context& io, const ProbeSpec& spec, Duration default_timeout,
                ProbeCallback done) {
  asio::co_spawn(io, RunProbe(spec, default_timeout),
                 [done = std::move(done)](std::exception_ptr ep, ProbeResult result) {
                   done(FromException(ep, std::move(result)));
                 });
}

size_t MaxActiveProbes(uint64_t fd_limit) {
  const uint64_t reserve = std::max<uint64_t>(256, fd_limit / 8);
  return fd_limit > reserve ? static_cast<size_t>(fd_limit - reserve) : 1;
}

size_t MaxActiveProbes() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return MaxActiveProbes(1024);
  return MaxActiveProbes(rl.rlim_cur == RLIM_INFINITY ? uint64_t{1} << 20 : rl.rlim_cur);
}

// One coroutine probe, queued or running.
struct ProbeStarter::Job {
  ProbeTicket ticket = 0;
  ProbeSpec spec;
  Duration default_timeout{};
  ProbeCallback done;
  asio::cancellation_signal cancel;
};

ProbeStarter::ProbeStarter(asio::io_context& io) : ProbeStarter(io, MaxActiveProbes()) {}

ProbeStarter::ProbeStarter(asio::io_context& io, size_t max_active)
    : io_(io), max_active_(std::max<size_t>(1, max_active)),
      syn_(std::make_unique<SynProber>(io)) {}

ProbeStarter::~ProbeStarter() {
  *alive_ = false;
  // Scripts are killed and sockets closed as the cancelled coroutines unwind.
  for (auto& [ticket, job] : running_) job->cancel.emit(asio::cancellation_type::terminal);
}

ProbeTicket ProbeStarter::Start(const ProbeSpec& spec, Duration default_timeout, ProbeMemo* memo,
                                ProbeCallback done) {
  // Only the SynProber fills memos, and only for TCP_CHECKs: a filled memo answers the
  // question without reading the spec's variant (a cache miss per steady probe).
  const bool tcp = (memo && memo->owner) || std::holds_alternative<TcpCheck>(spec.params);
  if (tcp && syn_->Start(spec.connect, std::move(done), memo)) {
    return 0;
  }
  auto job = std::make_shared<Job>();
  job->ticket = ++next_ticket_;
  job->spec = spec;
  job->default_timeout = default_timeout;
  job->done = std::move(done);
  const ProbeTicket ticket = job->ticket;
  if (running_.size() < max_active_) {
    Launch(std::move(job));
  } else {
    queue_.push_back(std::move(job));
  }
  return ticket;
}

void ProbeStarter::Launch(std::shared_ptr<Job> job) {
  running_.emplace(job->ticket, job);
  auto slot = job->cancel.slot();
  // A probe that outlives the starter (a connect, a script) must not call back into its
  // owner: SynProber's callbacks die with it, these are cut off here.
  asio::co_spawn(io_, RunProbe(std::move(job->spec), job->default_timeout),
                 asio::bind_cancellation_slot(
                     slot, [this, alive = std::weak_ptr<bool>(alive_), job](std::exception_ptr ep,
                                                                              ProbeResult r) {
                       auto a = alive.lock();
                       if (!a || !*a) return;
                       running_.erase(job->ticket);
                       Finish(job, FromException(ep, std::move(r)));
                     }));
}

void ProbeStarter::SetMaxActive(size_t max_active) {
  max_active_ = std::max<size_t>(1, max_active);
  while (!queue_.empty() && running_.size() < max_active_) {
    std::shared_ptr<Job> next = std::move(queue_.front());
    queue_.pop_front();
    Launch(std::move(next));
  }
}

void ProbeStarter::Finish(const std::shared_ptr<Job>& job, ProbeResult result) {
  // The next in line starts before `done` runs: `done` may start or cancel probes itself.
  if (!queue_.empty() && running_.size() < max_active_) {
    std::shared_ptr<Job> next = std::move(queue_.front());
    queue_.pop_front();
    Launch(std::move(next));
  }
  ProbeCallback done = std::move(job->done);
  if (done) done(std::move(result));
}

void ProbeStarter::Cancel(ProbeTicket ticket) {
  if (ticket == 0) return;
  if (auto it = running_.find(ticket); it != running_.end()) {
    it->second->cancel.emit(asio::cancellation_type::terminal);
    return;
  }
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [ticket](const std::shared_ptr<Job>& j) { return j->ticket == ticket; });
  if (it == queue_.end()) return;
  std::shared_ptr<Job> job = std::move(*it);
  queue_.erase(it);
  asio::post(io_, [alive = std::weak_ptr<bool>(alive_), job] {
    auto a = alive.lock();
    if (!a || !*a) return;
    ProbeCallback done = std::move(job->done);
    if (done) done(ProbeResult{false, "cancelled", {}});
  });
}

}  // namespace vigil::check
