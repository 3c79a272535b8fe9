#include "check/probe.h"

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
  };
  co_return co_await std::visit(Visitor{spec.connect, default_timeout}, spec.params);
}

void StartProbe(asio::io_context& io, const ProbeSpec& spec, Duration default_timeout,
                ProbeCallback done) {
  asio::co_spawn(io, RunProbe(spec, default_timeout),
                 [done = std::move(done)](std::exception_ptr ep, ProbeResult result) {
                   if (ep) {
                     result = ProbeResult{};
                     try {
                       std::rethrow_exception(ep);
                     } catch (const std::exception& e) {
                       result.detail = std::string("internal error: ") + e.what();
                     } catch (...) {
                       result.detail = "internal error";
                     }
                   }
                   done(std::move(result));
                 });
}

ProbeStarter::ProbeStarter(asio::io_context& io)
    : io_(io), syn_(std::make_unique<SynProber>(io)) {}

ProbeStarter::~ProbeStarter() = default;

void ProbeStarter::Start(const ProbeSpec& spec, Duration default_timeout, ProbeMemo* memo,
                         ProbeCallback done) {
  // Only the SynProber fills memos, and only for TCP_CHECKs: a filled memo answers the
  // question without reading the spec's variant (a cache miss per steady probe).
  const bool tcp = (memo && memo->owner) || std::holds_alternative<TcpCheck>(spec.params);
  if (tcp && syn_->Start(spec.connect, std::move(done), memo)) {
    return;
  }
  // A probe that outlives the starter (a connect, a script) must not call back into its
  // owner: SynProber's callbacks die with it, these are cut off here.
  StartProbe(io_, spec, default_timeout,
             [alive = std::weak_ptr<bool>(alive_), done = std::move(done)](ProbeResult r) {
               if (alive.lock()) done(std::move(r));
             });
}

}  // namespace vigil::check
