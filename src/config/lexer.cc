#include "config/lexer.h"

#include <algorithm>

namespace vigil::config {
namespace {

bool IsWhite(char c) {
  return c == ' ' || c == '\t' || c == '\f' || c == '\n' || c == '\r' || c == '\v';
}
bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool IsBrace(char c) { return c == '{' || c == '}'; }

// Returns the offset of the quote closing one opened just before `from`, skipping
// backslash-escaped characters (kShell rules), or npos.
size_t FindClosingQuote(std::string_view s, size_t from, char quote) {
  for (size_t i = from; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == quote) {
      return i;
    }
  }
  return std::string_view::npos;
}

// Decodes the backslash escape at s[i] (s[i] == '\\'), not reading at or past `limit`.
// Appends the character to `out` and returns the offset after the escape.
size_t DecodeEscape(std::string_view s, size_t i, size_t limit, std::string& out) {
  if (i + 1 >= limit) {  // a lone trailing backslash stays literal
    out += '\\';
    return i + 1;
  }
  char e = s[i + 1];
  if (e == 'x' && i + 2 < limit && IsHex(s[i + 2])) {
    // Like keepalived, every following hex digit is consumed; the low byte is kept.
    unsigned v = 0;
    size_t j = i + 2;
    while (j < limit && IsHex(s[j])) v = ((v << 4) | HexValue(s[j++])) & 0xff;
    out += static_cast<char>(v);
    return j;
  }
  if (e == 'c' && i + 2 < limit) {
    out += static_cast<char>(s[i + 2] & 0x1f);
    return i + 3;
  }
  if (e >= '0' && e <= '7') {
    unsigned v = 0;
    size_t j = i + 1;
    for (int k = 0; k < 3 && j < limit && s[j] >= '0' && s[j] <= '7'; ++k) v = (v << 3) + (s[j++] - '0');
    out += static_cast<char>(v & 0xff);
    return j;
  }
  char c;
  switch (e) {
    case 'a': c = '\a'; break;
    case 'b': c = '\b'; break;
    case 'E': c = '\x1b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'v': c = '\v'; break;
    default: c = e; break;
  }
  out += c;
  return i + 2;
}

std::vector<Token> LexImpl(const AnnotatedText& text, uint32_t file, uint32_t line,
                           QuoteMode mode, bool split_braces,
                           std::vector<LexProblem>& problems) {
  std::vector<Token> tokens;
  std::string_view s = text.bytes;
  const size_t n = s.size();
  auto col = [&](size_t i) { return i < n ? text.column[i] : (n ? text.column[n - 1] : 1); };
  size_t i = 0;
  while (true) {
    while (i < n && IsWhite(s[i])) ++i;
    if (i >= n) break;
    Token tok;
    tok.loc = SourceLoc{file, line, col(i)};
    if (split_braces && IsBrace(s[i])) {
      tok.text.assign(1, s[i++]);
      tokens.push_back(std::move(tok));
      continue;
    }
    if (mode == QuoteMode::kKeepalived) {
      if (s[i] == '"') {
        size_t close = s.find('"', i + 1);
        if (close == std::string_view::npos) {
          problems.push_back({col(i), "unterminated quote; the rest of the line is ignored"});
          break;
        }
        tok.text.assign(s.substr(i + 1, close - i - 1));
        tok.quoted = true;
        i = close + 1;
      } else {
        size_t start = i;
        while (i < n && !IsWhite(s[i]) && s[i] != '"' && !(split_braces && IsBrace(s[i]))) ++i;
        tok.text.assign(s.substr(start, i - start));
      }
      tokens.push_back(std::move(tok));
      continue;
    }
    // kShell
    while (i < n) {
      char c = s[i];
      if (IsWhite(c) || (split_braces && IsBrace(c))) break;
      if (c == '"' || c == '\'') {
        size_t close = FindClosingQuote(s, i + 1, c);
        if (close == std::string_view::npos && c == '\'') {
          tok.text += c;
          ++i;
          continue;
        }
        if (close == std::string_view::npos) {
          problems.push_back({col(i), "unterminated quote"});
          close = n;
        }
        tok.quoted = true;
        size_t j = i + 1;
        while (j < close) {
          if (s[j] == '\\') {
            j = DecodeEscape(s, j, close, tok.text);
          } else {
            tok.text += s[j++];
          }
        }
        i = std::min(close + 1, n);
        continue;
      }
      if (c == '\\') {
        i = DecodeEscape(s, i, n, tok.text);
        continue;
      }
      tok.text += c;
      ++i;
    }
    tokens.push_back(std::move(tok));
  }
  return tokens;
}

}  // namespace

AnnotatedText AnnotatedText::FromSource(std::string_view text, uint32_t first_column) {
  AnnotatedText t;
  t.bytes.assign(text);
  t.column.resize(text.size());
  for (size_t i = 0; i < text.size(); ++i) t.column[i] = first_column + static_cast<uint32_t>(i);
  t.tag.assign(text.size(), 0);
  return t;
}

