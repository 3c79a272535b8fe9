#include "config/preprocessor.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "config/lexer.h"
#include "config/values.h"

namespace vigil::config {
namespace {

// Why an executable file is not read.
constexpr char kNotExecutable[] =
    "keepalived reads only regular, non-executable configuration files";

// include_check bits (keepalived's INCLUDE_R/M/W/B).
constexpr unsigned kIncRead = 1;       // a match must be a readable regular file
constexpr unsigned kIncMatch = 2;      // a name without wildcards must exist
constexpr unsigned kIncWildcard = 4;   // a wildcard must match something
constexpr unsigned kIncBrace = 8;      // every brace alternative must exist
constexpr unsigned kIncAll = kIncRead | kIncMatch | kIncWildcard | kIncBrace;

// Empty lines with room kept for reuse (NextLine): a few are enough, as the parser gives
// a line back soon after it takes one.
constexpr size_t kMaxSpareLines = 64;
// The words of most lines: a keyword and up to three values.
constexpr size_t kUsualWords = 4;
// keepalived reads lines into a 1024-byte buffer (fgets), so longer lines are split.
constexpr size_t kKeepalivedLineMax = 1023;
// Bound on the names one include pattern's braces may expand to.
constexpr size_t kMaxBraceAlternatives = 1024;

// What the scan of a plain line makes of each byte (Engine::IsPlain, EmitPlain): one table
// lookup a byte instead of a chain of compares.
constexpr uint8_t kNotPlain = 1;      // the preprocessor has work: # ! \ " ' $ @ ~
constexpr uint8_t kIncludeStart = 2;  // 'i', which may start "include"
constexpr uint8_t kWhite = 4;         // separates words: space, \t, \f, \n, \r, \v
constexpr uint8_t kBrace = 8;         // { or }: the line splits there
constexpr std::array<uint8_t, 256> kByteKinds = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned char c : std::string_view("#!\\\"'$@~")) t[c] = kNotPlain;
  t['i'] = kIncludeStart;
  for (unsigned char c : std::string_view(" \t\f\n\r\v")) t[c] = kWhite;
  t['{'] = t['}'] = kBrace;
  return t;
}();

uint8_t ByteKind(char c) { return kByteKinds[static_cast<unsigned char>(c)]; }

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool IsAlpha(int c) { return c >= 0 && std::isalpha(c) != 0; }
bool IsAlnum(int c) { return c >= 0 && std::isalnum(c) != 0; }
bool IsNameStart(int c) { return IsAlpha(c) || c == '_'; }
bool IsNameChar(int c) { return IsAlnum(c) || c == '_'; }

size_t SkipBlanks(std::string_view s, size_t p) {
  while (p < s.size() && IsBlank(s[p])) ++p;
  return p;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string JoinPath(const std::string& dir, const std::string& rel) {
  if (dir.empty()) return rel;
  if (dir.back() == '/') return dir + rel;
  return dir + "/" + rel;
}

bool HasWildcard(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '*' || s[i] == '?' || s[i] == '[') {
      return true;
    }
  }
  return false;
}

bool HasBrace(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '{') {
      return true;
    }
  }
  return false;
}

std::string ErrorText(const Error& e) {
  if (e.sys_errno() != 0) return std::strerror(e.sys_errno());
  return e.ToString();
}

// One line of text on its way through the preprocessor, with where it came from.
struct WorkLine {
  uint32_t file = SourceLoc::kNoFile;
  uint32_t line = 0;
  AnnotatedText text;

  SourceLoc LocAt(size_t offset) const {
    uint32_t col = 1;
    if (offset < text.size()) {
      col = text.column[offset];
    } else if (!text.empty()) {
      col = text.column.back();
    }
    return SourceLoc{file, line, col};
  }
};

enum class Builtin { kNone, kPwd, kInstance, kRandom, kEnv, kHash, kBang };

struct Def {
  std::string value;
  bool multiline = false;
  Builtin builtin = Builtin::kNone;
  bool takes_params = false;
};

// Which $NAME expansion produced a byte: a chain of names back to the source text.
struct Frame {
  std::string name;
  uint32_t parent = 0;
  uint32_t depth = 0;
};

// A place lines come from. The preprocessor reads from the top of a stack of these.
struct Source {
  enum class Kind { kFile, kGlob, kSeq, kList, kLines };
  Kind kind = Kind::kLines;

  // kFile
  uint32_t file_id = 0;
  std::string canonical;
  size_t offset = 0;
  uint32_t line_no = 0;
  unsigned saved_include_check = 0;
  bool has_nul = false;  // the text holds a NUL byte somewhere (one search of the whole file)

  // kGlob
  std::vector<std::string> matches;
  size_t next_match = 0;
  unsigned include_flags = 0;
  SourceLoc include_loc;

  // kSeq
  std::string var;
  int64_t seq_next = 0;
  int64_t seq_step = 1;
  uint64_t seq_remaining = 0;
  bool hex = false;

  // kList
  std::vector<std::string> params;
  std::vector<std::vector<std::string>> values;
  size_t next_value = 0;

  // kSeq, kList: the rest of the line, repeated
  WorkLine body;

  // kLines
  std::vector<WorkLine> lines;
  size_t next_line = 0;
};

// Text held in reverse so that expansion results can be pushed back in front cheaply.
struct ReversedText {
  std::string bytes;
  std::vector<uint32_t> column;
  std::vector<uint32_t> tag;

  // Holds `text`, in reverse, instead of what it held.
  void Assign(const AnnotatedText& text) {
    bytes.resize(text.size());
    column.resize(text.size());
    tag.resize(text.size());
    std::reverse_copy(text.bytes.begin(), text.bytes.end(), bytes.begin());
    std::reverse_copy(text.column.begin(), text.column.end(), column.begin());
    std::reverse_copy(text.tag.begin(), text.tag.end(), tag.begin());
  }

