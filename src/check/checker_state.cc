#include "check/checker_state.h"

#include <algorithm>
#include <variant>

namespace vigil::check {

DefaultRandomSource::DefaultRandomSource() : engine_(std::random_device{}()) {}

uint64_t DefaultRandomSource::Uniform(uint64_t max) {
  return std::uniform_int_distribution<uint64_t>(0, max)(engine_);
}

Duration FirstProbeDelay(Duration warmup, RandomSource& random) {
  if (warmup <= Duration::zero()) return kBootstrapDelay;
  const auto ticks = static_cast<uint64_t>(warmup.count());
  return kBootstrapDelay + Duration(static_cast<Duration::rep>(random.Uniform(ticks)));
}

CheckerState::CheckerState(const CheckTiming& timing)
    : timing_(timing), up_(!timing.alpha), retry_it_(timing.retry) {}

Outcome CheckerState::OnResult(bool success) {
  Outcome out;
  out.next_delay = timing_.delay_loop;
  const bool first = !has_run_;
  has_run_ = true;

  if (success) {
    retry_it_ = 0;
    if (failed_url_) {  // the failed url passes: check them all again before UP
      failed_url_ = false;
      if (timing_.fast_recovery) out.next_delay = Duration::zero();
      return out;
    }
    if (!up_) {
      up_ = true;
      out.transition = Transition::kUp;
    }
    return out;
  }

  if (!up_ && !first) {  // already known DOWN: just keep polling
    if (timing_.confirm_recovery) {
      if (failed_url_) {
        out.next_delay = std::max(timing_.delay_loop, timing_.delay_before_retry);
      } else if (timing_.fast_recovery) {
        // At once, once: the url that failed is known now, so a server that keeps failing
        // waits delay_loop next (keepalived would probe it again and again without a pause).
        out.next_delay = Duration::zero();
        failed_url_ = true;
      } else {
        out.next_delay = timing_.delay_before_retry;
      }
    }
    return out;
  }

  if (up_ && timing_.log_all_failures) out.log_failure = true;
  if (retry_it_ >= timing_.retry) {
    out.retries_done = first ? 0 : retry_it_;
    retry_it_ = 0;
    failed_url_ = timing_.confirm_recovery;
    if (up_) {
      up_ = false;
      out.transition = Transition::kDown;
    } else {
      out.first_result_down = true;
    }
    return out;
  }
  ++retry_it_;
  out.next_delay = timing_.delay_before_retry;
  return out;
}

CheckTiming DefaultTiming(const CheckParams& params, Duration delay_loop) {
  CheckTiming t;
  t.delay_loop = delay_loop;
  t.warmup = delay_loop;
  t.retry = 1;
  t.delay_before_retry = std::chrono::seconds(1);
  if (std::holds_alternative<HttpCheck>(params)) {
    t.delay_before_retry = std::chrono::seconds(3);
  } else if (std::holds_alternative<DnsCheck>(params)) {
    t.retry = 3;
    t.delay_before_retry = delay_loop;
  } else if (std::holds_alternative<MiscCheck>(params)) {
    t.retry = 0;
  } else if (std::holds_alternative<FileCheck>(params) ||
             std::holds_alternative<BfdCheck>(params)) {
    t.retry = 0;
    t.warmup = Duration::zero();
  }
  return t;
}

const char* CheckTypeName(const CheckParams& params) {
  struct Visitor {
    const char* operator()(const TcpCheck&) const { return "TCP_CHECK"; }
    const char* operator()(const HttpCheck& h) const { return h.tls ? "SSL_GET" : "HTTP_GET"; }
    const char* operator()(const SmtpCheck&) const { return "SMTP_CHECK"; }
    const char* operator()(const DnsCheck&) const { return "DNS_CHECK"; }
    const char* operator()(const UdpCheck&) const { return "UDP_CHECK"; }
    const char* operator()(const PingCheck&) const { return "PING_CHECK"; }
    const char* operator()(const MiscCheck&) const { return "MISC_CHECK"; }
    const char* operator()(const FileCheck&) const { return "FILE_CHECK"; }
    const char* operator()(const BfdCheck&) const { return "BFD_CHECK"; }
  };
  return std::visit(Visitor{}, params);
}

}  // namespace vigil::check
