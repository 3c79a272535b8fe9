// libFuzzer target for model::DecodeConfig, which engines run on what the supervisor sends
// at a reload. Invariants: arbitrary bytes decode to a model or to an error, never past
// their end; a decoded model encodes to bytes that decode to a model encoding the same.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "model/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded =
      vigil::model::DecodeConfig(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!decoded) return 0;
  const std::string bytes = vigil::model::EncodeConfig(*decoded);
  auto again = vigil::model::DecodeConfig(bytes);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(vigil::model::EncodeConfig(*again) == bytes);
  return 0;
}
