// How the metrics endpoint reads an HTTP request: only its request line matters. Pure, so
// the bytes a scraper (or anyone who can reach the port) sends can be tested and fuzzed.
#ifndef VIGIL_CONTROL_METRICS_REQUEST_H_
#define VIGIL_CONTROL_METRICS_REQUEST_H_

#include <string_view>

namespace vigil::control {

enum class MetricsRoute {
  kMetrics,           // GET /metrics (with or without a query string): 200 and the metrics
  kNotFound,          // GET of another path: 404
  kMethodNotAllowed,  // anything else: 405
};

// Returns the answer for `request`, the bytes read up to the blank line that ends the header
// block. The request line is what precedes the first CRLF (all of it if there is none).
MetricsRoute RouteMetricsRequest(std::string_view request);

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_METRICS_REQUEST_H_
