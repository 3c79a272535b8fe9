// Test helper: configuration text -> logical lines -> block tree, without files.
// A tiny lexer (whitespace words, "quoted strings", # and ! comments, { and } as their
// own tokens) stands in for the preprocessor; the real ParseTree groups the blocks.
#ifndef VIGIL_TESTS_UNIT_CONFIG_TREE_TEXT_H_
#define VIGIL_TESTS_UNIT_CONFIG_TREE_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/parser.h"
#include "config/token.h"
#include "config/tree.h"

namespace vigil::config::testing {

// Splits `text` into logical lines; tokens carry file 0, 1-based line and column.
inline std::vector<Line> LinesFromText(std::string_view text) {
  std::vector<Line> lines;
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    ++line_no;
    Line out;
    size_t i = 0;
    while (i < l.size()) {
      char c = l[i];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
        continue;
      }
      if (c == '#' || c == '!') break;
      Token t;
      t.loc = {0, line_no, static_cast<uint32_t>(i + 1)};
      if (c == '{' || c == '}') {
        t.text = std::string(1, c);
        ++i;
      } else if (c == '"') {
        t.quoted = true;
        size_t close = l.find('"', i + 1);
        if (close == std::string_view::npos) close = l.size();
        t.text = std::string(l.substr(i + 1, close - i - 1));
        i = close + 1;
      } else {
        size_t j = i;
        while (j < l.size() && l[j] != ' ' && l[j] != '\t' && l[j] != '{' && l[j] != '}' &&
               l[j] != '#' && l[j] != '!' && l[j] != '\r')
          ++j;
        t.text = std::string(l.substr(i, j - i));
        i = j;
      }
      out.push_back(std::move(t));
    }
    if (!out.empty()) lines.push_back(std::move(out));
    if (end == text.size()) break;
    pos = end + 1;
  }
  return lines;
}

// Returns the block tree of `text` (parser diagnostics go to `diags`).
inline Tree TreeFromText(std::string_view text, Diagnostics& diags) {
  return ParseTree(LinesFromText(text), diags);
}

// Returns each diagnostic as "LINE:COL: error|warning|fatal: MESSAGE".
inline std::vector<std::string> DiagLines(const Diagnostics& diags) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diags.all()) {
    const char* sev = d.severity == Severity::kFatal   ? "fatal"
                      : d.severity == Severity::kError ? "error"
                                                       : "warning";
    out.push_back(std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) + ": " + sev +
                  ": " + d.message);
  }
  return out;
}

}  // namespace vigil::config::testing

#endif  // VIGIL_TESTS_UNIT_CONFIG_TREE_TEXT_H_
