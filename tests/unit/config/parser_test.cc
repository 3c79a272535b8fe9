#include "config/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/schema.h"
#include "config/source.h"

namespace vigil::config {
namespace {

// Splits `text` into Lines the way the preprocessor would for plain text: words
// separated by blanks, `{`/`}` as tokens of their own, "..." quoted (quotes dropped).
// Every token carries its 1-based line and column in file 0.
std::vector<Line> Lex(std::string_view text) {
  std::vector<Line> lines;
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view s = text.substr(pos, end - pos);
    ++line_no;
    Line line;
    size_t i = 0;
    while (i < s.size()) {
      if (s[i] == ' ' || s[i] == '\t') {
        ++i;
        continue;
      }
      Token t;
      t.loc = {0, line_no, static_cast<uint32_t>(i + 1)};
      if (s[i] == '{' || s[i] == '}') {
        t.text = std::string(1, s[i++]);
      } else if (s[i] == '"') {
        size_t close = s.find('"', i + 1);
        if (close == std::string_view::npos) close = s.size();
        t.text = std::string(s.substr(i + 1, close - i - 1));
        t.quoted = true;
        i = close + 1;
      } else {
        size_t j = i;
        while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '{' && s[j] != '}') ++j;
        t.text = std::string(s.substr(i, j - i));
        i = j;
      }
      line.push_back(std::move(t));
    }
    if (!line.empty()) lines.push_back(std::move(line));
    pos = end + 1;
  }
  return lines;
}

// Renders a tree as text: one node per line, indented two spaces per level,
// `keyword@line:col arg...`, and ` {@line:col` for a node with a block.
void Render(const Node& n, int depth, std::string& out) {
  out += std::string(depth * 2, ' ');
  out += n.keyword.text + "@" + std::to_string(n.keyword.loc.line) + ":" +
         std::to_string(n.keyword.loc.column);
  for (const Token& a : n.args) out += " " + a.text;
  if (n.has_block)
    out += " {@" + std::to_string(n.block_loc.line) + ":" + std::to_string(n.block_loc.column);
  out += "\n";
  for (const Node& c : n.children) Render(c, depth + 1, out);
}

std::string Render(const Tree& t) {
  std::string out;
  for (const Node& n : t.roots) Render(n, 0, out);
  return out;
}

std::string Render(const Diagnostics& d) {
  std::string out;
  for (const Diagnostic& x : d.all()) {
    out += std::to_string(x.loc.line) + ":" + std::to_string(x.loc.column) + ": " +
           (x.severity == Severity::kWarning ? "warning: " : "error: ") + x.message + "\n";
  }
  return out;
}

struct Parsed {
  std::string tree;
  std::string diags;
};

// Parses `text` three ways — from lines kept by the caller, from lines the parser takes
// over and frees as it goes, and from lines it asks for one at a time — and expects the
// same tree and diagnostics from each.
Parsed Parse(std::string_view text) {
  const std::vector<Line> lines = Lex(text);
  Diagnostics kept_diags;
  Tree kept = ParseTree(lines, kept_diags);
  Diagnostics d;
  std::vector<Line> taken = lines;
  Tree t = ParseTree(std::move(taken), d);
  EXPECT_TRUE(taken.empty());
  EXPECT_EQ(Render(t), Render(kept));
  EXPECT_EQ(Render(d), Render(kept_diags));
  // And from lines read one at a time, as LoadConfig reads them from LineReader.
  size_t next = 0;
  Diagnostics read_diags;
  Tree read = ParseTree([&](Line& line) {
    if (next == lines.size()) return false;
    line = lines[next++];
    return true;
  }, read_diags);
  EXPECT_EQ(next, lines.size());
  EXPECT_EQ(Render(read), Render(kept));
  EXPECT_EQ(Render(read_diags), Render(kept_diags));
  return {Render(t), Render(d)};
}

