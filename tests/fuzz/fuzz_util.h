// Helpers shared by the fuzz targets: a checked assertion that works in both builds (libFuzzer
// and the g++ seed replay) and a reader that carves fields off the front of the input.
#ifndef VIGIL_TESTS_FUZZ_FUZZ_UTIL_H_
#define VIGIL_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

namespace vigil::fuzz {

// Reports a broken invariant and aborts: libFuzzer saves the input as a crash, the replay
// test fails.
[[noreturn]] inline void InvariantFailed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
  std::abort();
}

#define FUZZ_CHECK(cond) \
  ((cond) ? (void)0 : ::vigil::fuzz::InvariantFailed(#cond, __FILE__, __LINE__))

// Consumes an input from the front; reads past the end yield zeros / empty spans.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : rest_(data, size) {}

  uint8_t Byte() {
    if (rest_.empty()) return 0;
    const uint8_t b = rest_[0];
    rest_ = rest_.subspan(1);
    return b;
  }
  uint16_t U16() { return static_cast<uint16_t>(Byte() << 8 | Byte()); }
  uint32_t U32() { return uint32_t{U16()} << 16 | U16(); }
  // Returns up to `n` bytes.
  std::span<const uint8_t> Take(size_t n) {
    const auto out = rest_.first(n < rest_.size() ? n : rest_.size());
    rest_ = rest_.subspan(out.size());
    return out;
  }
  std::span<const uint8_t> Rest() { return Take(rest_.size()); }
  std::string_view RestText() {
    const auto r = Rest();
    return {reinterpret_cast<const char*>(r.data()), r.size()};
  }

 private:
  std::span<const uint8_t> rest_;
};

}  // namespace vigil::fuzz

#endif  // VIGIL_TESTS_FUZZ_FUZZ_UTIL_H_
