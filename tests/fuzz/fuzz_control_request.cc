// libFuzzer target for the control protocol: HandleRequest on an arbitrary request line
// (what any local client allowed on the socket may send). Invariants: exactly one reply per
// request, always one JSON object with a boolean "ok", and an error text when not ok.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "control/protocol.h"
#include "fuzz_util.h"

namespace {

class Target : public vigil::control::ControlTarget {
 public:
  vigil::control::Status CurrentStatus() override {
    vigil::control::Status s;
    s.version = "fuzz";
    vigil::control::InstanceStatus i;
    i.name = "VI_1";
    i.state = "MASTER";
    i.rejected["bad_ttl"] = 2;
    s.instances.push_back(i);
    vigil::control::VirtualServerStatus v;
    v.name = "10.0.0.1:80/tcp";
    v.real_servers.push_back({.address = "10.0.0.2:80", .up = true});
    s.virtual_servers.push_back(v);
    return s;
  }
  void Reload(std::function<void(bool, std::string)> done) override {
    done(false, "keepalived.conf:1:1: error: fuzz");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  Target target;
  int replies = 0;
  std::string reply;
  vigil::control::HandleRequest(line, target, [&](std::string r) {
    ++replies;
    reply = std::move(r);
  });
  FUZZ_CHECK(replies == 1);
  const auto json = nlohmann::json::parse(reply, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(json.is_object());
  FUZZ_CHECK(json.contains("ok") && json["ok"].is_boolean());
  if (!json["ok"].get<bool>()) FUZZ_CHECK(json.contains("error") && json["error"].is_string());
  return 0;
}