TEST(ParserTest, EmptyInputGivesEmptyTree) {
  Parsed p = Parse("");
  EXPECT_EQ(p.tree, "");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, BlockWithOpenBraceOnKeywordLine) {
  Parsed p = Parse(
      "vrrp_instance VI_1 {\n"
      "  state MASTER\n"
      "  priority 150\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "vrrp_instance@1:1 VI_1 {@1:20\n"
            "  state@2:3 MASTER\n"
            "  priority@3:3 150\n");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, OpenBraceOnTheNextLine) {
  Parsed p = Parse(
      "global_defs\n"
      "{\n"
      "  router_id r1\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "global_defs@1:1 {@2:1\n"
            "  router_id@3:3 r1\n");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, ListBlockOnOneLineKeepsEachLineAsANode) {
  Parsed p = Parse(
      "vrrp_instance VI_1 {\n"
      "  track_interface { eth0 weight 10 }\n"
      "  virtual_ipaddress {\n"
      "    10.0.0.1/24 dev eth0 label eth0:1\n"
      "    10.0.0.2\n"
      "  }\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "vrrp_instance@1:1 VI_1 {@1:20\n"
            "  track_interface@2:3 {@2:19\n"
            "    eth0@2:21 weight 10\n"
            "  virtual_ipaddress@3:3 {@3:21\n"
            "    10.0.0.1/24@4:5 dev eth0 label eth0:1\n"
            "    10.0.0.2@5:5\n");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, ListLinesAreNotCheckedAgainstTheSchema) {
  Parsed p = Parse("static_ipaddress {\n  state MASTER\n  global_defs\n}\n");
  EXPECT_EQ(p.tree,
            "static_ipaddress@1:1 {@1:18\n"
            "  state@2:3 MASTER\n"
            "  global_defs@3:3\n");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, TextAfterCloseBraceIsTheNextStatement) {
  Parsed p = Parse(
      "vrrp_instance A {\n"
      "  virtual_ipaddress { 10.0.0.1 } priority 50\n"
      "} vrrp_instance B { state BACKUP }\n");
  EXPECT_EQ(p.tree,
            "vrrp_instance@1:1 A {@1:17\n"
            "  virtual_ipaddress@2:3 {@2:21\n"
            "    10.0.0.1@2:23\n"
            "  priority@2:34 50\n"
            "vrrp_instance@3:3 B {@3:19\n"
            "  state@3:21 BACKUP\n");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, EmptyBlocksAndBracesAloneOnLines) {
  Parsed p = Parse(
      "virtual_server 10.0.0.1 80\n"
      "{\n"
      "  real_server 10.0.0.2 80 {\n"
      "    TCP_CHECK {}\n"
      "  }\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "virtual_server@1:1 10.0.0.1 80 {@2:1\n"
            "  real_server@3:3 10.0.0.2 80 {@3:27\n"
            "    TCP_CHECK@4:5 {@4:15\n");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, NestedCheckerAndUrlBlocks) {
  Parsed p = Parse(
      "virtual_server 10.0.0.1 443 {\n"
      "  lb_algo rr\n"
      "  real_server 10.0.0.2 443 {\n"
      "    SSL_GET {\n"
      "      url { path /health status_code 200 }\n"
      "      url {\n"
      "        path /\n"
      "        digest 0123\n"
      "      }\n"
      "      connect_timeout 3\n"
      "    }\n"
      "  }\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "virtual_server@1:1 10.0.0.1 443 {@1:29\n"
            "  lb_algo@2:3 rr\n"
            "  real_server@3:3 10.0.0.2 443 {@3:28\n"
            "    SSL_GET@4:5 {@4:13\n"
            "      url@5:7 {@5:11\n"
            "        path@5:13 /health status_code 200\n"
            "      url@6:7 {@6:11\n"
            "        path@7:9 /\n"
            "        digest@8:9 0123\n"
            "      connect_timeout@10:7 3\n");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, UnknownKeywordIsWarnedAndSkipped) {
  Parsed p = Parse(
      "global_defs {\n"
      "  router_idd r1\n"
      "  router_id r2\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "global_defs@1:1 {@1:13\n"
            "  router_id@3:3 r2\n");
  EXPECT_EQ(p.diags, "2:3: error: unknown keyword 'router_idd'; did you mean 'router_id'?\n");
}

TEST(ParserTest, UnknownKeywordsBlockIsSkippedWhole) {
  Parsed p = Parse(
      "vrrp_instnace VI_1 {\n"
      "  state MASTER\n"
      "  virtual_ipaddress {\n"
      "    10.0.0.1\n"
      "  }\n"
      "}\n"
      "vrrp_script chk\n"
      "{\n"
      "  bogus { nested { deeper } }\n"
      "  interval 2\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "vrrp_script@7:1 chk {@8:1\n"
            "  interval@10:3 2\n");
  EXPECT_EQ(p.diags,
            "1:1: error: unknown keyword 'vrrp_instnace'; did you mean 'vrrp_instance'?\n"
            "9:3: error: unknown keyword 'bogus'\n");
}

TEST(ParserTest, KeywordsAreCaseSensitive) {
  Parsed p = Parse(
      "virtual_server 10.0.0.1 80 {\n"
      "  real_server 10.0.0.2 80 {\n"
      "    tcp_check { connect_timeout 3 }\n"
      "    TCP_CHECK { Connect_Timeout 3 }\n"
      "  }\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "virtual_server@1:1 10.0.0.1 80 {@1:28\n"
            "  real_server@2:3 10.0.0.2 80 {@2:27\n"
            "    TCP_CHECK@4:5 {@4:15\n");
  EXPECT_EQ(p.diags,
            "3:5: error: unknown keyword 'tcp_check'; did you mean 'TCP_CHECK'?\n"
            "4:17: error: unknown keyword 'Connect_Timeout'; did you mean 'connect_timeout'?\n");
}

TEST(ParserTest, KeywordValidOnlyInAnotherBlockIsUnknownHere) {
  Parsed p = Parse("global_defs {\n  priority 100\n}\nrouter_id r1\n");
  EXPECT_EQ(p.tree, "global_defs@1:1 {@1:13\n");
  EXPECT_EQ(p.diags,
            "2:3: error: unknown keyword 'priority'\n"
            "4:1: error: unknown keyword 'router_id'\n");
}

// A schema with one keyword of each Support value, so that these tests do not depend on
// which real keywords act today.
namespace support_schema {
using namespace schema_internal;
constexpr KeywordSpec kInnerKeywords[] = {Kw("inner"), Kw("inner_not_yet", kNotYet)};
constexpr BlockSchema kInnerBlock("outer", kInnerKeywords);
constexpr KeywordSpec kKeywords[] = {
    Kw("acts"),
    Kw("differs", Differs("acts otherwise")),
    Kw("not_yet", kNotYet),
    Kw("not_planned", NotPlanned("SNMP is not planned; use the metrics")),
    Block("outer", kInnerBlock, NotYet("no engine")),
    Block("outer_planned", kInnerBlock, NotPlanned("never")),
    Block("outer_acts", kInnerBlock),
};
constexpr BlockSchema kRoot("root", kKeywords);
}  // namespace support_schema

Parsed ParseWith(const BlockSchema& schema, std::string_view text) {
  Diagnostics d;
  Tree t = ParseTree(Lex(text), schema, d);
  return {Render(t), Render(d)};
}

TEST(ParserTest, KeywordsWithoutEffectAreKeptWithOneWarning) {
  Parsed p = ParseWith(support_schema::kRoot,
                       "acts\n"
                       "differs 1\n"
                       "not_yet blue\n"
                       "not_planned\n"
                       "outer {\n"
                       "  inner 1\n"
                       "  inner_not_yet 2\n"
                       "}\n"
                       "outer_planned {\n"
                       "  inner_not_yet\n"
                       "}\n"
                       "outer_acts {\n"
                       "  inner_not_yet\n"
                       "}\n");
  EXPECT_EQ(p.tree,
            "acts@1:1\n"
            "differs@2:1 1\n"
            "not_yet@3:1 blue\n"
            "not_planned@4:1\n"
            "outer@5:1 {@5:7\n"
            "  inner@6:3 1\n"
            "  inner_not_yet@7:3 2\n"
            "outer_planned@9:1 {@9:15\n"
            "  inner_not_yet@10:3\n"
            "outer_acts@12:1 {@12:12\n"
            "  inner_not_yet@13:3\n");
  EXPECT_EQ(p.diags,
            "3:1: warning: 'not_yet' is accepted but not yet supported by vigil; it has no "
            "effect\n"
            "4:1: warning: 'not_planned' has no effect in vigil: SNMP is not planned; use the "
            "metrics\n"
            "5:1: warning: 'outer' is accepted but not yet supported by vigil; it has no "
            "effect\n"
            "9:1: warning: 'outer_planned' has no effect in vigil: never\n"
            "13:3: warning: 'inner_not_yet' is accepted but not yet supported by vigil; it has "
            "no effect\n");
}

TEST(ParserTest, UnknownKeywordInsideABlockIsReportedWithASuggestion) {
  Parsed p = Parse("bfd_instance b1 {\n  nieghbor_ip 10.0.0.9\n}\n");
  EXPECT_EQ(p.tree, "bfd_instance@1:1 b1 {@1:17\n");
  EXPECT_EQ(p.diags, "2:3: error: unknown keyword 'nieghbor_ip'; did you mean 'neighbor_ip'?\n");
}

TEST(ParserTest, ExtraCloseBraceAtTopLevelIsAnError) {
  Parsed p = Parse("global_defs {\n  router_id r1\n}\n}\nvrrp_script s {\n}\n");
  EXPECT_EQ(p.tree,
            "global_defs@1:1 {@1:13\n"
            "  router_id@2:3 r1\n"
            "vrrp_script@5:1 s {@5:15\n");
  EXPECT_EQ(p.diags, "4:1: error: unmatched '}'\n");
}

TEST(ParserTest, BlocksOpenAtEndOfInputAreReportedOutermostFirst) {
  Parsed p = Parse(
      "vrrp_instance VI_1 {\n"
      "  state MASTER\n"
      "  authentication\n"
      "  {\n"
      "    auth_type PASS\n");
  EXPECT_EQ(p.tree,
            "vrrp_instance@1:1 VI_1 {@1:20\n"
            "  state@2:3 MASTER\n"
            "  authentication@3:3 {@4:3\n"
            "    auth_type@5:5 PASS\n");
  EXPECT_EQ(p.diags,
            "1:20: error: missing '}' for block 'vrrp_instance' opened here\n"
            "4:3: error: missing '}' for block 'authentication' opened here\n");
}

TEST(ParserTest, SkippedBlockOpenAtEndOfInputIsReported) {
  Parsed p = Parse("global_defs {\n  foo {\n    bar\n");
  EXPECT_EQ(p.tree, "global_defs@1:1 {@1:13\n");
  EXPECT_EQ(p.diags,
            "2:3: error: unknown keyword 'foo'\n"
            "2:7: error: missing '}' for block 'foo' opened here\n"
            "1:13: error: missing '}' for block 'global_defs' opened here\n");
}

TEST(ParserTest, BlockKeywordWithoutOpenBraceStillOpensItsBlock) {
  // keepalived reports the missing '{' and reads the following statements, up to the
  // next '}', as the block's content.
  Parsed p = Parse(
      "vrrp_instance VI_1\n"
      "  state MASTER\n"
      "  priority 10\n"
      "}\n"
      "vrrp_script s { }\n");
  EXPECT_EQ(p.tree,
            "vrrp_instance@1:1 VI_1 {@1:1\n"
            "  state@2:3 MASTER\n"
            "  priority@3:3 10\n"
            "vrrp_script@5:1 s {@5:15\n");
  EXPECT_EQ(p.diags, "1:1: error: missing '{' after 'vrrp_instance'\n");
}

TEST(ParserTest, ListKeywordWithoutOpenBraceTakesLinesUpToCloseBrace) {
  Parsed p = Parse(
      "vrrp_instance VI_1 {\n"
      "  virtual_ipaddress\n"
      "    10.0.0.1\n"
      "  }\n"
      "  priority 10\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "vrrp_instance@1:1 VI_1 {@1:20\n"
            "  virtual_ipaddress@2:3 {@2:3\n"
            "    10.0.0.1@3:5\n"
            "  priority@5:3 10\n");
  EXPECT_EQ(p.diags, "2:3: error: missing '{' after 'virtual_ipaddress'\n");
}

TEST(ParserTest, BlockKeywordAtEndOfInputKeepsAnEmptyBlock) {
  Parsed p = Parse("global_defs\n");
  EXPECT_EQ(p.tree, "global_defs@1:1 {@1:1\n");
  EXPECT_EQ(p.diags, "1:1: error: missing '{' after 'global_defs'\n");
}

TEST(ParserTest, OpenBraceAfterPlainKeywordIsSkipped) {
  Parsed p = Parse(
      "vrrp_instance VI_1 {\n"
      "  priority 100 {\n"
      "    state MASTER\n"
      "  }\n"
      "  nopreempt\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "vrrp_instance@1:1 VI_1 {@1:20\n"
            "  priority@2:3 100\n"
            "  nopreempt@5:3\n");
  EXPECT_EQ(p.diags, "2:16: error: unexpected '{'\n");
}

TEST(ParserTest, StrayOpenBraceIsSkippedWithItsBlock) {
  Parsed p = Parse("{\n  router_id r1\n}\nglobal_defs { }\n");
  EXPECT_EQ(p.tree, "global_defs@4:1 {@4:13\n");
  EXPECT_EQ(p.diags, "1:1: error: unexpected '{'\n");
}

TEST(ParserTest, BraceInsideListBlockIsSkipped) {
  Parsed p = Parse(
      "vrrp_instance VI_1 {\n"
      "  virtual_ipaddress {\n"
      "    10.0.0.1 { x }\n"
      "    10.0.0.2\n"
      "  }\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "vrrp_instance@1:1 VI_1 {@1:20\n"
            "  virtual_ipaddress@2:3 {@2:21\n"
            "    10.0.0.1@3:5\n"
            "    10.0.0.2@4:5\n");
  EXPECT_EQ(p.diags, "3:14: error: unexpected '{'\n");
}

TEST(ParserTest, QuotedBracesAreWords) {
  Parsed p = Parse(
      "vrrp_script s {\n"
      "  script \"/bin/echo {\" \"}\"\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "vrrp_script@1:1 s {@1:15\n"
            "  script@2:3 /bin/echo { }\n");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, DeepNestingInSkippedTextIsBoundedAndReportedOnce) {
  std::string text = "unknown_thing ";
  for (size_t i = 0; i < kMaxNesting + 10; ++i) text += "{ ";
  text += "\n";
  for (size_t i = 0; i < kMaxNesting + 10; ++i) text += "} ";
  text += "\nglobal_defs { }\n";
  Parsed p = Parse(text);
  EXPECT_EQ(p.tree, "global_defs@3:1 {@3:13\n");
  // The 65th '{' is at column 15 + 2 * 64.
  EXPECT_EQ(p.diags,
            "1:1: error: unknown keyword 'unknown_thing'\n"
            "1:143: error: blocks nested too deeply (more than 64 levels)\n");
}

TEST(ParserTest, HugeUnclosedNestingDoesNotCrash) {
  std::vector<Line> lines;
  Line l;
  Token kw;
  kw.text = "foo";
  kw.loc = {0, 1, 1};
  l.push_back(kw);
  for (int i = 0; i < 200000; ++i) {
    Token t;
    t.text = "{";
    t.loc = {0, 1, 5};
    l.push_back(t);
  }
  lines.push_back(std::move(l));
  Diagnostics d;
  Tree t = ParseTree(lines, d);
  EXPECT_TRUE(t.roots.empty());
  ASSERT_EQ(d.all().size(), 3u);
  EXPECT_EQ(d.all()[2].message, "missing '}' for block 'foo' opened here");
}

TEST(ParserTest, DeprecatedAliasesAreKeptAsWritten) {
  Parsed p = Parse(
      "vrrp_track_file f { file /tmp/x }\n"
      "virtual_server 1.2.3.4 80 { lb_kind DR\n"
      "  real_server 1.2.3.5 80 { HTTP_GET { nb_get_retry 3 } } }\n");
  EXPECT_EQ(p.tree,
            "vrrp_track_file@1:1 f {@1:19\n"
            "  file@1:21 /tmp/x\n"
            "virtual_server@2:1 1.2.3.4 80 {@2:27\n"
            "  lb_kind@2:29 DR\n"
            "  real_server@3:3 1.2.3.5 80 {@3:26\n"
            "    HTTP_GET@3:28 {@3:37\n"
            "      nb_get_retry@3:39 3\n");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, VirtualServerGroupMembersAreListLines) {
  Parsed p = Parse(
      "virtual_server_group web {\n"
      "  10.0.0.1 80\n"
      "  10.0.0.10-20 80\n"
      "  fwmark 7\n"
      "}\n");
  EXPECT_EQ(p.tree,
            "virtual_server_group@1:1 web {@1:26\n"
            "  10.0.0.1@2:3 80\n"
            "  10.0.0.10-20@3:3 80\n"
            "  fwmark@4:3 7\n");
  EXPECT_EQ(p.diags, "");
}

TEST(ParserTest, CustomRootSchema) {
  // A block table can be parsed on its own, e.g. for a fragment.
  const KeywordSpec* vi = RootSchema().Lookup("vrrp_instance");
  ASSERT_NE(vi, nullptr);
  Diagnostics d;
  Tree t = ParseTree(Lex("priority 5\nrouter_id x\n"), *vi->block, d);
  EXPECT_EQ(Render(t), "priority@1:1 5\n");
  EXPECT_EQ(Render(d), "2:1: error: unknown keyword 'router_id'\n");
}

TEST(ParserTest, DiagnosticsFormatWithSourceLineAndCaret) {
  const std::string text = "global_defs {\n  router_idd r1\n}\n}\n";
  SourceFiles files;
  files.Add("/etc/keepalived/keepalived.conf", text);
  Diagnostics d;
  ParseTree(Lex(text), d);
  EXPECT_EQ(d.FormatAll(files),
            "/etc/keepalived/keepalived.conf:2:3: error: unknown keyword 'router_idd'; did you mean 'router_id'?\n"
            "  router_idd r1\n"
            "  ^\n"
            "/etc/keepalived/keepalived.conf:4:1: error: unmatched '}'\n"
            "}\n"
            "^\n");
}

}  // namespace
}  // namespace vigil::config
