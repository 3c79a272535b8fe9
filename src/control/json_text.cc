#include "control/json_text.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace vigil::control {

void JsonText::String(std::string_view s) {
  const size_t start = out_.size();
  out_ += '"';
  size_t run = 0;  // the start of the characters not yet written
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x80 && c != '"' && c != '\\') continue;
    if (u >= 0x80) {
      // Multi-byte characters, valid or not: nlohmann's own reading of UTF-8, so that an
      // invalid sequence is replaced exactly as before (rare: names are ASCII).
      out_.resize(start);
      out_ += nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
      return;
    }
    out_.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out_ += "\\u00";
        out_ += kHex[(c >> 4) & 0xf];
        out_ += kHex[c & 0xf];
      }
    }
  }
  out_.append(s.substr(run));
  out_ += '"';
}

void JsonText::Double(double v) {
  if (!std::isfinite(v)) {
    out_ += "null";
    return;
  }
  char buf[64];
  out_.append(buf, nlohmann::detail::to_chars(buf, buf + sizeof buf, v));
}

void JsonText::Strings(const std::vector<std::string>& v) {
  out_ += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out_ += ',';
    String(v[i]);
  }
  out_ += ']';
}

namespace {

// Writes `m` as an object, each value with `value`.
template <typename Map, typename Value>
void WriteMap(JsonText& w, const Map& m, const Value& value) {
  if (m.empty()) {
    w.Put('{');
  }
  bool first = true;
  for (const auto& [k, v] : m) {
    first ? w.First(k) : w.Next(k);
    first = false;
    value(v);
  }
  w.Put('}');
}

}  // namespace

void JsonText::Numbers(const std::map<std::string, uint64_t>& m) {
  WriteMap(*this, m, [this](uint64_t v) { Number(v); });
}

void JsonText::StringMap(const std::map<std::string, std::string>& m) {
  WriteMap(*this, m, [this](const std::string& v) { String(v); });
}

void JsonText::NumberMaps(const std::map<std::string, std::map<std::string, uint64_t>>& m) {
  WriteMap(*this, m, [this](const std::map<std::string, uint64_t>& v) { Numbers(v); });
}

}  // namespace vigil::control
