#include "config/parser.h"

#include <iterator>
#include <span>
#include <string>
#include <utility>

namespace vigil::config {
namespace {

// One unit of keepalived's reading: a brace alone, or the words between braces and
// line ends.
struct Segment {
  enum class Kind { kWords, kOpen, kClose };
  Kind kind;
  std::span<const Token> tokens;  // the words, or the one brace token
  size_t line;                    // index of its line

  const Token& first() const { return tokens.front(); }
};

// Returns the segment of a line that is a brace alone or words without a brace.
Segment WholeLine(const Line& line, size_t n) {
  const Token& t = line.front();
  const Segment::Kind kind = line.size() == 1 && t.IsOpen()    ? Segment::Kind::kOpen
                             : line.size() == 1 && t.IsClose() ? Segment::Kind::kClose
                                                               : Segment::Kind::kWords;
  return {kind, std::span(line), n};
}

// Returns true iff every line of `lines` is one segment: a brace alone, or words without
// a brace (as Preprocess makes them).
bool OneSegmentEach(const std::vector<Line>& lines) {
  for (const Line& line : lines) {
    if (line.size() == 1) continue;
    for (const Token& t : line)
      if (t.IsOpen() || t.IsClose()) return false;
  }
  return true;
}

// Returns the segments of `lines`, split at every brace.
std::vector<Segment> Split(const std::vector<Line>& lines) {
  std::vector<Segment> out;
  out.reserve(lines.size());  // at least one segment a line
  for (size_t n = 0; n < lines.size(); ++n) {
    const Line& line = lines[n];
    size_t start = 0;
    for (size_t i = 0; i <= line.size(); ++i) {
      const bool brace = i < line.size() && (line[i].IsOpen() || line[i].IsClose());
      if (i == line.size() || brace) {
        if (i > start)
          out.push_back({Segment::Kind::kWords, std::span(line).subspan(start, i - start), n});
        if (brace) {
          out.push_back({line[i].IsOpen() ? Segment::Kind::kOpen : Segment::Kind::kClose,
                         std::span(line).subspan(i, 1), n});
        }
        start = i + 1;
      }
    }
  }
  return out;
}

// The segments of the lines, in order. When each line is one segment (nearly always:
// Preprocess splits lines at braces) they are read from the lines as needed instead of
// being listed (a list of them is 40 bytes a line, 13 MB at 37,000 real servers).
class Segments {
 public:
  explicit Segments(const std::vector<Line>& lines)
      : lines_(lines), direct_(OneSegmentEach(lines)) {
    if (!direct_) split_ = Split(lines);
  }
  size_t size() const { return direct_ ? lines_.size() : split_.size(); }
  Segment operator[](size_t i) const { return direct_ ? WholeLine(lines_[i], i) : split_[i]; }

 private:
  const std::vector<Line>& lines_;
  bool direct_;
  std::vector<Segment> split_;
};

class Parser {
 public:
  // With `consume`, the tokens move into the tree and each line is freed once read.
  Parser(const std::vector<Line>& lines, std::vector<Line>* consume, const BlockSchema& root,
         Diagnostics& diags)
      : segments_(lines), consume_(consume), root_(root), diags_(diags) {}

  Tree Run() {
    for (size_t i = 0; i < segments_.size(); ++i) {
      Release(segments_[i].line);
      const Segment& s = segments_[i];
      switch (s.kind) {
        case Segment::Kind::kWords:
          i = Statement(i);
          break;
        case Segment::Kind::kOpen:
          diags_.Error(s.first().loc, "unexpected '{'");
          i = Skip(i, {});
          break;
        case Segment::Kind::kClose:
          if (stack_.empty())
            diags_.Error(s.first().loc, "unmatched '}'");
          else
            CloseTop();
          break;
      }
    }
    for (const Frame& f : stack_) {
      diags_.Error(f.node.block_loc,
                   "missing '}' for block '" + f.node.keyword.text + "' opened here");
    }
    while (!stack_.empty()) CloseTop();
    return std::move(tree_);
  }

 private:
  struct Frame {
    Node node;
    const KeywordSpec* spec;
    bool in_inert;  // inside the block of a keyword without effect: no further such warnings
    size_t first_child;  // where its children start in done_
  };

  bool NextIsOpen(size_t i) const {
    return i + 1 < segments_.size() && segments_[i + 1].kind == Segment::Kind::kOpen;
  }

  // Frees the lines before line `first` (consuming only): no segment before it is read again.
  void Release(size_t first) {
    if (consume_ == nullptr) return;
    for (; released_ < first; ++released_) Line().swap((*consume_)[released_]);
  }

  Node MakeNode(const Segment& s) const {
    Node n;
    if (consume_ == nullptr) {
      n.keyword = s.tokens.front();
      n.args.assign(s.tokens.begin() + 1, s.tokens.end());
      return n;
    }
    // The segment's tokens are those of a line this parser owns: take them.
    auto* first = const_cast<Token*>(s.tokens.data());
    n.keyword = std::move(first[0]);
    n.args.reserve(s.tokens.size() - 1);
    for (size_t k = 1; k < s.tokens.size(); ++k) n.args.push_back(std::move(first[k]));
    return n;
  }

  void Append(Node node) {
    if (stack_.empty())
      tree_.roots.push_back(std::move(node));
    else
      done_.push_back(std::move(node));
  }

