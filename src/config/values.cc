#include "config/values.h"

#include <cctype>
#include <limits>

namespace vigil::config {

namespace {

std::string NotValid(std::string_view what, std::string_view value, std::string_view type) {
  std::string m(what);
  m += ": '";
  m += value;
  m += "' is not a valid ";
  m += type;
  return m;
}

template <typename T>
std::string OutOfRange(std::string_view what, std::string_view value, const T& min,
                       const T& max) {
  std::string m(what);
  m += ' ';
  m += value;
  m += " is out of range ";
  if constexpr (std::is_same_v<T, model::Duration>) {
    m += FormatSeconds(min) + ".." + FormatSeconds(max);
  } else {
    m += std::to_string(min) + ".." + std::to_string(max);
  }
  return m;
}

void Report(Diagnostics& diags, Severity sev, SourceLoc loc, std::string msg) {
  diags.Add({sev, loc, std::move(msg)});
}

}  // namespace

std::optional<int64_t> ParseIntegerText(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  size_t i = 0;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - d) / 10)
      return std::nullopt;
    v = v * 10 + d;
  }
  return neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

std::optional<bool> ParseBoolText(std::string_view s) {
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "on" || l == "true" || l == "yes") return true;
  if (l == "off" || l == "false" || l == "no") return false;
  return std::nullopt;
}

std::optional<model::Duration> ParseSecondsText(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  if (frac.size() > 6) return std::nullopt;
  int64_t secs = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    if (secs > 1'000'000'000'000) return std::nullopt;
    secs = secs * 10 + (c - '0');
  }
  int64_t us = 0;
  for (size_t i = 0; i < 6; ++i) {
    us *= 10;
    if (i < frac.size()) {
      if (frac[i] < '0' || frac[i] > '9') return std::nullopt;
      us += frac[i] - '0';
    }
  }
  return model::Duration(secs * 1'000'000 + us);
}

std::string FormatSeconds(model::Duration d) {
  int64_t us = d.count();
  std::string out;
  if (us < 0) {
    out = "-";
    us = -us;
  }
  out += std::to_string(us / 1'000'000);
  int64_t frac = us % 1'000'000;
  if (frac != 0) {
    std::string f = std::to_string(frac);
    f.insert(0, 6 - f.size(), '0');
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += '.' + f;
  }
  return out;
}

std::optional<int64_t> ParseInteger(const Token& tok, std::string_view what, int64_t min,
                                    int64_t max, Diagnostics& diags, Severity severity) {
  auto v = ParseIntegerText(tok.text);
  if (!v) {
    Report(diags, severity, tok.loc, NotValid(what, tok.text, "integer"));
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    Report(diags, severity, tok.loc, OutOfRange(what, tok.text, min, max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> ParseBool(const Token& tok, std::string_view what, Diagnostics& diags,
                              Severity severity) {
  auto v = ParseBoolText(tok.text);
  if (!v) Report(diags, severity, tok.loc, NotValid(what, tok.text, "boolean"));
  return v;
}

std::optional<model::Duration> ParseTimer(const Token& tok, std::string_view what,
                                          model::Duration min, model::Duration max,
                                          Diagnostics& diags, Severity severity) {
  auto v = ParseSecondsText(tok.text);
  if (!v) {
    Report(diags, severity, tok.loc, NotValid(what, tok.text, "time in seconds"));
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    Report(diags, severity, tok.loc, OutOfRange(what, tok.text, min, max));
    return std::nullopt;
  }
  return v;
}

std::optional<model::IpAddress> ParseAddress(const Token& tok, std::string_view what,
                                             Diagnostics& diags, Severity severity) {
  auto v = model::IpAddress::Parse(tok.text);
  if (!v) Report(diags, severity, tok.loc, NotValid(what, tok.text, "IP address"));
  return v;
}

std::optional<model::IpPrefix> ParsePrefix(const Token& tok, std::string_view what,
                                           Diagnostics& diags, Severity severity) {
  auto v = model::IpPrefix::Parse(tok.text);
  if (!v) Report(diags, severity, tok.loc, NotValid(what, tok.text, "IP address or prefix"));
  return v;
}

std::optional<uint16_t> ParsePort(const Token& tok, std::string_view what, Diagnostics& diags,
                                  Severity severity) {
  auto v = ParseIntegerText(tok.text);
  if (!v) {
    Report(diags, severity, tok.loc, NotValid(what, tok.text, "port"));
    return std::nullopt;
  }
  if (*v < 0 || *v > 65535) {
    Report(diags, severity, tok.loc, OutOfRange<int64_t>(what, tok.text, 0, 65535));
    return std::nullopt;
  }
  return static_cast<uint16_t>(*v);
}

const Token* Arg(const Node& n, size_t i) {
  return i < n.args.size() ? &n.args[i] : nullptr;
}

const Token* RequireArg(const Node& n, size_t i, Diagnostics& diags, Severity severity) {
  if (i < n.args.size()) return &n.args[i];
  Report(diags, severity, n.keyword.loc, n.keyword.text + ": missing value");
  return nullptr;
}

std::optional<bool> NodeBool(const Node& n, Diagnostics& diags) {
  if (n.args.empty()) return true;
  return ParseBool(n.args[0], n.keyword.text, diags);
}

std::string JoinArgs(const Node& n, size_t from) {
  std::string out;
  for (size_t i = from; i < n.args.size(); ++i) {
    if (i > from) out += ' ';
    out += n.args[i].text;
  }
  return out;
}

std::vector<std::string> ArgTexts(const Node& n, size_t from) {
  std::vector<std::string> out;
  for (size_t i = from; i < n.args.size(); ++i) out.push_back(n.args[i].text);
  return out;
}

model::SourceRef ToRef(const SourceLoc& loc) { return {loc.file, loc.line, loc.column}; }

}  // namespace vigil::config