void AnnotatedText::Append(char c, uint32_t col, uint32_t t) {
  bytes.push_back(c);
  column.push_back(col);
  tag.push_back(t);
}

void AnnotatedText::AppendRange(const AnnotatedText& from, size_t pos, size_t len) {
  len = std::min(len, from.size() - std::min(pos, from.size()));
  bytes.append(from.bytes, pos, len);
  column.insert(column.end(), from.column.begin() + pos, from.column.begin() + pos + len);
  tag.insert(tag.end(), from.tag.begin() + pos, from.tag.begin() + pos + len);
}

void AnnotatedText::Erase(size_t pos, size_t len) {
  if (pos >= size()) return;
  len = std::min(len, size() - pos);
  bytes.erase(pos, len);
  column.erase(column.begin() + pos, column.begin() + pos + len);
  tag.erase(tag.begin() + pos, tag.begin() + pos + len);
}

AnnotatedText AnnotatedText::Sub(size_t pos, size_t len) const {
  AnnotatedText t;
  if (pos < size()) t.AppendRange(*this, pos, len);
  return t;
}

bool Decomment(AnnotatedText& text) {
  const std::string& s = text.bytes;
  const size_t n = s.size();
  size_t i = 0;
  while (i < n && IsBlank(s[i])) ++i;
  if (s.find_first_of("\"\\#!", i) == std::string::npos) {
    // Nothing to remove but the blanks around the text (nearly every line).
    size_t len = n;
    while (len > i && IsBlank(s[len - 1])) --len;
    text.Truncate(len);
    text.Erase(0, i);
    return false;
  }

  AnnotatedText out;
  out.Reserve(n - i);
  bool quote = false;
  bool cont = false;
  bool in_comment = false;
  uint32_t cont_col = 0, cont_tag = 0;
  for (; i < n; ++i) {
    char c = s[i];
    if (c == '"') {
      if (!in_comment) quote = !quote;
    } else if (c == '\\') {
      if (i + 1 < n) {
        if (!quote && (s[i + 1] == '#' || s[i + 1] == '!')) {
          // The backslash is dropped; the comment character stays as text.
          if (!in_comment) out.Append(s[i + 1], text.column[i + 1], text.tag[i + 1]);
        } else if (!in_comment) {
          out.Append(c, text.column[i], text.tag[i]);
          out.Append(s[i + 1], text.column[i + 1], text.tag[i + 1]);
        }
        ++i;
        continue;
      }
      cont = true;
      cont_col = text.column[i];
      cont_tag = text.tag[i];
      break;
    } else if ((c == '!' || c == '#') && !quote) {
      in_comment = true;
    }
    if (!in_comment) out.Append(c, text.column[i], text.tag[i]);
  }
  size_t len = out.size();
  while (len > 0 && IsBlank(out.bytes[len - 1])) --len;
  out.Truncate(len);
  if (cont) out.Append('\\', cont_col, cont_tag);
  text = std::move(out);
  return cont;
}

size_t FindBrace(std::string_view s, QuoteMode mode) {
  const size_t n = s.size();
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    if (IsBrace(c)) return i;
    if (mode == QuoteMode::kKeepalived) {
      if (c == '"') {
        size_t close = s.find('"', i + 1);
        if (close == std::string_view::npos) return std::string_view::npos;
        i = close;
      }
      continue;
    }
    if (c == '\\') {
      ++i;
    } else if (c == '"' || c == '\'') {
      size_t close = FindClosingQuote(s, i + 1, c);
      if (close == std::string_view::npos) {
        if (c == '"') return std::string_view::npos;
        continue;  // a lone ' is literal
      }
      i = close;
    }
  }
  return std::string_view::npos;
}

std::vector<Token> LexLine(const AnnotatedText& text, uint32_t file, uint32_t line,
                           QuoteMode mode, std::vector<LexProblem>& problems) {
  return LexImpl(text, file, line, mode, /*split_braces=*/true, problems);
}

std::vector<Token> LexString(std::string_view text, QuoteMode mode, uint32_t file,
                             uint32_t line, std::vector<LexProblem>* problems) {
  AnnotatedText t = AnnotatedText::FromSource(text);
  Decomment(t);
  std::vector<LexProblem> local;
  return LexImpl(t, file, line, mode, true, problems ? *problems : local);
}

bool SplitShellWords(std::string_view command, std::vector<std::string>& words) {
  std::vector<LexProblem> problems;
  AnnotatedText t = AnnotatedText::FromSource(command);
  for (Token& tok : LexImpl(t, 0, 1, QuoteMode::kShell, /*split_braces=*/false, problems)) {
    words.push_back(std::move(tok.text));
  }
  return problems.empty();
}

}  // namespace vigil::config