  size_t size() const { return bytes.size(); }
  // Puts `text` in front, each byte with column `col` and tag `t`.
  void PushFront(std::string_view text, uint32_t col, uint32_t t) {
    bytes.append(text.rbegin(), text.rend());
    column.insert(column.end(), text.size(), col);
    tag.insert(tag.end(), text.size(), t);
  }
  void Pop(size_t n) {
    bytes.resize(bytes.size() - n);
    column.resize(column.size() - n);
    tag.resize(tag.size() - n);
  }
  // Returns the k-th byte from the front, or -1 past the end.
  int At(size_t k) const {
    return k < bytes.size() ? static_cast<unsigned char>(bytes[bytes.size() - 1 - k]) : -1;
  }
  // Moves the front byte and the bytes after it up to the next '$' (or all, with
  // `all`) to the end of `out`.
  void MoveFrontTo(AnnotatedText& out, bool all = false) {
    size_t n = 1;
    if (all) n = bytes.size();
    else while (n < bytes.size() && bytes[bytes.size() - 1 - n] != '$') ++n;
    const size_t from = bytes.size() - n, at = out.size();
    out.bytes.resize(at + n);
    out.column.resize(at + n);
    out.tag.resize(at + n);
    std::reverse_copy(bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.end(),
                      out.bytes.begin() + static_cast<std::ptrdiff_t>(at));
    std::reverse_copy(column.begin() + static_cast<std::ptrdiff_t>(from), column.end(),
                      out.column.begin() + static_cast<std::ptrdiff_t>(at));
    std::reverse_copy(tag.begin() + static_cast<std::ptrdiff_t>(from), tag.end(),
                      out.tag.begin() + static_cast<std::ptrdiff_t>(at));
    Pop(n);
  }
};

class Engine {
 public:
  Engine(FileSystem& fs, const PreprocessOptions& options, SourceFiles& files,
         Diagnostics& diags)
      : fs_(fs), options_(options), files_(files), diags_(diags), rng_(options.random_seed) {
    frames_.push_back(Frame{});
    mode_ = options.shell_quoting ? QuoteMode::kShell : QuoteMode::kKeepalived;
    include_check_ = options.fail_on_missing_include ? kIncAll : 0;
    defs_["_PWD"] = Def{"", false, Builtin::kPwd, false};
    defs_["_INSTANCE"] = Def{"", false, Builtin::kInstance, false};
    defs_["_RANDOM"] = Def{"", false, Builtin::kRandom, true};
    defs_["_ENV"] = Def{"", false, Builtin::kEnv, true};
    defs_["_HASH"] = Def{"#", false, Builtin::kHash, false};
    defs_["_BANG"] = Def{"!", false, Builtin::kBang, false};
  }

  // Reads the top-level file; false (with a fatal diagnostic) if it cannot be read.
  bool Start(const std::string& path) {
    Result<std::string> text = fs_.ReadFile(path);
    if (!text) {
      diags_.Fatal(SourceLoc{},
                   "cannot read configuration file '" + path + "': " + ErrorText(text.error()),
                   Grade::kCannotRun);
      return false;
    }
    if (fs_.Executable(path)) {
      diags_.Fatal(SourceLoc{}, "configuration file '" + path + "' is executable: " +
                                    kNotExecutable, Grade::kCannotRun);
      return false;
    }
    PushFile(path, std::move(*text), include_check_);
    return true;
  }

  // Moves the next logical line into `line`, reading as far as it takes; false at the end.
  bool NextLine(Line& line) {
    while (out_.empty() && !stack_.empty() && !aborted_) {
      std::optional<WorkLine> w = Next();
      if (w) Handle(std::move(*w));
    }
    if (out_.empty()) return false;
    // The room of the line given (one the reader has done with) serves a later line.
    if (line.capacity() != 0 && spare_.size() < kMaxSpareLines) {
      line.clear();
      spare_.push_back(std::move(line));
    }
    line = std::move(out_.front());
    out_.pop_front();
    return true;
  }

 private:
  struct FileInfo {
    std::string path;  // as registered in SourceFiles
    std::string dir;   // directory for relative includes ("" = current directory)
    std::string pwd;   // canonical directory, the value of ${_PWD}
  };

  // ---- budget ----

  // Counts one unit of work; returns false once the configuration is too big to go on.
  bool Charge(SourceLoc loc) {
    if (++work_ <= options_.max_output_lines) return true;
    if (!aborted_) {
      diags_.Fatal(loc, "configuration expands to more than " +
                            std::to_string(options_.max_output_lines) +
                            " lines; the rest is ignored",
                   Grade::kCannotRun);
    }
    aborted_ = true;
    return false;
  }

  // ---- sources ----

  void PushFile(const std::string& path, std::string text, unsigned saved_include_check) {
    std::string canonical = fs_.Canonical(path);
    uint32_t id = files_.Add(path, std::move(text));
    FileInfo info;
    info.path = path;
    info.dir = DirName(path);
    info.pwd = fs_.Canonical(info.dir.empty() ? "." : info.dir);
    file_info_[id] = std::move(info);
    Source s;
    s.kind = Source::Kind::kFile;
    s.file_id = id;
    s.canonical = std::move(canonical);
    s.saved_include_check = saved_include_check;
    s.has_nul = files_.Text(id).find('\0') != std::string_view::npos;
    stack_.push_back(std::move(s));
  }

