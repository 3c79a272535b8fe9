// FromJson: a status document read straight into a Status, each struct's fields found by
// the names status_fields.h lists, without building a document first. At 37,000 real
// servers a report is 8 MB, which nlohmann::json's tree took 140-300 ms of the supervisor's
// loop to read. Strict JSON (RFC 8259, UTF-8 validated); a value of the wrong type for its
// field, an integer out of its field's range, a number no double holds and members nested
// deeper than kMaxDepth are refused. Members with names no struct has are skipped.
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "control/status.h"
#include "control/status_fields.h"

namespace vigil::control {
namespace {

// Depth of the unknown values skipped (the known ones are as deep as the structs).
constexpr int kMaxDepth = 64;

class Reader {
 public:
  explicit Reader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // Reads the whole text as one value into `out`.
  template <typename T>
  bool Document(T& out) {
    if (!Value(out)) return false;
    SkipSpace();
    return p_ == end_ || Fail("text after the document");
  }

  const std::string& error() const { return error_; }
  size_t offset(std::string_view text) const { return size_t(p_ - text.data()); }

  bool Value(std::string& out) {
    if (!Expect('"', "a string")) return false;
    return StringBody(out);
  }

  bool Value(bool& out) {
    SkipSpace();
    if (Literal("true")) return out = true, true;
    if (Literal("false")) return out = false, true;
    return Fail("expected true or false");
  }

  bool Value(double& out) {
    std::string_view digits;
    bool integral = false;
    if (!Number(digits, integral)) return false;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    if (ec != std::errc() || ptr != digits.data() + digits.size())
      return Fail("a number no double holds");
    return true;
  }

  template <std::integral T>
  bool Value(T& out) {
    SkipSpace();
    const bool negative = p_ != end_ && *p_ == '-';
    if (negative) ++p_;
    const char* start = p_;
    uint64_t v = 0;
    bool overflow = false;
    for (; p_ != end_ && Digit(*p_); ++p_)
      overflow = __builtin_mul_overflow(v, 10u, &v) ||
                 __builtin_add_overflow(v, unsigned(*p_ - '0'), &v) || overflow;
    if (p_ == start) return Fail("expected a number");
    if (*start == '0' && p_ - start > 1) return Fail("a number with a leading zero");
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return Fail("expected an integer");
    if (!overflow && (!negative || v == 0) && v <= uint64_t(std::numeric_limits<T>::max())) {
      out = T(v);
      return true;
    }
    if (!overflow && negative && std::is_signed_v<T> &&
        v <= uint64_t(std::numeric_limits<T>::max()) + 1) {
      out = T(0 - v);  // two's complement: -v, also for the minimum
      return true;
    }
    return Fail("an integer out of its field's range");
  }

  template <typename T>
  bool Value(std::vector<T>& out) {
    out.clear();
    if (!Expect('[', "an array")) return false;
    if (Peek(']')) return ++p_, true;
    do {
      if (!Value(out.emplace_back())) return false;
    } while (Comma());
    return Expect(']', "',' or ']'");
  }

  template <typename V>
  bool Value(std::map<std::string, V>& out) {
    out.clear();
    if (!Expect('{', "an object")) return false;
    if (Peek('}')) return ++p_, true;
    std::string key;
    do {
      if (!Expect('"', "a member's name") || !StringBody(key) || !Expect(':', "':'")) return false;
      if (!Value(out[key])) return false;
    } while (Comma());
    return Expect('}', "',' or '}'");
  }

  // An object: each member read into T's field of that name (the last one wins); the fields
  // it does not name keep the values `out` has (T's defaults: the callers give a new T).
  template <StatusRecord T>
  bool Value(T& out) {
    static constexpr auto kNames = FieldNames<T>();
    static constexpr auto kReaders = Readers<T>(std::make_index_sequence<kFieldCount<T>>());
    if (!Expect('{', "an object")) return false;
    if (Peek('}')) return ++p_, true;
    size_t next = 0;  // members come in the listed order: try the one after the last first
    do {
      std::string_view name;
      if (!Expect('"', "a member's name") || !Name(name) || !Expect(':', "':'")) return false;
      size_t i = next < kNames.size() && kNames[next] == name ? next : Find(kNames, name);
      if (i == kNames.size()) {
        if (!Skip(0)) return false;
        continue;
      }
      if (!(this->*kReaders[i])(out)) return false;
      next = i + 1;
    } while (Comma());
    return Expect('}', "',' or '}'");
  }

