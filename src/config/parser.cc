#include "config/parser.h"

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

  const Token& first() const { return tokens.front(); }
};

std::vector<Segment> Split(const std::vector<Line>& lines) {
  std::vector<Segment> out;
  for (const Line& line : lines) {
    size_t start = 0;
    for (size_t i = 0; i <= line.size(); ++i) {
      const bool brace = i < line.size() && (line[i].IsOpen() || line[i].IsClose());
      if (i == line.size() || brace) {
        if (i > start)
          out.push_back({Segment::Kind::kWords, std::span(line).subspan(start, i - start)});
        if (brace) {
          out.push_back({line[i].IsOpen() ? Segment::Kind::kOpen : Segment::Kind::kClose,
                         std::span(line).subspan(i, 1)});
        }
        start = i + 1;
      }
    }
  }
  return out;
}

class Parser {
 public:
  Parser(const std::vector<Line>& lines, const BlockSchema& root, Diagnostics& diags)
      : segments_(Split(lines)), root_(root), diags_(diags) {}

  Tree Run() {
    for (size_t i = 0; i < segments_.size(); ++i) {
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
  };

  bool NextIsOpen(size_t i) const {
    return i + 1 < segments_.size() && segments_[i + 1].kind == Segment::Kind::kOpen;
  }

  static Node MakeNode(const Segment& s) {
    Node n;
    n.keyword = s.tokens.front();
    n.args.assign(s.tokens.begin() + 1, s.tokens.end());
    return n;
  }

  void Append(Node node) {
    if (stack_.empty())
      tree_.roots.push_back(std::move(node));
    else
      stack_.back().node.children.push_back(std::move(node));
  }

  void CloseTop() {
    Node node = std::move(stack_.back().node);
    stack_.pop_back();
    Append(std::move(node));
  }

  // Handles the words segment at `i`; returns the index of the last segment consumed.
  size_t Statement(size_t i) {
    const Segment& s = segments_[i];
    const Token& kw = s.first();
    const bool in_list = !stack_.empty() && stack_.back().spec->is_list();
    if (in_list) {
      Append(MakeNode(s));
      if (NextIsOpen(i)) {
        diags_.Error(segments_[i + 1].first().loc, "unexpected '{'");
        return Skip(i + 1, kw.text);
      }
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
      Append(std::move(node));
      if (NextIsOpen(i)) {
        diags_.Error(segments_[i + 1].first().loc, "unexpected '{'");
        return Skip(i + 1, kw.text);
      }
      return i;
    }

    node.has_block = true;
    const bool scope = in_inert || inert;
    if (NextIsOpen(i)) {
      node.block_loc = segments_[i + 1].first().loc;
      stack_.push_back({std::move(node), spec, scope});
      return i + 1;
    }
    diags_.Error(kw.loc, "missing '{' after '" + kw.text + "'");
    node.block_loc = kw.loc;
    if (i + 1 < segments_.size())
      stack_.push_back({std::move(node), spec, scope});
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

  std::vector<Segment> segments_;
  const BlockSchema& root_;
  Diagnostics& diags_;
  std::vector<Frame> stack_;
  Tree tree_;
};

}  // namespace

Tree ParseTree(const std::vector<Line>& lines, const BlockSchema& schema, Diagnostics& diags) {
  return Parser(lines, schema, diags).Run();
}

Tree ParseTree(const std::vector<Line>& lines, Diagnostics& diags) {
  return ParseTree(lines, RootSchema(), diags);
}

}  // namespace vigil::config