  std::optional<WorkLine> Next() {
    Source& s = stack_.back();
    switch (s.kind) {
      case Source::Kind::kFile:
        return ReadPhysicalLine();
      case Source::Kind::kGlob:
        OpenNextMatch();
        return std::nullopt;
      case Source::Kind::kSeq: {
        if (s.seq_remaining == 0) {
          stack_.pop_back();
          return std::nullopt;
        }
        if (!Charge(s.body.LocAt(0))) return std::nullopt;
        char buf[32];
        if (s.hex) {
          std::snprintf(buf, sizeof buf, "%lx", static_cast<unsigned long>(s.seq_next));
        } else {
          std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(s.seq_next));
        }
        SetVariable(s.var, buf);
        if (--s.seq_remaining > 0) {
          s.seq_next = static_cast<int64_t>(static_cast<uint64_t>(s.seq_next) +
                                            static_cast<uint64_t>(s.seq_step));
        }
        return s.body;
      }
      case Source::Kind::kList: {
        if (s.next_value >= s.values.size()) {
          stack_.pop_back();
          return std::nullopt;
        }
        if (!Charge(s.body.LocAt(0))) return std::nullopt;
        const std::vector<std::string>& set = s.values[s.next_value++];
        for (size_t i = 0; i < s.params.size(); ++i) SetVariable(s.params[i], set[i]);
        return s.body;
      }
      case Source::Kind::kLines: {
        if (s.next_line >= s.lines.size()) {
          stack_.pop_back();
          return std::nullopt;
        }
        WorkLine w = std::move(s.lines[s.next_line++]);
        if (!Charge(w.LocAt(0))) return std::nullopt;
        return w;
      }
    }
    return std::nullopt;
  }

  std::optional<WorkLine> ReadPhysicalLine() {
    Source& s = stack_.back();
    std::string_view all = files_.Text(s.file_id);
    if (s.offset >= all.size()) {
      include_check_ = s.saved_include_check;
      stack_.pop_back();
      return std::nullopt;
    }
    size_t nl = all.find('\n', s.offset);
    size_t end = nl == std::string_view::npos ? all.size() : nl;
    std::string_view raw = all.substr(s.offset, end - s.offset);
    s.offset = nl == std::string_view::npos ? all.size() : nl + 1;
    ++s.line_no;
    SourceLoc loc{s.file_id, s.line_no, 1};
    if (!Charge(loc)) return std::nullopt;

    while (!raw.empty() && (raw.back() == '\r' || raw.back() == '\n')) raw.remove_suffix(1);
    if (size_t nul = s.has_nul ? raw.find('\0') : std::string_view::npos;
        nul != std::string_view::npos) {
      diags_.Warning(SourceLoc{s.file_id, s.line_no, static_cast<uint32_t>(nul + 1)},
                     "line contains a NUL byte; the rest of the line is ignored");
      raw = raw.substr(0, nul);
    }
    if (raw.size() > options_.max_line_bytes) {
      diags_.Error(loc, "line is longer than " + std::to_string(options_.max_line_bytes) +
                            " bytes; the rest of the line is ignored");
      raw = raw.substr(0, options_.max_line_bytes);
    } else if (raw.size() > kKeepalivedLineMax) {
      diags_.Warning(loc, "line is " + std::to_string(raw.size()) +
                              " bytes long; keepalived reads at most " +
                              std::to_string(kKeepalivedLineMax) +
                              " bytes of a line and would split it");
    }
    if (raw.empty()) {
      // An empty line ends a multi-line definition (a comment-only line does not).
      if (!multiline_def_.empty()) EndMultilineDefinition();
      return std::nullopt;
    }
    // The indentation is skipped once, not by each scan; the plain scan notes braces.
    const size_t lead = SkipBlanks(raw, 0);
    bool braces = false;
    if (multiline_def_.empty() && IsPlain(raw.substr(lead), braces)) {
      EmitPlain(s.file_id, s.line_no, raw, lead, braces);
      return std::nullopt;
    }
    WorkLine w{s.file_id, s.line_no, AnnotatedText::FromSource(raw)};
    Decomment(w.text);
    if (w.text.empty()) return std::nullopt;
    return w;
  }

  // ---- plain lines ----

  // A line with nothing for the preprocessor to do: no comment, quote, escape, definition,
  // expansion, @ID, ~SEQ/~LST or include. Nearly every line of a large configuration is
  // one; it is lexed straight from the file's text (no per-byte annotations).
  // `braces` is set iff it has a { or }.
  static bool IsPlain(std::string_view raw, bool& braces) {
    for (size_t i = 0; i < raw.size(); ++i) {
      const uint8_t kind = ByteKind(raw[i]);
      if (kind & kNotPlain) return false;
      braces |= (kind & kBrace) != 0;
      if ((kind & kIncludeStart) && raw.substr(i).starts_with("include")) return false;
    }
    return true;
  }

  // What ReadPhysicalLine, Handle and Emit do with a plain line, in one pass: blanks
  // around it go, it splits before and after each brace (each piece after the first is
  // charged as a line of its own, as Handle's pieces are), and each piece is lexed.
  // `lead`: the blanks raw starts with; `braces`: whether it has a { or }.
  void EmitPlain(uint32_t file, uint32_t line, std::string_view raw, size_t lead, bool braces) {
    const size_t first = lead;
    size_t last = raw.size();
    while (last > first && IsBlank(raw[last - 1])) --last;
    if (first == last) return;
    const std::string_view s = raw.substr(first, last - first);
    const uint32_t base = static_cast<uint32_t>(first) + 1;  // column of s[0]
    auto emit = [&](size_t pos, size_t len, bool charge) {
      if (charge && !Charge(SourceLoc{file, line, base + static_cast<uint32_t>(pos)}))
        return false;
      const size_t end = pos + len;
      // Room for a usual line's words at once; a spare line has it already (no count of
      // the words first: that was a pass over the bytes of its own).
      std::vector<Token> tokens = SpareLine();
      tokens.reserve(kUsualWords);
      for (size_t i = pos; i < end;) {
        while (i < end && IsWhiteByte(s[i])) ++i;
        if (i >= end) break;
        const size_t start = i;
        while (i < end && !IsWhiteByte(s[i])) ++i;
        tokens.push_back(Token{std::string(s.substr(start, i - start)),
                               SourceLoc{file, line, base + static_cast<uint32_t>(start)},
                               false});
      }
      if (tokens.empty()) return true;
      TrackBlocks(tokens);
      out_.push_back(std::move(tokens));
      return true;
    };
    if (!braces) {  // one piece, no brace to look for
      emit(0, s.size(), false);
      return;
    }
    size_t pos = 0;
    bool charge = false;
    while (pos < s.size()) {
      // (A loop, not find_first_of, which looks for each byte in "{}" with a call.)
      size_t b = pos;
      while (b < s.size() && s[b] != '{' && s[b] != '}') ++b;
      if (b == s.size()) {
        emit(pos, s.size() - pos, charge);
        return;
      }
      if (b > pos) {
        // Handle trims each piece's trailing blanks; the lexer skips them anyway.
        if (!emit(pos, b - pos, charge)) return;
        charge = true;
      }
      if (!emit(b, 1, charge)) return;
      charge = true;
      pos = SkipBlanks(s, b + 1);
    }
  }

  static bool IsWhiteByte(char c) { return ByteKind(c) & kWhite; }

  // Returns an empty line, with the room of one the reader gave back if there is one (a
  // line's vector allocated once serves many: 8 lines a real_server block at 37,000 of them).
  Line SpareLine() {
    if (spare_.empty()) return Line();
    Line line = std::move(spare_.back());
    spare_.pop_back();
    return line;
  }

  // ---- one line ----

  void Handle(WorkLine w) {
    if (!multiline_def_.empty()) {
      AppendToMultilineDefinition(w);
      return;
    }
    std::set<std::string> reported;  // names already reported for this line
    for (size_t pass = 0;; ++pass) {
      if (w.text.empty()) return;
      const std::string& s = w.text.bytes;
      if (s[0] == '@' && !ApplyConditional(w)) return;
      if (w.text.empty()) return;
      if (s[0] == '$' && TryDefinition(w)) return;
      if (s.starts_with("~SEQ")) {
        AddSeq(w);
        return;
      }
      if (s.starts_with("~LST")) {
        AddList(w);
        return;
      }
      if (s[0] == '~') break;
      if (s.find('$') == std::string::npos) break;
      if (pass >= options_.max_expansion_depth) break;
      std::vector<WorkLine> rest;
      bool hit_loop = false;
      if (!Expand(w, rest, hit_loop, reported)) break;
      if (!rest.empty()) PushLines(std::move(rest));
      Decomment(w.text);
      if (w.text.empty()) return;
      if (reported.contains("")) break;
      if (!hit_loop && w.text.bytes[0] != '@' && w.text.bytes.find('$') == std::string::npos) {
        break;
      }
    }
    if (w.text.empty()) return;
    if (IsInclude(w.text.bytes)) {
      Include(w);
      return;
    }
    // Like keepalived, split the line before and after each brace outside quotes. The
    // first piece is done; the others go through the whole pipeline again (keepalived
    // re-reads them as new lines, so `{ @id x` and `} $X=1` behave as on their own).
    const std::string& s = w.text.bytes;
    size_t brace = FindBrace(s, mode_);
    if (brace != std::string::npos) {
      std::vector<WorkLine> pieces;
      size_t pos = 0;
      while (pos < s.size()) {
        size_t b = FindBrace(std::string_view(s).substr(pos), mode_);
        if (b == std::string::npos) {
          pieces.push_back(WorkLine{w.file, w.line, w.text.Sub(pos)});
          break;
        }
        b += pos;
        if (b > pos) pieces.push_back(WorkLine{w.file, w.line, w.text.Sub(pos, b - pos)});
        pieces.push_back(WorkLine{w.file, w.line, w.text.Sub(b, 1)});
        pos = SkipBlanks(s, b + 1);
      }
      for (WorkLine& piece : pieces) TrimTrailingBlanks(piece.text);
      w = std::move(pieces.front());
      pieces.erase(pieces.begin());
      if (!pieces.empty()) PushLines(std::move(pieces));
    }
    Emit(w);
  }

  static void TrimTrailingBlanks(AnnotatedText& t) {
    size_t len = t.size();
    while (len > 0 && IsBlank(t.bytes[len - 1])) --len;
    t.Truncate(len);
  }

  void PushLines(std::vector<WorkLine> lines) {
    Source s;
    s.kind = Source::Kind::kLines;
    s.lines = std::move(lines);
    stack_.push_back(std::move(s));
  }

  void Emit(const WorkLine& w) {
    std::vector<LexProblem> problems;
    std::vector<Token> tokens = LexLine(w.text, w.file, w.line, mode_, problems);
    for (const LexProblem& p : problems) {
      diags_.Error(SourceLoc{w.file, w.line, p.column}, p.message);
    }
    if (tokens.empty()) return;
    TrackBlocks(tokens);
    out_.push_back(std::move(tokens));
  }

  // Follows block nesting to apply `include_check` inside global_defs, as keepalived does.
  void TrackBlocks(const std::vector<Token>& tokens) {
    if (tokens.size() == 1 && tokens[0].IsOpen()) {
      blocks_.push_back(last_is_global_defs_);
      return;
    }
    if (tokens.size() == 1 && tokens[0].IsClose()) {
      if (!blocks_.empty()) blocks_.pop_back();
      return;
    }
    last_is_global_defs_ = std::string_view(tokens[0].text) == std::string_view("global_defs");
    if (blocks_.size() != 1 || !blocks_[0]) return;
    if (tokens[0].text == "include_check") ApplyIncludeCheck(tokens);
    if (tokens[0].text == "random_seed") ApplyRandomSeed(tokens);
  }

  // `random_seed N` makes the ${_RANDOM} values after it repeatable (keepalived's man page;
  // a bad value is left for the builder to report).
  void ApplyRandomSeed(const std::vector<Token>& tokens) {
    if (tokens.size() < 2) return;
    if (auto v = ParseIntegerText(tokens[1].text); v && *v >= 0 && *v <= UINT32_MAX)
      rng_.seed(static_cast<uint64_t>(*v));
  }

  // keepalived's include_check: no option = all; "+x"/"-x" add or remove; a bare first
  // option replaces. Unknown options are left for the keyword checker to report.
  void ApplyIncludeCheck(const std::vector<Token>& tokens) {
    if (tokens.size() == 1) {
      include_check_ = kIncAll;
      return;
    }
    for (size_t i = 1; i < tokens.size(); ++i) {
      std::string_view word = tokens[i].text;
      int op = 0;
      if (word.starts_with('-')) {
        op = -1;
        word.remove_prefix(1);
      } else if (word.starts_with('+')) {
        op = 1;
        word.remove_prefix(1);
      } else if (i == 1) {
        include_check_ = 0;
      } else {
        continue;
      }
      unsigned flag = 0;
      if (word == "read") flag = kIncRead;
      if (word == "match") flag = kIncMatch;
      if (word == "wildcard_match") flag = kIncWildcard;
      if (word == "brace_match") flag = kIncBrace;
      if (flag == 0) continue;
      if (op == 0) {
        include_check_ = kIncRead | flag;
      } else if (op > 0) {
        include_check_ |= flag;
      } else {
        include_check_ &= ~flag;
      }
    }
  }

  // ---- @ID ----

  // Returns false if the line is to be dropped; otherwise strips the `@ID` prefix.
  bool ApplyConditional(WorkLine& w) {
    const std::string& s = w.text.bytes;
    bool negate = s.size() > 1 && s[1] == '^';
    size_t ofs = negate ? 2 : 1;
    size_t space = s.find_first_of(" \t", ofs);
    if (space == std::string::npos) return false;
    bool match = std::string_view(s).substr(ofs, space - ofs) == options_.config_id;
    if (match == negate) {
      // Remember a definition this config id skips, to explain an undefined use of it.
      const size_t d = SkipBlanks(s, space);
      const size_t eq = s.find('=', d);
      if (d + 1 < s.size() && s[d] == '$' && eq != std::string::npos &&
          IsNameStart(static_cast<unsigned char>(s[d + 1]))) {
        std::string name = s.substr(d + 1, eq - d - 1);
        if (std::all_of(name.begin(), name.end(),
                        [](char c) { return IsNameChar(static_cast<unsigned char>(c)); })) {
          std::string& ids = skipped_defs_[name];
          if (!ids.empty()) ids += ", ";
          ids += s.substr(0, space);
        }
      }
      return false;
    }
    w.text.Erase(0, SkipBlanks(s, space));
    return true;
  }

  // ---- $NAME=VALUE ----

  bool TryDefinition(WorkLine& w) {
    const std::string& s = w.text.bytes;
    if (s.size() < 2 || !IsNameStart(static_cast<unsigned char>(s[1]))) return false;
    size_t i = 2;
    while (i < s.size() && s[i] != '=') {
      if (!IsNameChar(static_cast<unsigned char>(s[i]))) return false;
      ++i;
    }
    if (i >= s.size()) return false;
    std::string name = s.substr(1, i - 1);
    size_t v = SkipBlanks(s, i + 1);
    std::string value = s.substr(v);
    bool multiline = false;
    if (!value.empty() && value.back() == '\\') {
      multiline = true;
      size_t len = value.size();
      while (len >= 2 && IsBlank(value[len - 2])) --len;
      value = len < 2 ? std::string() : value.substr(0, len - 1) + "\n";
    }
    Def& d = defs_[name];
    d = Def{std::move(value), multiline, Builtin::kNone, false};
    if (multiline) {
      multiline_def_ = name;
      multiline_def_loc_ = w.LocAt(0);
    }
    return true;
  }

  void AppendToMultilineDefinition(const WorkLine& w) {
    Def& d = defs_[multiline_def_];
    std::string piece = w.text.bytes;
    bool more = !piece.empty() && piece.back() == '\\';
    if (more) {
      piece.pop_back();
      while (!piece.empty() && IsBlank(piece.back())) piece.pop_back();
      piece += '\n';
    } else {
      EndMultilineDefinition();
    }
    if (piece.size() >= 2 || (!piece.empty() && !more)) {
      if (d.value.size() + piece.size() > options_.max_line_bytes) {
        diags_.Error(w.LocAt(0), "definition of '$" + multiline_def_ + "' is longer than " +
                                     std::to_string(options_.max_line_bytes) +
                                     " bytes; the rest is ignored");
        return;
      }
      d.value += piece;
    }
  }

  void EndMultilineDefinition() {
    Def& d = defs_[multiline_def_];
    if (d.value.empty()) d.multiline = false;
    multiline_def_.clear();
  }

  void SetVariable(const std::string& name, std::string value) {
    defs_[name] = Def{std::move(value), false, Builtin::kNone, false};
  }

  // ---- $NAME / ${NAME} expansion ----

  struct Use {
    const Def* def = nullptr;
    std::string name;
    std::string params;
    size_t consumed = 0;
  };

  // Recognises a use of a definition at the front of `in` (which starts with '$').
  std::optional<Use> MatchUse(const ReversedText& in) const {
    size_t k = 1;
    bool braces = in.At(1) == '{';
    if (braces) k = 2;
    if (!IsNameStart(in.At(k))) return std::nullopt;
    Use u;
    while (IsNameChar(in.At(k))) u.name += static_cast<char>(in.At(k++));
    if (braces) {
      size_t first = std::string::npos, last = 0;
      for (int c = in.At(k); c == ' ' || IsNameChar(c); c = in.At(++k)) {
        if (c != ' ') {
          if (first == std::string::npos) first = k;
          last = k;
        }
      }
      if (first != std::string::npos) {
        if (last + 1 != k) return std::nullopt;  // parameters may not end with a space
        for (size_t j = first; j <= last; ++j) u.params += static_cast<char>(in.At(j));
      }
      if (in.At(k) != '}') return std::nullopt;
      u.consumed = k + 1;
    } else {
      int c = in.At(k);
      if (c != ' ' && c != '\t' && c != ',' && c != ')' && c != -1) return std::nullopt;
      u.consumed = k;
    }
    auto it = defs_.find(u.name);
    if (it == defs_.end()) {
      undefined_use_ = u.name;
      return std::nullopt;
    }
    const Def& d = it->second;
    // A multi-line definition is only expanded at the end of a line.
    if (d.multiline && u.consumed != in.size()) return std::nullopt;
    if (!u.params.empty()) {
      if (!d.takes_params) return std::nullopt;
      if (d.builtin == Builtin::kRandom &&
          u.params.find_first_not_of("0123456789 ") != std::string::npos) {
        return std::nullopt;
      }
    } else if (d.builtin == Builtin::kEnv) {
      return std::nullopt;
    }
    u.def = &d;
    return u;
  }

  uint32_t InternFrame(const std::string& name, uint32_t parent) {
    auto key = std::make_pair(parent, name);
    auto it = frame_ids_.find(key);
    if (it != frame_ids_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(frames_.size());
    frames_.push_back(Frame{name, parent, frames_[parent].depth + 1});
    frame_ids_.emplace(std::move(key), id);
    return id;
  }

  // Returns the loop message if expanding `name` inside frame `tag` would recurse.
  std::optional<std::string> RecursionMessage(uint32_t tag, const std::string& name) const {
    uint32_t found = tag;
    while (found != 0 && frames_[found].name != name) found = frames_[found].parent;
    if (found == 0) return std::nullopt;
    std::vector<std::string> chain;
    for (uint32_t f = tag;; f = frames_[f].parent) {
      chain.push_back(frames_[f].name);
      if (f == found) break;
    }
    if (chain.size() == 1) return "definition '$" + name + "' refers to itself";
    std::string msg = "definitions refer to each other in a loop: ";
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) msg += "$" + *it + " -> ";
    return msg + "$" + name;
  }

  // Returns the value of the use `u`: a definition's own text (valid until definitions
  // change), or a computed value kept in `storage`.
  std::string_view Value(const Use& u, const WorkLine& w, SourceLoc loc, std::string& storage) {
    const Def& d = *u.def;
    switch (d.builtin) {
      case Builtin::kNone:
      case Builtin::kHash:
      case Builtin::kBang:
        return d.value;
      case Builtin::kPwd: {
        auto it = file_info_.find(w.file);
        storage = it == file_info_.end() ? std::string(".") : it->second.pwd;
        return storage;
      }
      case Builtin::kInstance:
        storage = options_.instance.empty() ? options_.config_id : options_.instance;
        return storage;
      case Builtin::kEnv: {
        storage = options_.getenv ? options_.getenv(u.params).value_or("") : "";
        return storage;
      }
      case Builtin::kRandom:
        storage = Random(u.params, loc);
        return storage;
    }
    return d.value;
  }

  std::string Random(const std::string& params, SourceLoc loc) {
    unsigned long long lo = 0, hi = 32767;
    std::vector<unsigned long long> nums;
    const char* p = params.c_str();
    while (*p != '\0') {
      char* end = nullptr;
      errno = 0;
      unsigned long long v = std::strtoull(p, &end, 10);
      if (end == p) break;
      nums.push_back(v);
      p = end;
    }
    if (nums.size() > 2) {
      diags_.Warning(loc, "too many parameters for ${_RANDOM}: '" + params +
                              "'; only the first two are used");
    }
    if (!nums.empty()) lo = nums[0];
    if (nums.size() > 1) hi = nums[1];
    if (lo > hi) {
      diags_.Error(loc, "${_RANDOM}: the minimum " + std::to_string(lo) +
                            " is greater than the maximum " + std::to_string(hi));
      hi = lo;
    }
    unsigned long long span = hi - lo + 1;
    unsigned long long r = rng_();
    return std::to_string(span == 0 ? r : lo + r % span);
  }

  // Warns once per name, at its first use, when `name` is undefined only because every
  // definition of it is guarded by an @ID this config id does not select: keepalived then
  // leaves the use as written (and a `${NAME}` splits at its braces), and so does vigil.
  void ExplainUndefined(const std::string& name, SourceLoc loc) {
    auto it = skipped_defs_.find(name);
    if (it == skipped_defs_.end() || !explained_.insert(name).second) return;
    diags_.Warning(loc, "'" + name + "' is not defined: its definitions are only for " +
                            it->second + " and the config id is '" + options_.config_id +
                            "' (-i); the text stays as written, as in keepalived");
  }

  // Expands the definitions used in `w`, rescanning each value where it lands (as
  // keepalived does). Lines after the first of a multi-line definition go to `rest`.
  // Returns true if anything was replaced.
  bool Expand(WorkLine& w, std::vector<WorkLine>& rest, bool& hit_loop,
              std::set<std::string>& reported) {
    // The scratch texts keep their buffers from line to line (Expand is not re-entered).
    const AnnotatedText& src = w.text;
    ReversedText& in = expand_in_;
    in.Assign(src);
    const size_t limit = std::max(options_.max_expanded_bytes, src.size());
    AnnotatedText& out = expand_out_;
    out.Truncate(0);
    bool replaced = false;
    while (in.size() > 0) {
      if (in.At(0) != '$' || in.size() < 2) {
        in.MoveFrontTo(out);
        continue;
      }
      undefined_use_.clear();
      std::optional<Use> use = MatchUse(in);
      if (!use) {
        if (!undefined_use_.empty())
          ExplainUndefined(undefined_use_, {w.file, w.line, in.column.back()});
        in.MoveFrontTo(out);
        continue;
      }
      const uint32_t tag = in.tag.back();
      const SourceLoc loc{w.file, w.line, in.column.back()};
      if (std::optional<std::string> msg = RecursionMessage(tag, use->name)) {
        if (reported.insert(use->name).second) diags_.Error(loc, *msg);
        in.MoveFrontTo(out);
        continue;
      }
      if (frames_[tag].depth + 1 > options_.max_expansion_depth) {
        if (reported.insert(use->name).second) {
          diags_.Error(loc, "definitions are nested more than " +
                                std::to_string(options_.max_expansion_depth) +
                                " deep; '$" + use->name + "' is not expanded");
        }
        in.MoveFrontTo(out);
        continue;
      }
      std::string storage;
      const std::string_view value = Value(*use, w, loc, storage);
      const bool multiline = use->def->multiline;
      in.Pop(use->consumed);
      const uint32_t frame = InternFrame(use->name, tag);
      std::string_view first = value;
      if (multiline) {
        size_t nl = value.find('\n');
        if (nl != std::string::npos) {
          first = value.substr(0, nl);
          std::vector<WorkLine> lines;
          std::string_view more = value.substr(nl + 1);
          while (true) {
            size_t e = more.find('\n');
            std::string_view piece = more.substr(0, e);
            WorkLine l{w.file, w.line, {}};
            l.text.bytes.assign(piece);
            l.text.column.assign(piece.size(), loc.column);
            l.text.tag.assign(piece.size(), frame);
            lines.push_back(std::move(l));
            if (e == std::string_view::npos) break;
            more.remove_prefix(e + 1);
          }
          rest.insert(rest.begin(), std::make_move_iterator(lines.begin()),
                      std::make_move_iterator(lines.end()));
        }
      }
      if (out.size() + in.size() + first.size() > limit) {
        // reported[""] marks the overflow: no further expansion passes on this line.
        if (reported.insert("").second) {
          diags_.Error(loc, "line is longer than " + std::to_string(limit) +
                                " bytes after expanding '$" + use->name +
                                "'; the expansion is dropped");
        }
        if (in.size() > 0) in.MoveFrontTo(out, /*all=*/true);
        break;
      }
      in.PushFront(first, loc.column, frame);
      replaced = true;
      size_t nb = value.find_first_not_of(" \t");
      if (nb != std::string::npos && value[nb] == '~') {
        // As in keepalived, a value that starts a ~SEQ/~LST stops the scan; the loop
        // expands the rest of the line on each pass.
        hit_loop = true;
        if (in.size() > 0) in.MoveFrontTo(out, /*all=*/true);
        break;
      }
    }
    w.text = out;  // a copy: both keep their buffers
    return replaced;
  }

  // ---- ~SEQ / ~LST ----

  void AddSeq(const WorkLine& w) {
    const std::string& s = w.text.bytes;
    const SourceLoc loc = w.LocAt(0);
    size_t p = 4;
    bool hex = p < s.size() && s[p] == 'x';
    if (hex) ++p;
    const std::string what = hex ? "~SEQx" : "~SEQ";
    const std::string usage = what + " expects (var, [start,] [step,] end) with integer values";
    p = SkipBlanks(s, p);
    if (p >= s.size() || s[p] != '(') {
      diags_.Error(loc, "'(' expected after " + what);
      return;
    }
    p = SkipBlanks(s, p + 1);
    size_t var_start = p;
    while (p < s.size() && !IsBlank(s[p]) && s[p] != ',' && s[p] != ')') ++p;
    std::string var = s.substr(var_start, p - var_start);
    p = SkipBlanks(s, p);
    if (var.empty() || p >= s.size() || s[p] != ',') {
      diags_.Error(loc, usage);
      return;
    }
    ++p;
    size_t close = s.find(')', p);
    if (close == std::string::npos) {
      diags_.Error(loc, what + " has no closing ')'");
      return;
    }
    WorkLine params{w.file, w.line, w.text.Sub(p, close + 1 - p)};
    std::vector<WorkLine> rest;
    bool hit_loop = false;
    std::set<std::string> reported;
    Expand(params, rest, hit_loop, reported);
    if (!rest.empty() || hit_loop) {
      diags_.Error(loc, what + " values cannot use a multi-line definition or a loop");
      return;
    }
    std::vector<long long> nums;
    const char* q = params.text.bytes.c_str();
    while (true) {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(q, &end, 0);
      q = end;
      while (*q == ' ' || *q == '\t') ++q;
      nums.push_back(v);
      if (*q == ')') break;
      if (*q != ',' || nums.size() == 3) {
        diags_.Error(loc, usage);
        return;
      }
      ++q;
    }
    long long start, step, last;
    if (nums.size() == 1) {
      last = nums[0];
      step = last < 1 ? -1 : 1;
      start = last < 0 ? -1 : 1;
    } else if (nums.size() == 2) {
      start = nums[0];
      last = nums[1];
      step = start <= last ? 1 : -1;
    } else {
      start = nums[0];
      step = nums[1];
      last = nums[2];
      if (step == 0 || (start < last && step < 0) || (start > last && step > 0)) {
        diags_.Error(loc, what + " step " + std::to_string(step) + " cannot go from " +
                              std::to_string(start) + " to " + std::to_string(last));
        return;
      }
    }
    if (hex && (start < 0 || last < 0)) {
      diags_.Error(loc, "~SEQx is only valid for non-negative values");
      return;
    }
    __int128 count = (static_cast<__int128>(last) - start) / step + 1;
    if (count > static_cast<__int128>(options_.max_output_lines)) {
      diags_.Fatal(loc, what + " would repeat the line " + Int128ToString(count) +
                            " times, more than the limit of " +
                            std::to_string(options_.max_output_lines));
      return;
    }
    Source src;
    src.kind = Source::Kind::kSeq;
    src.var = std::move(var);
    src.seq_next = start;
    src.seq_step = step;
    src.seq_remaining = static_cast<uint64_t>(count);
    src.hex = hex;
    src.body = WorkLine{w.file, w.line, w.text.Sub(SkipBlanks(s, close + 1))};
    stack_.push_back(std::move(src));
  }

  static std::string Int128ToString(__int128 v) {
    if (v == 0) return "0";
    bool neg = v < 0;
    std::string digits;
    while (v != 0) {
      int d = static_cast<int>(v % 10);
      digits += static_cast<char>('0' + (d < 0 ? -d : d));
      v /= 10;
    }
    if (neg) digits += '-';
    return std::string(digits.rbegin(), digits.rend());
  }

  void AddList(const WorkLine& w) {
    const std::string& s = w.text.bytes;
    const size_t n = s.size();
    const SourceLoc loc = w.LocAt(0);
    auto fail = [&] {
      diags_.Error(loc,
                   "~LST expects (var, value, ...) or ({var1, var2}, {value1, value2}, ...)");
    };
    size_t p = SkipBlanks(s, 4);
    if (p >= n || s[p] != '(') return fail();
    p = SkipBlanks(s, p + 1);
    char end_char = ',';
    if (p < n && s[p] == '{') {
      end_char = '}';
      p = SkipBlanks(s, p + 1);
    }
    std::vector<std::string> params;
    while (true) {
      size_t v = p;
      p = std::min(s.find_first_of(" \t,}", p), n);
      params.push_back(s.substr(v, p - v));
      p = SkipBlanks(s, p);
      if (p < n && s[p] == end_char) break;
      if (p >= n || s[p] != ',') return fail();
      p = SkipBlanks(s, p + 1);
    }
    if (s[p] == '}') p = SkipBlanks(s, p + 1);
    if (p >= n || s[p] != ',') return fail();
    p = SkipBlanks(s, p + 1);
    std::vector<std::vector<std::string>> sets;
    while (true) {
      char set_end = ',';
      if (p < n && s[p] == '{') {
        set_end = '}';
        p = SkipBlanks(s, p + 1);
      }
      std::vector<std::string> set;
      while (true) {
        size_t v = p;
        p = std::min(s.find_first_of(" \t,})", p), n);
        set.push_back(s.substr(v, p - v));
        p = SkipBlanks(s, p);
        if (p < n && (s[p] == set_end || (s[p] == ')' && set_end == ','))) break;
        if (p >= n || s[p] != ',') return fail();
        p = SkipBlanks(s, p + 1);
        if (set.size() >= params.size()) {
          diags_.Error(loc, "~LST has more values in a set than variables");
          return;
        }
      }
      set.resize(params.size());
      sets.push_back(std::move(set));
      if (s[p] == '}' && set_end == '}') p = SkipBlanks(s, p + 1);
      if (p < n && s[p] == ')') break;
      if (p >= n || s[p] != ',') return fail();
      p = SkipBlanks(s, p + 1);
    }
    Source src;
    src.kind = Source::Kind::kList;
    src.params = std::move(params);
    src.values = std::move(sets);
    src.body = WorkLine{w.file, w.line, w.text.Sub(SkipBlanks(s, p + 1))};
    stack_.push_back(std::move(src));
  }

  // ---- include ----

  static bool IsInclude(const std::string& s) {
    if (!s.starts_with("include") || s.size() < 8) return false;
    if (IsSpace(s[7])) return true;
    return s.size() > 8 && std::strchr("rmwba", s[7]) != nullptr && s[7] != '\0' &&
           IsSpace(s[8]);
  }

  // Reports an include problem: fatal if `check` is among the active checks, else a warning.
  void ReportInclude(unsigned flags, unsigned check, SourceLoc loc, std::string message) {
    if (flags & check) {
      diags_.Fatal(loc, std::move(message), Grade::kCannotRun);  // keepalived: file not found
    } else {
      diags_.Warning(loc, std::move(message));
    }
  }

  void Include(const WorkLine& w) {
    const std::string& s = w.text.bytes;
    const SourceLoc loc = w.LocAt(0);
    unsigned type = 0;
    size_t p = 8;
    if (!IsSpace(s[7])) {
      p = 9;
      switch (s[7]) {
        case 'r': type = kIncRead; break;
        case 'm': type = kIncRead | kIncMatch; break;
        case 'w': type = kIncRead | kIncMatch | kIncWildcard; break;
        case 'b': type = kIncRead | kIncBrace; break;
        default: type = kIncAll; break;  // 'a'
      }
    }
    p = SkipBlanks(s, p);
    const std::string pattern = s.substr(p);
    const unsigned flags = include_check_ | type;
    if (pattern.empty()) {
      diags_.Error(loc, "include needs a file name or pattern");
      return;
    }
    std::string full = pattern;
    if (pattern[0] != '/') {
      auto it = file_info_.find(w.file);
      if (it != file_info_.end()) full = JoinPath(it->second.dir, pattern);
    }
    std::vector<std::string> names;
    if (std::count(pattern.begin(), pattern.end(), '{') > 64 ||
        !ExpandBraces(full, names, kMaxBraceAlternatives)) {
      diags_.Error(loc, "include pattern '" + pattern + "' expands to more than " +
                            std::to_string(kMaxBraceAlternatives) + " names");
      return;
    }
    std::vector<std::string> matches;
    size_t missing = 0;
    bool wildcard_unmatched = false;
    for (const std::string& name : names) {
      std::vector<std::string> found = fs_.Glob(name);
      if (found.empty()) {
        if (HasWildcard(name)) {
          wildcard_unmatched = true;
        } else {
          ++missing;
        }
      }
      matches.insert(matches.end(), found.begin(), found.end());
    }
    const bool brace = HasBrace(pattern);
    if (matches.empty()) {
      if (missing > 0) {
        ReportInclude(flags, brace ? kIncBrace : kIncMatch, loc,
                      "included file '" + pattern + "' does not exist");
      } else if (wildcard_unmatched && (flags & kIncWildcard)) {
        ReportInclude(flags, kIncWildcard, loc, "no file matches include pattern '" + pattern + "'");
      }
      return;
    }
    if (missing > 0) {
      ReportInclude(flags, kIncBrace, loc,
                    "some files named by include pattern '" + pattern + "' do not exist");
      if (flags & kIncBrace) return;
    }
    Source g;
    g.kind = Source::Kind::kGlob;
    g.matches = std::move(matches);
    g.include_flags = flags;
    g.include_loc = loc;
    g.saved_include_check = include_check_;
    stack_.push_back(std::move(g));
  }

  // Opens the next file matched by the include on top of the stack (or pops it).
  void OpenNextMatch() {
    Source& g = stack_.back();
    if (g.next_match >= g.matches.size()) {
      stack_.pop_back();
      return;
    }
    const std::string path = g.matches[g.next_match++];
    const unsigned flags = g.include_flags;
    const SourceLoc loc = g.include_loc;
    const unsigned saved = g.saved_include_check;
    if (!Charge(loc)) return;
    if (!path.empty() && path.back() == '/') {
      ReportInclude(flags, kIncRead, loc, "included '" + path + "' is a directory; skipping it");
      return;
    }
    const std::string canonical = fs_.Canonical(path);
    std::vector<const Source*> open_files;
    for (const Source& s : stack_) {
      if (s.kind == Source::Kind::kFile) open_files.push_back(&s);
    }
    for (size_t i = 0; i < open_files.size(); ++i) {
      if (open_files[i]->canonical != canonical) continue;
      std::string msg = "include loop: ";
      if (i + 1 == open_files.size()) {
        msg += "'" + Path(open_files[i]->file_id) + "' includes itself";
      } else {
        msg += "'" + Path(open_files[i]->file_id) + "'";
        for (size_t j = i + 1; j < open_files.size(); ++j) {
          msg += (j == i + 1 ? " includes '" : ", which includes '") +
                 Path(open_files[j]->file_id) + "'";
        }
        msg += ", which includes '" + Path(open_files[i]->file_id) + "' again";
      }
      diags_.Error(loc, msg);
      return;
    }
    if (open_files.size() >= options_.max_include_depth) {
      diags_.Error(loc, "includes are nested more than " +
                            std::to_string(options_.max_include_depth) + " deep; '" + path +
                            "' is skipped");
      return;
    }
    Result<std::string> text = fs_.ReadFile(path);
    if (!text) {
      ReportInclude(flags, kIncRead, loc,
                    "cannot read included file '" + path + "': " + ErrorText(text.error()));
      return;
    }
    if (fs_.Executable(path)) {
      ReportInclude(flags, kIncRead, loc,
                    "included file '" + path + "' is executable; skipping it (" +
                        kNotExecutable + ")");
      return;
    }
    PushFile(path, std::move(*text), saved);
  }

  std::string Path(uint32_t file_id) const { return std::string(files_.Path(file_id)); }

  FileSystem& fs_;
  const PreprocessOptions& options_;
  SourceFiles& files_;
  Diagnostics& diags_;
  std::mt19937_64 rng_;
  QuoteMode mode_;

  std::vector<Source> stack_;
  std::deque<Line> out_;  // lines made and not yet taken (those of one physical line)
  std::vector<Line> spare_;  // empty lines with room, given back by NextLine's caller
  std::unordered_map<uint32_t, FileInfo> file_info_;
  std::unordered_map<std::string, Def> defs_;
  ReversedText expand_in_;    // Expand's scratch texts
  AnnotatedText expand_out_;
  // Definitions skipped by an @ID prefix: name -> "@low, @high".
  std::unordered_map<std::string, std::string> skipped_defs_;
  std::set<std::string> explained_;  // names ExplainUndefined has warned about
  mutable std::string undefined_use_;  // set by MatchUse: a well-formed use of no definition
  std::vector<Frame> frames_;
  std::map<std::pair<uint32_t, std::string>, uint32_t> frame_ids_;
  std::string multiline_def_;
  SourceLoc multiline_def_loc_;
  unsigned include_check_ = 0;
  // The open blocks, innermost last: whether each is a global_defs (all TrackBlocks asks;
  // the keywords themselves were a string copied for each line and block).
  std::vector<bool> blocks_;
  bool last_is_global_defs_ = false;  // the last statement's keyword is global_defs
  size_t work_ = 0;
  bool aborted_ = false;
};

}  // namespace

struct LineReader::Impl : Engine {
  using Engine::Engine;
  bool started = false;
};

LineReader::LineReader(const std::string& path, FileSystem& fs,
                       const PreprocessOptions& options, SourceFiles& files, Diagnostics& diags)
    : impl_(std::make_unique<Impl>(fs, options, files, diags)) {
  impl_->started = impl_->Start(path);
}

LineReader::~LineReader() = default;

bool LineReader::Next(Line& line) { return impl_->started && impl_->NextLine(line); }

std::vector<Line> Preprocess(const std::string& path, FileSystem& fs,
                             const PreprocessOptions& options, SourceFiles& files,
                             Diagnostics& diags) {
  LineReader reader(path, fs, options, files, diags);
  std::vector<Line> out;
  for (Line line; reader.Next(line);) out.push_back(std::move(line));
  return out;
}

}  // namespace vigil::config
