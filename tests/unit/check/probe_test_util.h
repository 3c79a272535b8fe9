// Helpers for probe tests: run one probe to completion on a private io_context, and small
// loopback servers written as coroutines on the same loop.
#ifndef VIGIL_TESTS_UNIT_CHECK_PROBE_TEST_UTIL_H_
#define VIGIL_TESTS_UNIT_CHECK_PROBE_TEST_UTIL_H_

#include <asio.hpp>
#include <optional>
#include <string>

#include "check/probe.h"
#include "check/probe_coro.h"

namespace vigil::check::testing {

inline ConnectOptions Loopback(uint16_t port, Duration timeout = std::chrono::seconds(3)) {
  ConnectOptions c;
  c.address = "127.0.0.1";
  c.port = port;
  c.connect_timeout = timeout;
  return c;
}

// Runs `io` until the probe for `spec` completes; returns its result.
inline ProbeResult RunOnce(asio::io_context& io, const ProbeSpec& spec,
                           Duration default_timeout = std::chrono::seconds(5)) {
  std::optional<ProbeResult> out;
  StartProbe(io, spec, default_timeout, [&](ProbeResult r) {
    out = std::move(r);
    io.stop();
  });
  io.restart();
  io.run();
  return out.value_or(ProbeResult{false, "probe never completed", {}});
}

// Spawns `server` on `io` detached.
template <typename Awaitable>
void Spawn(asio::io_context& io, Awaitable server) {
  asio::co_spawn(io, std::move(server), asio::detached);
}

}  // namespace vigil::check::testing

#endif  // VIGIL_TESTS_UNIT_CHECK_PROBE_TEST_UTIL_H_