 private:
  template <StatusRecord T, size_t I>
  bool ReadField(T& out) {
    auto& field = out.*std::get<I>(FieldsOf<T>::kList).member;
    if constexpr (StatusRecord<std::remove_reference_t<decltype(field)>>) field = {};
    return Value(field);
  }
  template <StatusRecord T, size_t... I>
  static constexpr auto Readers(std::index_sequence<I...>) {
    return std::array<bool (Reader::*)(T&), sizeof...(I)>{&Reader::ReadField<T, I>...};
  }
  template <size_t N>
  static size_t Find(const std::array<std::string_view, N>& names, std::string_view name) {
    for (size_t i = 0; i < N; ++i)
      if (names[i] == name) return i;
    return N;
  }

  bool Fail(std::string_view what) {
    if (error_.empty()) error_ = what;
    return false;
  }

  static bool Space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
  void SkipSpace() {
    while (p_ != end_ && Space(*p_)) ++p_;
  }
  // Skips space; true if the next character is `c` (not consumed).
  bool Peek(char c) {
    SkipSpace();
    return p_ != end_ && *p_ == c;
  }
  // Consumes `c`, or fails with "expected `what`".
  bool Expect(char c, std::string_view what) {
    if (!Peek(c)) return Expected(what);
    ++p_;
    return true;
  }
  [[gnu::noinline]] bool Expected(std::string_view what) {
    return Fail("expected " + std::string(what));
  }
  // Consumes a ',' if one comes next.
  bool Comma() {
    if (!Peek(',')) return false;
    ++p_;
    return true;
  }
  bool Literal(std::string_view word) {
    if (size_t(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0)
      return false;
    p_ += word.size();
    return true;
  }

  static bool Digit(char c) { return c >= '0' && c <= '9'; }
  void Digits() {
    while (p_ != end_ && Digit(*p_)) ++p_;
  }
  // A JSON number's text: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; `integral` if it
  // has neither fraction nor exponent.
  bool Number(std::string_view& digits, bool& integral) {
    SkipSpace();
    const char* start = p_;
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !Digit(*p_)) return Fail("expected a number");
    if (*p_ == '0')
      ++p_;
    else
      Digits();
    integral = true;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !Digit(*p_)) return Fail("a fraction without digits");
      Digits();
      integral = false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !Digit(*p_)) return Fail("an exponent without digits");
      Digits();
      integral = false;
    }
    digits = std::string_view(start, size_t(p_ - start));
    return true;
  }

  // A member's name after its '"': in place when it has no escape (names never do).
  bool Name(std::string_view& name) {
    const char* start = p_;
    while (p_ != end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20 &&
           static_cast<unsigned char>(*p_) < 0x80)
      ++p_;
    if (p_ != end_ && *p_ == '"') {
      name = std::string_view(start, size_t(p_++ - start));
      return true;
    }
    p_ = start;
    if (!StringBody(scratch_)) return false;
    name = scratch_;
    return true;
  }

  // The rest of a string after its opening '"', unescaped into `out`.
  bool StringBody(std::string& out) {
    out.clear();
    for (;;) {
      const char* run = p_;
      while (p_ != end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20 &&
             static_cast<unsigned char>(*p_) < 0x80)
        ++p_;
      out.append(run, size_t(p_ - run));
      if (p_ == end_) return Fail("an unterminated string");
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return Fail("a control character in a string");
      if (c == '\\') {
        if (!Escape(out)) return false;
      } else if (!Utf8(out)) {
        return false;
      }
    }
  }

  // One escape sequence (at its '\'), appended to `out` as UTF-8.
  bool Escape(std::string& out) {
    ++p_;
    if (p_ == end_) return Fail("an unterminated string");
    const char c = *p_++;
    switch (c) {
      case '"':
        out += '"';
        return true;
      case '\\':
        out += '\\';
        return true;
      case '/':
        out += '/';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        break;
      default:
        return Fail("an invalid escape");
    }
    uint32_t code = 0;
    if (!Hex4(code)) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) return Fail("a lone low surrogate");
    if (code >= 0xD800 && code <= 0xDBFF) {
      uint32_t low = 0;
      if (!Literal("\\u") || !Hex4(low) || low < 0xDC00 || low > 0xDFFF)
        return Fail("a high surrogate without its low one");
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    if (code < 0x80) {
      out += char(code);
    } else if (code < 0x800) {
      out += char(0xC0 | (code >> 6));
      out += char(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += char(0xE0 | (code >> 12));
      out += char(0x80 | ((code >> 6) & 0x3F));
      out += char(0x80 | (code & 0x3F));
    } else {
      out += char(0xF0 | (code >> 18));
      out += char(0x80 | ((code >> 12) & 0x3F));
      out += char(0x80 | ((code >> 6) & 0x3F));
      out += char(0x80 | (code & 0x3F));
    }
    return true;
  }

  bool Hex4(uint32_t& code) {
    if (end_ - p_ < 4) return Fail("a short \\u escape");
    auto [ptr, ec] = std::from_chars(p_, p_ + 4, code, 16);
    if (ec != std::errc() || ptr != p_ + 4) return Fail("a short \\u escape");
    p_ += 4;
    return true;
  }

  // One UTF-8 character (at its lead byte >= 0x80), well-formed (RFC 3629: no overlong
  // form, no surrogate, at most U+10FFFF), appended to `out`.
  bool Utf8(std::string& out) {
    const auto b = [this](ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
    // RFC 3629's table: the lead bytes, each one's length and its second byte's range.
    struct Lead {
      unsigned char first, last;
      int n;
      unsigned char lo, hi;
    };
    static constexpr Lead kLeads[] = {
        {0xC2, 0xDF, 2, 0x80, 0xBF}, {0xE0, 0xE0, 3, 0xA0, 0xBF}, {0xE1, 0xEC, 3, 0x80, 0xBF},
        {0xED, 0xED, 3, 0x80, 0x9F}, {0xEE, 0xEF, 3, 0x80, 0xBF}, {0xF0, 0xF0, 4, 0x90, 0xBF},
        {0xF1, 0xF3, 4, 0x80, 0xBF}, {0xF4, 0xF4, 4, 0x80, 0x8F},
    };
    const Lead* lead = nullptr;
    for (const Lead& l : kLeads)
      if (b(0) >= l.first && b(0) <= l.last) lead = &l;
    if (!lead) return Fail("invalid UTF-8");
    const int n = lead->n;
    const unsigned char lo = lead->lo, hi = lead->hi;
    if (end_ - p_ < n || b(1) < lo || b(1) > hi) return Fail("invalid UTF-8");
    for (int i = 2; i < n; ++i)
      if (b(i) < 0x80 || b(i) > 0xBF) return Fail("invalid UTF-8");
    out.append(p_, size_t(n));
    p_ += n;
    return true;
  }

  // Skips one value of any type, checked as strictly as the ones read.
  bool Skip(int depth) {
    if (depth >= kMaxDepth) return Fail("values nested too deep");
    SkipSpace();
    if (p_ == end_) return Fail("expected a value");
    switch (*p_) {
      case '"':
        ++p_;
        return StringBody(scratch_);
      case '[':
        ++p_;
        if (Peek(']')) return ++p_, true;
        do {
          if (!Skip(depth + 1)) return false;
        } while (Comma());
        return Expect(']', "',' or ']'");
      case '{':
        ++p_;
        if (Peek('}')) return ++p_, true;
        do {
          if (!Expect('"', "a member's name") || !StringBody(scratch_) || !Expect(':', "':'") ||
              !Skip(depth + 1))
            return false;
        } while (Comma());
        return Expect('}', "',' or '}'");
      case 't':
        return Literal("true") || Fail("expected a value");
      case 'f':
        return Literal("false") || Fail("expected a value");
      case 'n':
        return Literal("null") || Fail("expected a value");
      default: {
        double number;  // one a double holds, as a JSON parser takes it
        return Value(number);
      }
    }
  }

  const char* p_;
  const char* end_;
  std::string scratch_;
  std::string error_;
};

}  // namespace

bool FromJson(std::string_view text, Status& out, std::string* error) {
  Reader r(text);
  out = Status();
  if (r.Document(out)) return true;
  if (error) *error = r.error() + " at byte " + std::to_string(r.offset(text));
  return false;
}

}  // namespace vigil::control
