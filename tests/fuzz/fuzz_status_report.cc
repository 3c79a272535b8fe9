// libFuzzer target for the status reports the engines send the supervisor: control::FromJson
// (status_read.cc, a reader written for the status structs) on the whole input. Invariants:
// a refused report says why; an accepted one is JSON nlohmann accepts too, reads back equal
// from its ToJson text, which is the same again, and renders.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "control/status.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  vigil::control::Status status;
  std::string error;
  if (!vigil::control::FromJson(text, status, &error)) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(nlohmann::json::accept(text));
  const std::string json = vigil::control::ToJson(status);
  vigil::control::Status again;
  FUZZ_CHECK(vigil::control::FromJson(json, again));
  FUZZ_CHECK(again == status);
  FUZZ_CHECK(vigil::control::ToJson(again) == json);
  (void)vigil::control::RenderPrometheus(status);
  return 0;
}
