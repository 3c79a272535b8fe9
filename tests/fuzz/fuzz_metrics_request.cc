// libFuzzer target for the metrics endpoint's request reading: RouteMetricsRequest on
// whatever a client sends before the blank line. Invariant: only a GET of /metrics (with or
// without a query) gets the metrics, any other GET a 404, the rest a 405.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/metrics_request.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigil::control::MetricsRoute;
  const std::string_view request(reinterpret_cast<const char*>(data), size);
  const MetricsRoute route = vigil::control::RouteMetricsRequest(request);
  const std::string_view line = request.substr(0, request.find("\r\n"));
  FUZZ_CHECK(line.size() <= request.size());
  switch (route) {
    case MetricsRoute::kMetrics:
      FUZZ_CHECK(line.size() >= 13 && line.substr(0, 12) == "GET /metrics" &&
                 (line[12] == ' ' || line[12] == '?'));
      break;
    case MetricsRoute::kNotFound:
      FUZZ_CHECK(line.starts_with("GET "));
      break;
    case MetricsRoute::kMethodNotAllowed:
      FUZZ_CHECK(!line.starts_with("GET "));
      break;
  }
  return 0;
}
