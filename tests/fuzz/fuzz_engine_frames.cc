// libFuzzer target for the supervisor <-> engine channel: FrameReader on an arbitrary byte
// stream appended in fuzzer-chosen pieces, and the status document a status frame carries
// (control::FromJson). Invariants: the frames read re-encode to exactly the bytes they came
// from; a status document that parses survives ToJson -> FromJson unchanged and renders.
// Input: a seed byte for the piece sizes, then the stream.
#include <cstddef>
#include <cstdint>
#include <string>

#include "control/status.h"
#include "daemon/frames.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  fuzz::Reader in(data, size);
  uint32_t state = in.Byte();
  std::string_view stream = in.RestText();
  const std::string_view all = stream;

  daemon::FrameReader reader;
  std::string reencoded;
  while (!stream.empty() && !reader.bad()) {
    state = state * 1103515245u + 12345u;
    const size_t n = std::min<size_t>(stream.size(), 1 + (state >> 16) % 64);
    reader.Append(stream.substr(0, n));
    stream.remove_prefix(n);
    while (auto frame = reader.Next()) {
      reencoded += daemon::EncodeFrame(frame->type, frame->payload);
      if (frame->type != daemon::FrameType::kStatus) continue;
      control::Status status;
      if (!control::FromJson(frame->payload, status)) continue;
      const std::string json = control::ToJson(status);
      control::Status again;
      FUZZ_CHECK(control::FromJson(json, again));
      FUZZ_CHECK(again == status);
      (void)control::RenderPrometheus(status);
    }
  }
  FUZZ_CHECK(all.substr(0, reencoded.size()) == reencoded);
  return 0;
}
