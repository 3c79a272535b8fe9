// Checks on an HTTP body: MD5 digest (OpenSSL EVP) and PCRE2 regex. Pure (no I/O).
#ifndef VIGIL_CHECK_BODY_CHECK_H_
#define VIGIL_CHECK_BODY_CHECK_H_

#include <cstdint>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace vigil::check {

// Incremental MD5 of a byte stream.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void Update(std::string_view data);
  // Returns the 32 lower-case hex digits of the digest of everything updated so far.
  std::string HexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The PCRE2 JIT stack a Regex is matched with (regex_stack): `max` 0 is PCRE2's own
// (32 KiB on the machine stack).
struct JitStackSize {
  size_t start = 0;
  size_t max = 0;
};

// Returns the PCRE2 compile options named by `names` (keepalived's regex_options: the
// lower-case PCRE2_* names without the prefix, e.g. caseless); unknown names add nothing.
uint32_t RegexOptionBits(const std::vector<std::string>& names);

// A compiled PCRE2 pattern.
class Regex {
 public:
  // Compiles `pattern` with PCRE2 `options`, matched with a JIT stack of `stack`; fails
  // with the PCRE2 message and offset.
  static Result<Regex> Compile(const std::string& pattern, uint32_t options = 0,
                               JitStackSize stack = {});

  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  // Returns true if the pattern matches `subject` at a start offset in
  // [min_offset, max_offset] (max_offset unset: anywhere from min_offset on).
  bool Matches(std::string_view subject, size_t min_offset = 0,
               std::optional<size_t> max_offset = std::nullopt) const;

 private:
  struct Impl;
  explicit Regex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_BODY_CHECK_H_