  // The open block's children wait in done_ until it closes, then move into a vector of
  // their number (a vector grown one child at a time moves them at each growth and keeps
  // up to twice their room).
  void CloseTop() {
    Frame& f = stack_.back();
    Node node = std::move(f.node);
    const auto first = done_.begin() + static_cast<std::ptrdiff_t>(f.first_child);
    node.children.reserve(static_cast<size_t>(done_.end() - first));
    std::move(first, done_.end(), std::back_inserter(node.children));
    done_.erase(first, done_.end());
    stack_.pop_back();
    Append(std::move(node));
  }

  void Open(Node node, const KeywordSpec* spec, bool scope) {
    stack_.push_back({std::move(node), spec, scope, done_.size()});
  }

  // Handles the words segment at `i`; returns the index of the last segment consumed.
  size_t Statement(size_t i) {
    const Segment& s = segments_[i];
    const Token& kw = s.first();  // moved into the node by MakeNode: use node.keyword after
    const bool in_list = !stack_.empty() && stack_.back().spec->is_list();
    if (in_list) {
      Node node = MakeNode(s);
      if (NextIsOpen(i)) {
        diags_.Error(segments_[i + 1].first().loc, "unexpected '{'");
        const std::string owner = node.keyword.text;
        Append(std::move(node));
        return Skip(i + 1, owner);
      }
      Append(std::move(node));
      return i;
    }

    const BlockSchema& schema = stack_.empty() ? root_ : *stack_.back().spec->block;
    const KeywordSpec* spec = schema.Lookup(kw.text);
    if (spec == nullptr) {
      // keepalived -t: "Unknown keyword" (an error, exit 5); it skips the keyword's block.
      std::string message = "unknown keyword '" + kw.text + "'";
      if (std::string_view near = schema.Closest(kw.text); !near.empty())
        message += "; did you mean '" + std::string(near) + "'?";
      diags_.Error(kw.loc, std::move(message));
      return NextIsOpen(i) ? Skip(i + 1, kw.text) : i;
    }

    const bool in_inert = !stack_.empty() && stack_.back().in_inert;
    const bool inert = !Acts(spec->support);
    if (inert && !in_inert) {
      if (spec->support == Support::kNotPlanned)
        diags_.Warning(kw.loc, "'" + kw.text + "' has no effect in vigil: " +
                                   std::string(spec->note));
      else
        diags_.Warning(kw.loc, "'" + kw.text +
                                   "' is accepted but not yet supported by vigil; it has no effect");
    }

    Node node = MakeNode(s);
    if (!spec->opens_block()) {
      if (NextIsOpen(i)) {
        diags_.Error(segments_[i + 1].first().loc, "unexpected '{'");
        const std::string owner = node.keyword.text;
        Append(std::move(node));
        return Skip(i + 1, owner);
      }
      Append(std::move(node));
      return i;
    }

    node.has_block = true;
    const bool scope = in_inert || inert;
    if (NextIsOpen(i)) {
      node.block_loc = segments_[i + 1].first().loc;
      Open(std::move(node), spec, scope);
      return i + 1;
    }
    diags_.Error(node.keyword.loc, "missing '{' after '" + node.keyword.text + "'");
    node.block_loc = node.keyword.loc;
    if (i + 1 < segments_.size())
      Open(std::move(node), spec, scope);
    else
      Append(std::move(node));
    return i;
  }

  // Skips the braced text whose `{` is segment `open`; returns the index of its `}`, or
  // the last index if input ends first. `owner` names the keyword it belonged to.
  size_t Skip(size_t open, std::string_view owner) {
    size_t depth = 0;
    bool reported = false;
    for (size_t i = open; i < segments_.size(); ++i) {
      const Segment& s = segments_[i];
      if (s.kind == Segment::Kind::kOpen) {
        if (++depth > kMaxNesting && !reported) {
          diags_.Error(s.first().loc, "blocks nested too deeply (more than " +
                                          std::to_string(kMaxNesting) + " levels)");
          reported = true;
        }
      } else if (s.kind == Segment::Kind::kClose) {
        if (--depth == 0) return i;
      }
    }
    const SourceLoc loc = segments_[open].first().loc;
    if (owner.empty())
      diags_.Error(loc, "missing '}' for block opened here");
    else
      diags_.Error(loc, "missing '}' for block '" + std::string(owner) + "' opened here");
    return segments_.size() - 1;
  }

  Segments segments_;
  std::vector<Line>* consume_;
  size_t released_ = 0;
  const BlockSchema& root_;
  Diagnostics& diags_;
  std::vector<Frame> stack_;
  std::vector<Node> done_;  // children of the open blocks, innermost last
  Tree tree_;
};

}  // namespace

Tree ParseTree(const std::vector<Line>& lines, const BlockSchema& schema, Diagnostics& diags) {
  return Parser(lines, nullptr, schema, diags).Run();
}

Tree ParseTree(std::vector<Line>&& lines, Diagnostics& diags) {
  Tree tree = Parser(lines, &lines, RootSchema(), diags).Run();
  lines.clear();
  return tree;
}

Tree ParseTree(const std::vector<Line>& lines, Diagnostics& diags) {
  return ParseTree(lines, RootSchema(), diags);
}

}  // namespace vigil::config
