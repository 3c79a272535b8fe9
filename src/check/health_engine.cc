#include "check/health_engine.h"

#include <list>
#include <utility>

#include "check/probe_coro.h"

namespace vigil::check {

struct HealthEngine::Impl {
  Impl(asio::io_context& io, RandomSource& random, UpdateHandler on_update, ProbeHandler on_probe)
      : io(io), random(random), on_update(std::move(on_update)), on_probe(std::move(on_probe)) {}

  asio::io_context& io;
  RandomSource& random;
  UpdateHandler on_update;
  ProbeHandler on_probe;
  HealthCore core;
  std::vector<CheckerState> states;
  std::list<asio::steady_timer> timers;
  bool stopped = false;

  // Runs shared probe `probe` forever on `timer`'s schedule until `impl->stopped`.
  static asio::awaitable<void> ProbeLoop(std::shared_ptr<Impl> impl, size_t probe,
                                         asio::steady_timer* timer);
};

asio::awaitable<void> HealthEngine::Impl::ProbeLoop(std::shared_ptr<Impl> impl, size_t probe,
                                                    asio::steady_timer* timer) {
  const auto& entry = impl->core.registry().entry(probe);
  const ProbeSpec spec = entry.spec;
  const CheckTiming timing = entry.timing;
  // keepalived counts MISC_CHECK's next run from the start of the previous one.
  const bool from_start = std::holds_alternative<MiscCheck>(spec.params);
  std::error_code ec;
  timer->expires_after(FirstProbeDelay(timing.warmup, impl->random));
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  while (!impl->stopped) {
    const auto started = std::chrono::steady_clock::now();
    ProbeResult result;
    try {
      result = co_await RunProbe(spec, timing.delay_loop);
    } catch (const std::exception& e) {
      result = ProbeResult{false, std::string("internal error: ") + e.what(), {}};
    }
    if (impl->stopped) break;
    const Outcome outcome = impl->states[probe].OnResult(result.ok);
    if (impl->on_probe) impl->on_probe(probe, result, outcome);
    for (const VsUpdate& u : impl->core.Apply(probe, result, outcome)) {
      if (impl->on_update) impl->on_update(u);
    }
    Duration delay = outcome.next_delay;
    if (from_start) {
      delay -= std::chrono::steady_clock::now() - started;
      if (delay < Duration::zero()) delay = Duration::zero();
    }
    timer->expires_after(delay);
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

HealthEngine::HealthEngine(asio::io_context& io, RandomSource& random, UpdateHandler on_update,
                           ProbeHandler on_probe)
    : impl_(std::make_shared<Impl>(io, random, std::move(on_update), std::move(on_probe))) {}

HealthEngine::~HealthEngine() { Stop(); }

size_t HealthEngine::AddVirtualServer(VirtualServerSpec spec) {
  return impl_->core.AddVirtualServer(std::move(spec));
}

void HealthEngine::Start() {
  for (const VsUpdate& u : impl_->core.Start()) {
    if (impl_->on_update) impl_->on_update(u);
  }
  const auto& entries = impl_->core.registry().entries();
  impl_->states.clear();
  for (const auto& e : entries) impl_->states.emplace_back(e.timing);
  for (size_t i = 0; i < entries.size(); ++i) {
    asio::steady_timer& timer = impl_->timers.emplace_back(impl_->io);
    asio::co_spawn(impl_->io, Impl::ProbeLoop(impl_, i, &timer), asio::detached);
  }
}

void HealthEngine::Stop() {
  impl_->stopped = true;
  for (auto& t : impl_->timers) t.cancel();
}

const HealthCore& HealthEngine::core() const { return impl_->core; }

const CheckerState& HealthEngine::checker_state(size_t probe) const {
  return impl_->states[probe];
}

}  // namespace vigil::check
