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

// Appends the segments of `line` (line number `n`) to `out`, split at every brace.
void Split(const Line& line, size_t n, std::vector<Segment>& out) {
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

// Drops the first `n` items of `v` once they are at least half of it (a queue in a vector:
// an index is one subtraction, where a deque's is a division and two loads).
template <class T>
void DropFront(std::vector<T>& v, size_t& dropped, size_t n) {
  dropped += n;
  if (dropped < 64 || dropped * 2 < v.size()) return;
  v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(dropped));
  dropped = 0;
}

// The segments of the lines `next` gives, numbered from 0, read as they are asked for.
// Only the lines from the last Release on are held: the parser never looks back, and a
// large configuration's lines are never all in memory.
class Segments {
 public:
  explicit Segments(const NextLine& next) : next_(next) {}

  // Returns true iff there is a segment `i` (reading lines up to it).
  bool Has(size_t i) {
    while (i >= End() && !ended_) Read();
    return i < End();
  }
  // Returns segment `i`; Has(i) must be true. The reference lasts until it is released.
  const Segment& operator[](size_t i) {
    Has(i);
    return segments_[i - first_ + segments_dropped_];
  }
  // Returns the number of the last segment; only once Has has returned false.
  size_t Last() const { return End() - 1; }
  // Frees the lines before line `line` and their segments.
  void Release(size_t line) {
    size_t n = 0;
    while (segments_dropped_ + n < segments_.size() &&
           segments_[segments_dropped_ + n].line < line)
      ++n;
    first_ += n;
    DropFront(segments_, segments_dropped_, n);
    n = 0;
    while (first_line_ + n < line && lines_dropped_ + n < lines_.size()) {
      spare_.push_back(std::move(lines_[lines_dropped_ + n]));
      ++n;
    }
    first_line_ += n;
    DropFront(lines_, lines_dropped_, n);
  }

 private:
  size_t End() const { return first_ + segments_.size() - segments_dropped_; }

  void Read() {
    // A line read gives its room back to `next_` for a later one (LineReader reuses it).
    Line line;
    if (!spare_.empty()) {
      line = std::move(spare_.back());
      spare_.pop_back();
      line.clear();
    }
    if (!next_(line)) {
      ended_ = true;
      return;
    }
    const size_t n = first_line_ + lines_.size() - lines_dropped_;
    // A Line moved as the vector grows keeps its tokens where they are: the spans into
    // earlier lines stay valid.
    lines_.push_back(std::move(line));
    Split(lines_.back(), n, segments_);
  }

  const NextLine& next_;
  std::vector<Line> lines_;  // from line first_line_ on, after lines_dropped_ freed ones
  size_t lines_dropped_ = 0;
  std::vector<Line> spare_;  // lines released, their room to give back
  size_t first_line_ = 0;
  std::vector<Segment> segments_;  // from segment first_ on, after segments_dropped_
  size_t segments_dropped_ = 0;
  size_t first_ = 0;
  bool ended_ = false;
};

class Parser {
 public:
  Parser(const NextLine& next, const BlockSchema& root, Diagnostics& diags,
         const OnRoot* on_root = nullptr)
      : segments_(next), root_(root), diags_(diags), on_root_(on_root) {}

  Tree Run() {
    for (size_t i = 0; segments_.Has(i); ++i) {
      segments_.Release(segments_[i].line);
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

  bool NextIsOpen(size_t i) {
    return segments_.Has(i + 1) && segments_[i + 1].kind == Segment::Kind::kOpen;
  }

  static Node MakeNode(const Segment& s) {
    Node n;
    // The segment's tokens are those of a line the parser holds: take them.
    auto* first = const_cast<Token*>(s.tokens.data());
    n.keyword = std::move(first[0]);
    n.args.reserve(s.tokens.size() - 1);
    for (size_t k = 1; k < s.tokens.size(); ++k) n.args.push_back(std::move(first[k]));
    return n;
  }

  void Append(Node node) {
    if (!stack_.empty())
      done_.push_back(std::move(node));
    else if (on_root_)
      (*on_root_)(std::move(node));
    else
      tree_.roots.push_back(std::move(node));
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
    if (segments_.Has(i + 1))
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
    for (size_t i = open; segments_.Has(i); ++i) {
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
    return segments_.Last();
  }

  Segments segments_;
  const BlockSchema& root_;
  Diagnostics& diags_;
  const OnRoot* on_root_;  // takes each top-level block as it closes; else tree_ does
  std::vector<Frame> stack_;
  std::vector<Node> done_;  // children of the open blocks, innermost last
  Tree tree_;
};

}  // namespace

Tree ParseTree(const NextLine& next, const BlockSchema& schema, Diagnostics& diags) {
  return Parser(next, schema, diags).Run();
}

Tree ParseTree(const NextLine& next, Diagnostics& diags) {
  return ParseTree(next, RootSchema(), diags);
}

void ParseRoots(const NextLine& next, Diagnostics& diags, const OnRoot& on_root) {
  Parser(next, RootSchema(), diags, &on_root).Run();
}

Tree ParseTree(const std::vector<Line>& lines, const BlockSchema& schema, Diagnostics& diags) {
  size_t n = 0;
  return ParseTree([&](Line& line) {
    if (n == lines.size()) return false;
    line = lines[n++];
    return true;
  }, schema, diags);
}

Tree ParseTree(std::vector<Line>&& lines, Diagnostics& diags) {
  size_t n = 0;
  Tree tree = ParseTree([&](Line& line) {
    if (n == lines.size()) return false;
    line = std::move(lines[n++]);
    return true;
  }, RootSchema(), diags);
  lines.clear();
  return tree;
}

Tree ParseTree(const std::vector<Line>& lines, Diagnostics& diags) {
  return ParseTree(lines, RootSchema(), diags);
}

}  // namespace vigil::config
