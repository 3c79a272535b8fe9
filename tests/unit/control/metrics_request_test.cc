#include "control/metrics_request.h"

#include <gtest/gtest.h>

namespace vigil::control {
namespace {

TEST(MetricsRequestTest, RoutesOnTheRequestLine) {
  EXPECT_EQ(RouteMetricsRequest("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), MetricsRoute::kMetrics);
  EXPECT_EQ(RouteMetricsRequest("GET /metrics?name[]=vigil_up HTTP/1.0\r\n\r\n"),
            MetricsRoute::kMetrics);
  EXPECT_EQ(RouteMetricsRequest("GET /metricsx HTTP/1.1\r\n\r\n"), MetricsRoute::kNotFound);
  EXPECT_EQ(RouteMetricsRequest("GET / HTTP/1.1\r\n\r\n"), MetricsRoute::kNotFound);
  EXPECT_EQ(RouteMetricsRequest("POST /metrics HTTP/1.1\r\n\r\n"), MetricsRoute::kMethodNotAllowed);
  EXPECT_EQ(RouteMetricsRequest("get /metrics HTTP/1.1\r\n\r\n"), MetricsRoute::kMethodNotAllowed);
  EXPECT_EQ(RouteMetricsRequest(""), MetricsRoute::kMethodNotAllowed);
  // Only the first line counts: a header that looks like a request line does not.
  EXPECT_EQ(RouteMetricsRequest("PUT / HTTP/1.1\r\nGET /metrics HTTP/1.1\r\n\r\n"),
            MetricsRoute::kMethodNotAllowed);
  EXPECT_EQ(RouteMetricsRequest("GET /metrics\r\n\r\n"), MetricsRoute::kNotFound);
}

}  // namespace
}  // namespace vigil::control
