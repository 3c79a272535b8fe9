// The lexical layer of keepalived.conf: comment removal and splitting a line into words.
// The preprocessor works on AnnotatedText (bytes with their source columns) so that
// every token keeps the column it came from, even after expansions moved it.
#ifndef VIGIL_CONFIG_LEXER_H_
#define VIGIL_CONFIG_LEXER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/token.h"

namespace vigil::config {

// Text with, for each byte, the 1-based source column it came from and a tag that the
// caller is free to use (the preprocessor records which expansion produced the byte).
struct AnnotatedText {
  std::string bytes;
  std::vector<uint32_t> column;
  std::vector<uint32_t> tag;

  // Returns `text` with columns first_column, first_column+1, ... and tag 0.
  static AnnotatedText FromSource(std::string_view text, uint32_t first_column = 1);

  size_t size() const { return bytes.size(); }
  bool empty() const { return bytes.empty(); }
  void Append(char c, uint32_t col, uint32_t t);
  void Reserve(size_t n) {
    bytes.reserve(n);
    column.reserve(n);
    tag.reserve(n);
  }
  void AppendRange(const AnnotatedText& from, size_t pos, size_t len);
  void Erase(size_t pos, size_t len);
  void Truncate(size_t len) { Erase(len, size() - len); }
  // Returns the bytes [pos, pos+len) with their annotations.
  AnnotatedText Sub(size_t pos, size_t len = std::string::npos) const;
};

// How quoted strings are read.
enum class QuoteMode {
  // "..." and '...' quote, backslash escapes (\n \t \xHH \nnn \cC \\ \" ...) are
  // decoded inside and outside quotes, and quoted parts join adjacent text into one
  // word: keepalived's reading of script command lines (alloc_strvec_quoted_escaped).
  // A `'` with no closing `'` on the line is kept as a literal character.
  kShell,
  // Only "..." quotes, a word that starts with `"` ends at the next `"`, nothing is
  // unescaped: keepalived's reading of every other keyword line (alloc_strvec).
  kKeepalived,
};

// A problem found while lexing one line; `column` is a source column.
struct LexProblem {
  uint32_t column = 0;
  std::string message;
};

// Removes keepalived comments from one physical line, exactly as keepalived does:
// leading blanks go; `#` or `!` outside "..." starts a comment (single quotes do not
// protect them); `\#` and `\!` outside "..." become a literal `#`/`!`; trailing blanks
// go. Returns true if the line ended with a lone `\` (a continuation), which is kept
// as the last byte.
bool Decomment(AnnotatedText& text);

// Returns the offset of the first `{` or `}` outside quotes, or npos.
size_t FindBrace(std::string_view text, QuoteMode mode);

// Splits one line (already decommented) into tokens. `{` and `}` outside quotes are
// tokens of their own. Each token's loc is {file, line, column of its first byte}.
// Unterminated double quotes are reported in `problems` (the quoted part then runs
// to the end of the line).
std::vector<Token> LexLine(const AnnotatedText& text, uint32_t file, uint32_t line,
                           QuoteMode mode, std::vector<LexProblem>& problems);

// Convenience for tests and tools: decomments and lexes `text` as line `line` of
// `file`, columns counted from 1.
std::vector<Token> LexString(std::string_view text, QuoteMode mode = QuoteMode::kShell,
                             uint32_t file = 0, uint32_t line = 1,
                             std::vector<LexProblem>* problems = nullptr);

// Splits a script command string (e.g. the argument of notify_master or script) into
// its argv words with kShell rules, as keepalived does before running a script.
// Returns false (and leaves `words` partial) on an unterminated double quote.
bool SplitShellWords(std::string_view command, std::vector<std::string>& words);

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_LEXER_H_
