// bench_status_report: what the supervisor spends on the checker engine's status report at
// reload_scale.py's size (2,277 virtual servers, 37,205 real servers). Pure user space;
// prints one JSON object on stdout.
//
//   bench_status_report [--repeat K] [--virtual-servers V] [--real-servers R]
//
// - bytes: the report's JSON text (what the checker engine sends, control::ToJson).
// - write: control::ToJson of the report (on the checker engine's loop).
// - read: control::FromJson of that text (on the supervisor's loop, when status is asked).
// - merge: the copy of its virtual servers into the daemon's status (CurrentStatus).
// - status_reply: the reply to `vigilctl status` from the Status read (HandleRequest).
// - metrics: control::RenderPrometheus of the Status read (/metrics).
// The minimum and median of K runs of each, in ms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "control/protocol.h"
#include "control/status.h"

namespace {

using Clock = std::chrono::steady_clock;
using vigil::control::Status;

// A checker engine's report: `vs` virtual servers sharing `rs` real servers, each field set
// as a running engine sets it (addresses, counters in the thousands, latencies).
Status Report(size_t vs, size_t rs) {
  Status s;
  s.lb_backend = "nftables";
  s.lb_restorations = {{"audit", 0}, {"damaged", 0}, {"event", 0}, {"rejected", 0}};
  for (size_t v = 0; v < vs; ++v) {
    vigil::control::VirtualServerStatus x;
    x.name = "10.100." + std::to_string(v / 250) + "." + std::to_string(v % 250 + 1) + ":80/tcp";
    x.scheduler = "wrr";
    const size_t first = rs * v / vs, last = rs * (v + 1) / vs;
    for (size_t r = first; r < last; ++r) {
      vigil::control::RealServerStatus y;
      y.address = "10." + std::to_string(r / 62500) + "." + std::to_string(r / 250 % 250) + "." +
                  std::to_string(r % 250 + 1) + ":8080";
      y.up = r % 17 != 0;
      y.weight = y.up ? int(r % 5 + 1) : 0;
      y.config_weight = int(r % 5 + 1);
      y.checks_ok = 1000 + r % 9000;
      y.checks_failed = r % 17 == 0 ? 12 : 0;
      y.last_check_latency_s = 0.000137 + double(r % 1000) * 1e-6;
      y.check_running_s = r % 3 == 0 ? 0.0123 : 0;
      x.live_weight += y.weight;
      x.real_servers.push_back(std::move(y));
    }
    s.virtual_servers.push_back(std::move(x));
  }
  return s;
}

struct Figure {
  double min = 0, median = 0;
};

Figure Time(int repeat, const std::function<void()>& f) {
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = Clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2]};
}

// The target of HandleRequest: the Status read.
struct Target : vigil::control::ControlTarget {
  const Status* status = nullptr;
  Status CurrentStatus() override { return *status; }
  void Reload(std::function<void(bool, std::string)> done) override { done(true, ""); }
};

}  // namespace

int main(int argc, char** argv) {
  int repeat = 7;
  size_t vs = 2277, rs = 37205;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--repeat"))
      repeat = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--virtual-servers"))
      vs = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--real-servers"))
      rs = std::strtoul(argv[i + 1], nullptr, 10);
  }
  if (repeat < 1 || vs < 1) {
    std::fprintf(stderr,
                 "usage: bench_status_report [--repeat K] [--virtual-servers V] "
                 "[--real-servers R]\n");
    return 2;
  }
  const Status report = Report(vs, rs);
  std::string text;
  const Figure write = Time(repeat, [&] { text = vigil::control::ToJson(report); });
  Status read;
  bool ok = true;
  const Figure parse = Time(repeat, [&] {
    read = Status();
    ok = ok && vigil::control::FromJson(text, read);
  });
  if (!ok || !(read == report)) {
    std::fprintf(stderr, "the report read is not the report written\n");
    return 1;
  }
  const Figure copy = Time(repeat, [&] {
    Status merged;
    for (const auto& v : read.virtual_servers) merged.virtual_servers.push_back(v);
  });
  Target target;
  target.status = &read;
  size_t reply_bytes = 0;
  const Figure reply = Time(repeat, [&] {
    vigil::control::HandleRequest(R"({"command":"status"})", target,
                                  [&](std::string r) { reply_bytes = r.size(); });
  });
  size_t metrics_bytes = 0;
  const Figure metrics =
      Time(repeat, [&] { metrics_bytes = vigil::control::RenderPrometheus(read).size(); });
  std::printf(
      "{\"virtual_servers\": %zu, \"real_servers\": %zu, \"repeat\": %d, \"bytes\": %zu, "
      "\"write_ms\": [%.1f, %.1f], \"read_ms\": [%.1f, %.1f], \"merge_ms\": [%.1f, %.1f], "
      "\"status_reply_ms\": [%.1f, %.1f], "
      "\"status_reply_bytes\": %zu, \"metrics_ms\": [%.1f, %.1f], \"metrics_bytes\": %zu}\n",
      vs, rs, repeat, text.size(), write.min, write.median, parse.min, parse.median, copy.min,
      copy.median, reply.min, reply.median, reply_bytes, metrics.min, metrics.median,
      metrics_bytes);
  return 0;
}
