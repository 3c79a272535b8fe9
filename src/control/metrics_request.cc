#include "control/metrics_request.h"

namespace vigil::control {

MetricsRoute RouteMetricsRequest(std::string_view request) {
  const std::string_view line = request.substr(0, request.find("\r\n"));
  if (line.starts_with("GET /metrics ") || line.starts_with("GET /metrics?")) {
    return MetricsRoute::kMetrics;
  }
  if (line.starts_with("GET ")) return MetricsRoute::kNotFound;
  return MetricsRoute::kMethodNotAllowed;
}

}  // namespace vigil::control
