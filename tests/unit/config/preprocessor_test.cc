#include "config/preprocessor.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "config/file_system.h"

namespace vigil::config {
namespace {

using V = std::vector<std::string>;

constexpr char kMain[] = "/etc/k/keepalived.conf";

class PreprocessorTest : public ::testing::Test {
 protected:
  PreprocessorTest() { options_.config_id = "main"; }

  void Add(const std::string& path, const std::string& text) { fs_.Add(path, text); }

  // Runs the preprocessor and returns each line's tokens joined by '|'.
  V Run(const std::string& path = kMain) {
    lines_ = Preprocess(path, fs_, options_, files_, diags_);
    V out;
    for (const Line& line : lines_) {
      std::string s;
      for (const Token& t : line) s += (s.empty() ? "" : "|") + t.text;
      out.push_back(s);
    }
    return out;
  }

  // Returns every diagnostic as "severity FILE:LINE:COL: message".
  V Diags() const {
    V out;
    for (const Diagnostic& d : diags_.all()) {
      std::string sev = d.severity == Severity::kFatal   ? "fatal"
                        : d.severity == Severity::kError ? "error"
                                                         : "warning";
      std::string where = d.loc.file == SourceLoc::kNoFile
                              ? std::string("-")
                              : std::string(files_.Path(d.loc.file)) + ":" +
                                    std::to_string(d.loc.line) + ":" +
                                    std::to_string(d.loc.column);
      out.push_back(sev + " " + where + ": " + d.message);
    }
    return out;
  }

  // Returns "FILE:LINE:COL" of token `t` of line `l`.
  std::string Loc(size_t l, size_t t) const {
    const SourceLoc& loc = lines_.at(l).at(t).loc;
    return std::string(files_.Path(loc.file)) + ":" + std::to_string(loc.line) + ":" +
           std::to_string(loc.column);
  }

  MemoryFileSystem fs_;
  PreprocessOptions options_;
  SourceFiles files_;
  Diagnostics diags_;
  std::vector<Line> lines_;
};

// ---- lines, comments, braces ----

TEST_F(PreprocessorTest, SplitsLinesAtBracesLikeKeepalived) {
  Add(kMain, "vrrp_instance VI_1 { state MASTER }\n");
  EXPECT_EQ(Run(), (V{"vrrp_instance|VI_1", "{", "state|MASTER", "}"}));
  EXPECT_EQ(Loc(0, 1), "/etc/k/keepalived.conf:1:15");
  EXPECT_EQ(Loc(1, 0), "/etc/k/keepalived.conf:1:20");
  EXPECT_EQ(Loc(2, 1), "/etc/k/keepalived.conf:1:28");
  EXPECT_EQ(Loc(3, 0), "/etc/k/keepalived.conf:1:35");
  EXPECT_EQ(Diags(), V{});
}

TEST_F(PreprocessorTest, LineReaderMakesEachLineWhenAskedFor) {
  Add(kMain, "a { b }\nc \"d\n");
  LineReader reader(kMain, fs_, options_, files_, diags_);
  Line line;
  ASSERT_TRUE(reader.Next(line));
  EXPECT_EQ(line.at(0).text, "a");
  EXPECT_EQ(Diags(), V{});  // line 2 is not read yet
  for (const char* want : {"{", "b", "}"}) {
    ASSERT_TRUE(reader.Next(line));
    EXPECT_EQ(line.at(0).text, want);
  }
  EXPECT_EQ(Diags(), V{});
  ASSERT_TRUE(reader.Next(line));
  EXPECT_EQ(line.at(0).text, "c");
  EXPECT_EQ(Diags(), (V{"error /etc/k/keepalived.conf:2:3: unterminated quote"}));
  EXPECT_FALSE(reader.Next(line));
  EXPECT_FALSE(reader.Next(line));
}

TEST_F(PreprocessorTest, LineReaderOfAMissingFileHasNoLines) {
  LineReader reader(kMain, fs_, options_, files_, diags_);
  Line line;
  EXPECT_FALSE(reader.Next(line));
  ASSERT_EQ(diags_.all().size(), 1u);
  EXPECT_EQ(diags_.all()[0].severity, Severity::kFatal);
}

TEST_F(PreprocessorTest, SkipsCommentsBlankLinesAndCarriageReturns) {
  Add(kMain, "a\r\n\n   # c\nb ! x\n\tc\\#d \"e # f\"");
  EXPECT_EQ(Run(), (V{"a", "b", "c#d|e # f"}));
  EXPECT_EQ(Loc(1, 0), "/etc/k/keepalived.conf:4:1");
  EXPECT_EQ(Loc(2, 1), "/etc/k/keepalived.conf:5:7");
}

TEST_F(PreprocessorTest, TextAfterABraceIsReadAsANewLine) {
  // Observed with keepalived 2.2.7 -i main: "aaa", "{", "bbb", "}"; ccc is dropped.
  Add(kMain, "@main aaa { @main bbb } @^main ccc\n");
  EXPECT_EQ(Run(), (V{"aaa", "{", "bbb", "}"}));
  EXPECT_EQ(Loc(2, 0), "/etc/k/keepalived.conf:1:19");
}

TEST_F(PreprocessorTest, QuotedBraceDoesNotSplitTheLine) {
  Add(kMain, "notify \"/bin/x {a}\" '{'\n");
  EXPECT_EQ(Run(), (V{"notify|/bin/x {a}|{"}));
  EXPECT_TRUE(lines_[0][2].quoted);
  EXPECT_FALSE(lines_[0][2].IsOpen());
}

// A plain line (nothing to expand, no quote or comment) is lexed straight from the file:
// the same tokens, columns and line budget as a line that goes the annotated way (here one
// with a comment, which that way removes).
TEST_F(PreprocessorTest, PlainLinesReadAsAnnotatedOnes) {
  const std::string body = "  \tvs 1.2.3.4 80 {  real\fserver {x}}{ \v }  ";
  Add(kMain, body + "\n" + body + "#c\n");
  EXPECT_EQ(Run(), (V{"vs|1.2.3.4|80", "{", "real|server", "{", "x", "}", "}", "{", "}",
                      "vs|1.2.3.4|80", "{", "real|server", "{", "x", "}", "}", "{", "}"}));
  for (size_t l = 0; l < 9; ++l) {
    for (size_t t = 0; t < lines_[l].size(); ++t) {
      EXPECT_EQ(lines_[l][t].loc.line, 1u);
      EXPECT_EQ(lines_[l + 9][t].loc.line, 2u);
      EXPECT_EQ(lines_[l][t].loc.column, lines_[l + 9][t].loc.column) << l << " " << t;
      EXPECT_FALSE(lines_[l][t].quoted);
    }
  }
  EXPECT_EQ(Loc(0, 1), "/etc/k/keepalived.conf:1:7");
  EXPECT_EQ(Loc(3, 0), "/etc/k/keepalived.conf:1:33");
  EXPECT_EQ(Loc(8, 0), "/etc/k/keepalived.conf:1:41");
  EXPECT_EQ(Diags(), V{});
  // Each piece after a line's first counts against max_output_lines, either way.
  for (const std::string& line : {std::string("a { b } c"), std::string("a { b } c #")}) {
    diags_ = Diagnostics();
    fs_ = MemoryFileSystem();
    options_.max_output_lines = 4;
    Add(kMain, line + "\n");
    EXPECT_EQ(Run(), (V{"a", "{", "b", "}"})) << line;
    ASSERT_EQ(diags_.all().size(), 1u) << line;
    EXPECT_EQ(Diags()[0], "fatal /etc/k/keepalived.conf:1:9: configuration expands to more "
                          "than 4 lines; the rest is ignored") << line;
  }
}

TEST_F(PreprocessorTest, UnterminatedQuoteIsAnError) {
  Add(kMain, "a \"b c\n");
  EXPECT_EQ(Run(), (V{"a|b c"}));
  EXPECT_EQ(Diags(), (V{"error /etc/k/keepalived.conf:1:3: unterminated quote"}));
}

TEST_F(PreprocessorTest, KeepalivedQuotingOptionReadsWordsLikeKeepalived) {
  options_.shell_quoting = false;
  Add(kMain, "regex \"^a\\.b$\" it's\n");
  EXPECT_EQ(Run(), (V{"regex|^a\\.b$|it's"}));
}

TEST_F(PreprocessorTest, MissingTopLevelFileIsFatal) {
  EXPECT_EQ(Run("/nope.conf"), V{});
  EXPECT_EQ(Diags(),
            (V{"fatal -: cannot read configuration file '/nope.conf': No such file or directory"}));
  EXPECT_EQ(diags_.ExitCode(), CheckExit::kCannotRun);
}

// ---- include ----

TEST_F(PreprocessorTest, IncludeGlobIsRelativeToTheIncludingFile) {
  Add(kMain, "before\ninclude conf.d/*.conf\nafter\n");
  Add("/etc/k/conf.d/b.conf", "b\n");
  Add("/etc/k/conf.d/a.conf", "a1\ninclude sub/x.conf\na2\n");
  Add("/etc/k/conf.d/sub/x.conf", "x\n");
  EXPECT_EQ(Run(), (V{"before", "a1", "x", "a2", "b", "after"}));
  EXPECT_EQ(Loc(1, 0), "/etc/k/conf.d/a.conf:1:1");
  EXPECT_EQ(Loc(2, 0), "/etc/k/conf.d/sub/x.conf:1:1");
  EXPECT_EQ(Loc(4, 0), "/etc/k/conf.d/b.conf:1:1");
  EXPECT_EQ(Loc(5, 0), "/etc/k/keepalived.conf:3:1");
  EXPECT_EQ(Diags(), V{});
}

TEST_F(PreprocessorTest, IncludeBracesKeepAlternativeOrder) {
  Add(kMain, "include {y,x}.conf\n");
  Add("/etc/k/x.conf", "x\n");
  Add("/etc/k/y.conf", "y\n");
  EXPECT_EQ(Run(), (V{"y", "x"}));
}

TEST_F(PreprocessorTest, MissingPlainIncludeIsAWarning) {
  Add(kMain, "a\n  include missing.conf\nb\n");
  EXPECT_EQ(Run(), (V{"a", "b"}));
  EXPECT_EQ(Diags(), (V{"warning /etc/k/keepalived.conf:2:3: included file 'missing.conf' "
                        "does not exist"}));
}

TEST_F(PreprocessorTest, IncludemMissingFileIsFatal) {
  Add(kMain, "includem missing.conf\n");
  Run();
  EXPECT_EQ(Diags(), (V{"fatal /etc/k/keepalived.conf:1:1: included file 'missing.conf' "
                        "does not exist"}));
}

TEST_F(PreprocessorTest, UnmatchedWildcardIsSilentUnlessIncludew) {
  Add(kMain, "include none/*.conf\nincludew none/*.conf\nincluder none/*.conf\n");
  Add("/etc/k/none/readme", "x\n");
  Run();
  EXPECT_EQ(Diags(), (V{"fatal /etc/k/keepalived.conf:2:1: no file matches include pattern "
                        "'none/*.conf'"}));
}

TEST_F(PreprocessorTest, IncludebRejectsAPartlyMissingBraceSet) {
  Add(kMain, "include {a,zz}.conf\nincludeb {a,zz}.conf\n");
  Add("/etc/k/a.conf", "a\n");
  EXPECT_EQ(Run(), (V{"a"}));
  EXPECT_EQ(Diags(),
            (V{"warning /etc/k/keepalived.conf:1:1: some files named by include pattern "
               "'{a,zz}.conf' do not exist",
               "fatal /etc/k/keepalived.conf:2:1: some files named by include pattern "
               "'{a,zz}.conf' do not exist"}));
}

TEST_F(PreprocessorTest, IncludeCheckInGlobalDefsAppliesToLaterIncludes) {
  Add(kMain, "global_defs {\n include_check\n}\ninclude missing.conf\n");
  EXPECT_EQ(Run(), (V{"global_defs", "{", "include_check", "}"}));
  EXPECT_EQ(Diags(), (V{"fatal /etc/k/keepalived.conf:4:1: included file 'missing.conf' "
                        "does not exist"}));
}

TEST_F(PreprocessorTest, AnExecutableIncludedFileIsSkipped) {
  Add(kMain, "include a.conf\nglobal_defs {\n include_check read\n}\ninclude a.conf\n");
  fs_.AddExecutable("/etc/k/a.conf", "a\n");
  EXPECT_EQ(Run(), (V{"global_defs", "{", "include_check|read", "}"}));
  EXPECT_EQ(Diags(),
            (V{"warning /etc/k/keepalived.conf:1:1: included file '/etc/k/a.conf' is "
               "executable; skipping it (keepalived reads only regular, non-executable "
               "configuration files)",
               "fatal /etc/k/keepalived.conf:5:1: included file '/etc/k/a.conf' is "
               "executable; skipping it (keepalived reads only regular, non-executable "
               "configuration files)"}));
}

TEST_F(PreprocessorTest, AnExecutableConfigurationFileIsNotRead) {
  fs_.AddExecutable(kMain, "a\n");
  EXPECT_EQ(Run(), V{});
  EXPECT_EQ(Diags(), (V{"fatal -: configuration file '/etc/k/keepalived.conf' is "
                        "executable: keepalived reads only regular, non-executable "
                        "configuration files"}));
}

TEST_F(PreprocessorTest, IncludeCheckSetInAnIncludedFileEndsWithThatFile) {
  Add(kMain, "include a.conf\ninclude missing.conf\n");
  Add("/etc/k/a.conf", "global_defs {\ninclude_check match\n}\n");
  Run();
  EXPECT_EQ(Diags(), (V{"warning /etc/k/keepalived.conf:2:1: included file 'missing.conf' "
                        "does not exist"}));
}

TEST_F(PreprocessorTest, FailOnMissingIncludeOptionMakesMissingFilesFatal) {
  options_.fail_on_missing_include = true;
  Add(kMain, "include missing.conf\n");
  Run();
  EXPECT_EQ(diags_.all().at(0).severity, Severity::kFatal);
}

TEST_F(PreprocessorTest, IncludedDirectoryIsSkipped) {
  Add(kMain, "include d/*\n");
  Add("/etc/k/d/a.conf", "a\n");
  Add("/etc/k/d/sub/b.conf", "b\n");
  EXPECT_EQ(Run(), (V{"a"}));
  EXPECT_EQ(Diags(), (V{"warning /etc/k/keepalived.conf:1:1: included '/etc/k/d/sub/' is a "
                        "directory; skipping it"}));
}

TEST_F(PreprocessorTest, SelfIncludeIsALoopError) {
  Add("/etc/k/a.conf", "x\ninclude a.conf\ny\n");
  EXPECT_EQ(Run("/etc/k/a.conf"), (V{"x", "y"}));
  EXPECT_EQ(Diags(), (V{"error /etc/k/a.conf:2:1: include loop: '/etc/k/a.conf' includes itself"}));
}

TEST_F(PreprocessorTest, IncludeLoopThroughGlobsTerminates) {
  Add(kMain, "include conf.d/*.conf\n");
  Add("/etc/k/conf.d/a.conf", "a\ninclude *.conf\n");
  Add("/etc/k/conf.d/b.conf", "b\ninclude *.conf\n");
  // keepalived.conf -> a (-> a: loop, -> b (-> a: loop, -> b: loop)),
  //                 -> b (-> a (-> a: loop, -> b: loop), -> b: loop)
  EXPECT_EQ(Run(), (V{"a", "b", "b", "a"}));
  EXPECT_EQ(Diags(),
            (V{"error /etc/k/conf.d/a.conf:2:1: include loop: '/etc/k/conf.d/a.conf' includes "
               "itself",
               "error /etc/k/conf.d/b.conf:2:1: include loop: '/etc/k/conf.d/a.conf' includes "
               "'/etc/k/conf.d/b.conf', which includes '/etc/k/conf.d/a.conf' again",
               "error /etc/k/conf.d/b.conf:2:1: include loop: '/etc/k/conf.d/b.conf' includes "
               "itself",
               "error /etc/k/conf.d/a.conf:2:1: include loop: '/etc/k/conf.d/a.conf' includes "
               "itself",
               "error /etc/k/conf.d/a.conf:2:1: include loop: '/etc/k/conf.d/b.conf' includes "
               "'/etc/k/conf.d/a.conf', which includes '/etc/k/conf.d/b.conf' again",
               "error /etc/k/conf.d/b.conf:2:1: include loop: '/etc/k/conf.d/b.conf' includes "
               "itself"}));
}

TEST_F(PreprocessorTest, IncludeDepthIsBounded) {
  for (int i = 0; i < 40; ++i) {
    Add("/d/f" + std::to_string(i) + ".conf",
        "l" + std::to_string(i) + "\ninclude f" + std::to_string(i + 1) + ".conf\n");
  }
  V lines = Run("/d/f0.conf");
  EXPECT_EQ(lines.size(), 32u);
  EXPECT_EQ(Diags(), (V{"error /d/f31.conf:2:1: includes are nested more than 32 deep; "
                        "'/d/f32.conf' is skipped"}));
}

TEST_F(PreprocessorTest, ExponentialIncludesAreBounded) {
  options_.max_output_lines = 10000;
  for (int i = 0; i < 60; ++i) {
    std::string next = "f" + std::to_string(i + 1) + ".conf";
    Add("/d/f" + std::to_string(i) + ".conf", "include " + next + "\ninclude " + next + "\n");
  }
  Add("/d/f60.conf", "x\n");
  V lines = Run("/d/f0.conf");
  EXPECT_LT(lines.size(), 10000u);
  ASSERT_FALSE(Diags().empty());
  EXPECT_EQ(diags_.all().back().message,
            "configuration expands to more than 10000 lines; the rest is ignored");
  EXPECT_EQ(diags_.all().back().severity, Severity::kFatal);
}

// ---- @ID ----

TEST_F(PreprocessorTest, ConditionalLinesFollowTheConfigId) {
  Add(kMain, "@main a\n@^main b\n@other c\n@^other d\n@main\n@main  $X=1\nv $X\n");
  EXPECT_EQ(Run(), (V{"a", "d", "v|1"}));
  EXPECT_EQ(Loc(0, 0), "/etc/k/keepalived.conf:1:7");
}

TEST_F(PreprocessorTest, UseOfADefinitionThisConfigIdSkipsStaysAsWrittenLikeKeepalived) {
  // keepalived 2.2.7 with -i main: `router_id ${INST}` keeps `${INST}`, and the braces split
  // the line ("Unexpected '{'", "Unknown keyword 'INST'"); `$INST` splits nothing.
  Add(kMain,
      "@low $INST=low\n@^main $INST=high\nrouter_id ${INST}\n"
      "notify ${_PWD}/n.${INST}.sh\nx $INST y\n$UNSET z\n");
  EXPECT_EQ(Run(), (V{"router_id|$", "{", "INST", "}", "notify|/etc/k/n.$", "{", "INST", "}",
                      ".sh", "x|$INST|y", "$UNSET|z"}));
  EXPECT_EQ(Diags(), (V{"warning /etc/k/keepalived.conf:3:11: 'INST' is not defined: its "
                        "definitions are only for @low, @^main and the config id is 'main' "
                        "(-i); the text stays as written, as in keepalived"}));
  EXPECT_EQ(diags_.ExitCode(), CheckExit::kOk);  // the parser reports the split pieces
}

TEST_F(PreprocessorTest, ConditionalFromADefinition) {
  Add(kMain, "$IF_MAIN=@main\n$IF_MAIN priority 240\n$IF_B=@backup\n$IF_B priority 1\n");
  EXPECT_EQ(Run(), (V{"priority|240"}));
}

// ---- $NAME ----

TEST_F(PreprocessorTest, DefinitionsExpandAtUseTime) {
  Add(kMain,
      "$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n"
      "$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32\n");
  EXPECT_EQ(Run(), (V{"10.2.0.100/32", "10.2.10.100/32"}));
}

TEST_F(PreprocessorTest, BareNameNeedsASeparatorAfterIt) {
  // Observed with keepalived 2.2.7: "$H/24" stays, "${H}/24" and "$H," expand.
  Add(kMain, "$H=abc\n$H/24\n${H}/24\n$H,\nx $H y\n");
  EXPECT_EQ(Run(), (V{"$H/24", "abc/24", "abc,", "x|abc|y"}));
}

TEST_F(PreprocessorTest, UndefinedNameStaysAsWritten) {
  Add(kMain, "$A=1\na $NOPE \"${NOPE}\"\n");
  EXPECT_EQ(Run(), (V{"a|$NOPE|${NOPE}"}));
  EXPECT_EQ(Diags(), V{});
}

TEST_F(PreprocessorTest, ExpandedTokensTakeTheLocationOfTheUse) {
  Add(kMain, "$V=abc def\n  x $V ${V}z\n");
  EXPECT_EQ(Run(), (V{"x|abc|def|abc|defz"}));
  EXPECT_EQ(Loc(0, 0), "/etc/k/keepalived.conf:2:3");
  EXPECT_EQ(Loc(0, 1), "/etc/k/keepalived.conf:2:5");
  EXPECT_EQ(Loc(0, 2), "/etc/k/keepalived.conf:2:5");
  EXPECT_EQ(Loc(0, 3), "/etc/k/keepalived.conf:2:8");
  EXPECT_EQ(Loc(0, 4), "/etc/k/keepalived.conf:2:8");
}

TEST_F(PreprocessorTest, MultiLineDefinitionExpandsToSeveralLines) {
  Add(kMain,
      "$INSTANCE= \\\n"
      "vrrp_instance VI_${NUM} { \\\n"
      "    # a comment line inside is skipped\n"
      "    interface eth0.${NUM}   \\\n"
      "    @main priority 130 \\\n"
      "    @backup priority 120 \\\n"
      "}\n"
      "$NUM=0\n"
      "$INSTANCE\n"
      "$NUM=1\n"
      "  $INSTANCE\n");
  EXPECT_EQ(Run(), (V{"vrrp_instance|VI_0", "{", "interface|eth0.0", "priority|130", "}",
                      "vrrp_instance|VI_1", "{", "interface|eth0.1", "priority|130", "}"}));
  EXPECT_EQ(Loc(2, 1), "/etc/k/keepalived.conf:9:1");
  EXPECT_EQ(Loc(7, 1), "/etc/k/keepalived.conf:11:3");
  EXPECT_EQ(Diags(), V{});
}

TEST_F(PreprocessorTest, EmptyLineEndsAMultiLineDefinition) {
  Add(kMain, "$M=a \\\nb \\\n\nc\n$M\n");
  EXPECT_EQ(Run(), (V{"c", "a", "b"}));
}

TEST_F(PreprocessorTest, MultiLineDefinitionOnlyExpandsAtEndOfLine) {
  Add(kMain, "$M=a \\\nb\n$M x\nx $M\n");
  EXPECT_EQ(Run(), (V{"$M|x", "x|a", "b"}));
}

TEST_F(PreprocessorTest, NestedMultiLineDefinitions) {
  Add(kMain,
      "$RS= \\\n"
      "real_server 192.168.${VS}.${RSN} 80 { \\\n"
      "  weight 1 \\\n"
      "}\n"
      "$VS_DEF= \\\n"
      "virtual_server 10.0.${VS}.4 80 { \\\n"
      "  $RSN=1 \\\n"
      "  $RS \\\n"
      "  $RSN=2 \\\n"
      "  $RS \\\n"
      "}\n"
      "$VS=7\n"
      "$VS_DEF\n");
  EXPECT_EQ(Run(), (V{"virtual_server|10.0.7.4|80", "{", "real_server|192.168.7.1|80", "{",
                      "weight|1", "}", "real_server|192.168.7.2|80", "{", "weight|1", "}",
                      "}"}));
  EXPECT_EQ(Diags(), V{});
}

TEST_F(PreprocessorTest, SelfReferentialDefinitionIsAnErrorNotAHang) {
  Add(kMain, "$A=x $A\n$A\n");
  EXPECT_EQ(Run(), (V{"x|$A"}));
  EXPECT_EQ(Diags(),
            (V{"error /etc/k/keepalived.conf:2:1: definition '$A' refers to itself"}));
}

TEST_F(PreprocessorTest, MutuallyRecursiveDefinitionsAreAnError) {
  Add(kMain, "$A=a $B\n$B=b $A\nv $A\n");
  EXPECT_EQ(Run(), (V{"v|a|b|$A"}));
  EXPECT_EQ(Diags(), (V{"error /etc/k/keepalived.conf:3:3: definitions refer to each other in "
                        "a loop: $A -> $B -> $A"}));
}

TEST_F(PreprocessorTest, RecursiveMultiLineDefinitionIsAnError) {
  Add(kMain, "$M= \\\nfoo \\\n$M\n$M\n");
  EXPECT_EQ(Run(), (V{"foo", "$M"}));
  EXPECT_EQ(Diags(),
            (V{"error /etc/k/keepalived.conf:4:1: definition '$M' refers to itself"}));
}

TEST_F(PreprocessorTest, DeepDefinitionChainsAreBounded) {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    text += "$D" + std::to_string(i) + "=$D" + std::to_string(i + 1) + "\n";
  }
  text += "$D40=end\n$D0\n";
  Add(kMain, text);
  EXPECT_EQ(Run(), (V{"$D32"}));
  EXPECT_EQ(Diags(), (V{"error /etc/k/keepalived.conf:42:1: definitions are nested more than "
                        "32 deep; '$D32' is not expanded"}));
}

TEST_F(PreprocessorTest, ExponentialExpansionIsBounded) {
  std::string text = "$E0=xxxxxxxxxxxxxxxx\n";
  for (int i = 1; i < 30; ++i) {
    std::string p = "$E" + std::to_string(i - 1);
    text += "$E" + std::to_string(i) + "=" + p + "," + p + "\n";
  }
  text += "$E29\n";
  Add(kMain, text);
  V lines = Run();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_LE(lines[0].size(), 65536u);
  ASSERT_EQ(diags_.all().size(), 1u);
  EXPECT_EQ(diags_.all()[0].message,
            "line is longer than 65536 bytes after expanding '$E0'; the expansion is dropped");
}

TEST_F(PreprocessorTest, HashAndBangDefinitionsAreCommentCharacters) {
  // Observed with keepalived 2.2.7: the expansion is decommented again, so ${_HASH}
  // outside double quotes starts a comment.
  Add(kMain, "${_HASH}foo\n\"${_HASH}bar\"\nx${_BANG}y\n\"a${_BANG}\"\n");
  EXPECT_EQ(Run(), (V{"#bar", "x", "a!"}));
}

TEST_F(PreprocessorTest, PredefinedPwdInstanceAndEnv) {
  options_.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return "/root";
    return std::nullopt;
  };
  Add(kMain, "${_PWD} ${_INSTANCE}\ninclude sub/a.conf\n\"${_ENV HOME}\" \"${_ENV NOPE}\"\n");
  Add("/etc/k/sub/a.conf", "${_PWD}/x\n");
  EXPECT_EQ(Run(), (V{"/etc/k|main", "/etc/k/sub/x", "/root|"}));
  options_.instance = "inst";
  Run();
  EXPECT_EQ(lines_[0][1].text, "inst");
}

TEST_F(PreprocessorTest, RandomStaysInRange) {
  options_.random_seed = 42;
  std::string text;
  for (int i = 0; i < 50; ++i) text += "${_RANDOM 3 5} ${_RANDOM} ${_RANDOM 9 9}\n";
  Add(kMain, text);
  V lines = Run();
  ASSERT_EQ(lines.size(), 50u);
  for (const Line& l : lines_) {
    int a = std::stoi(l[0].text), b = std::stoi(l[1].text);
    EXPECT_GE(a, 3);
    EXPECT_LE(a, 5);
    EXPECT_GE(b, 0);
    EXPECT_LE(b, 32767);
    EXPECT_EQ(l[2].text, "9");
  }
  EXPECT_EQ(Diags(), V{});
}

TEST_F(PreprocessorTest, RandomSeedInGlobalDefsMakesLaterValuesRepeatable) {
  const std::string draws = "${_RANDOM} ${_RANDOM} ${_RANDOM}\n";
  Add(kMain, "a " + draws + "global_defs {\n random_seed 7\n}\nb " + draws);
  options_.random_seed = 1;
  V first = Run();
  options_.random_seed = 2;
  V second = Run();
  ASSERT_EQ(first.size(), 6u);
  EXPECT_NE(first[0], second[0]);  // before the keyword: the process's own seed
  EXPECT_EQ(first[5], second[5]);  // after it: the configured one
  // Only inside global_defs, as keepalived's keyword.
  Add(kMain, "random_seed 7\nb " + draws);
  options_.random_seed = 1;
  V outside1 = Run();
  options_.random_seed = 2;
  EXPECT_NE(Run()[1], outside1[1]);
  EXPECT_EQ(Diags(), V{});
}

TEST_F(PreprocessorTest, RandomWithReversedBoundsIsAnError) {
  Add(kMain, "v ${_RANDOM 7 3}\n");
  EXPECT_EQ(Run(), (V{"v|7"}));
  EXPECT_EQ(Diags(), (V{"error /etc/k/keepalived.conf:1:3: ${_RANDOM}: the minimum 7 is "
                        "greater than the maximum 3"}));
}

TEST_F(PreprocessorTest, PredefinedNamesCanBeOverridden) {
  Add(kMain, "$_HASH=h\n${_HASH}\n");
  EXPECT_EQ(Run(), (V{"h"}));
}

// ---- ~SEQ / ~LST ----

TEST_F(PreprocessorTest, SeqRepeatsTheRestOfTheLine) {
  Add(kMain, "~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n");
  EXPECT_EQ(Run(), (V{"ip_address|10.0.0.1", "ip_address|10.0.1.1", "ip_address|10.0.2.1",
                      "ip_address|10.0.3.1"}));
  EXPECT_EQ(Loc(2, 0), "/etc/k/keepalived.conf:1:20");
  EXPECT_EQ(Loc(2, 1), "/etc/k/keepalived.conf:1:31");
}

TEST_F(PreprocessorTest, SeqxFormatsInHex) {
  Add(kMain, "~SEQx(S, 0x90, 0x10, 0xc0) fe80::20:${S}:1\n");
  EXPECT_EQ(Run(), (V{"fe80::20:90:1", "fe80::20:a0:1", "fe80::20:b0:1", "fe80::20:c0:1"}));
}

TEST_F(PreprocessorTest, SeqDefaultsForStartAndStep) {
  Add(kMain, "~SEQ(i,3) a$i\n~SEQ(i,-2) b$i\n~SEQ(i,0) c$i\n~SEQ(i,3,1) d$i\n~SEQ(i,010) e$i\n");
  EXPECT_EQ(Run(), (V{"a1", "a2", "a3", "b-1", "b-2", "c1", "c0", "d3", "d2", "d1", "e1", "e2",
                      "e3", "e4", "e5", "e6", "e7", "e8"}));
}

TEST_F(PreprocessorTest, SeveralLoopsOnOneLineNest) {
  Add(kMain, "~SEQ(a,1,2) ~LST(b,x,y) v${a}${b}\n");
  EXPECT_EQ(Run(), (V{"v1x", "v1y", "v2x", "v2y"}));
}

TEST_F(PreprocessorTest, ManPageNestedSeqxExample) {
  Add(kMain, "~SEQx(AD2, 0x90, 0x10, 0xc0) ~SEQx(AD1, 0x12, -1, 0x0c) fe81::10:${AD2}:${AD1}\n");
  V lines = Run();
  ASSERT_EQ(lines.size(), 28u);
  EXPECT_EQ(lines.front(), "fe81::10:90:12");
  EXPECT_EQ(lines[6], "fe81::10:90:c");
  EXPECT_EQ(lines.back(), "fe81::10:c0:c");
}

TEST_F(PreprocessorTest, SeqValuesMayUseDefinitions) {
  Add(kMain, "$N=3\n~SEQ(i,1,$N) v$i\n");
  EXPECT_EQ(Run(), (V{"v1", "v2", "v3"}));
}

TEST_F(PreprocessorTest, SeqOverAMultiLineDefinition) {
  Add(kMain, "$VI= \\\nvi_${IF}_${ID} { \\\n}\n~SEQ(IF,0,1) ~SEQ(ID,1,2) $VI\n");
  EXPECT_EQ(Run(), (V{"vi_0_1", "{", "}", "vi_0_2", "{", "}", "vi_1_1", "{", "}", "vi_1_2", "{",
                      "}"}));
}

TEST_F(PreprocessorTest, ListWithTuples) {
  Add(kMain, "~LST({IP, IP1}, {10,1},{20,4}, {5}) 192.168.${IP}.${IP1}\n~LST(x, a, b) v$x\n");
  EXPECT_EQ(Run(), (V{"192.168.10.1", "192.168.20.4", "192.168.5.", "va", "vb"}));
  EXPECT_EQ(Diags(), V{});
}

TEST_F(PreprocessorTest, InvalidLoopsAreErrors) {
  Add(kMain,
      "~SEQ(i,1,0,5) a\n~SEQ i,1) b\n~SEQx(i,-1,2) c\n~LST(x) d\n~SEQ(i,1,2,3,4) e\n"
      "~LST({a},{1,2}) f\n~SEQ(i,1 g\n");
  EXPECT_EQ(Run(), V{});
  EXPECT_EQ(Diags(),
            (V{"error /etc/k/keepalived.conf:1:1: ~SEQ step 0 cannot go from 1 to 5",
               "error /etc/k/keepalived.conf:2:1: '(' expected after ~SEQ",
               "error /etc/k/keepalived.conf:3:1: ~SEQx is only valid for non-negative values",
               "error /etc/k/keepalived.conf:4:1: ~LST expects (var, value, ...) or ({var1, "
               "var2}, {value1, value2}, ...)",
               "error /etc/k/keepalived.conf:5:1: ~SEQ expects (var, [start,] [step,] end) "
               "with integer values",
               "error /etc/k/keepalived.conf:6:1: ~LST has more values in a set than variables",
               "error /etc/k/keepalived.conf:7:1: ~SEQ has no closing ')'"}));
}

TEST_F(PreprocessorTest, HugeSeqIsFatalNotAHang) {
  Add(kMain, "~SEQ(i, 0, 1000000000000) x$i\nafter\n");
  EXPECT_EQ(Run(), (V{"after"}));
  EXPECT_EQ(Diags(), (V{"fatal /etc/k/keepalived.conf:1:1: ~SEQ would repeat the line "
                        "1000000000001 times, more than the limit of 2000000"}));
}

TEST_F(PreprocessorTest, SeqAtTheEdgesOfTheIntegerRangeDoesNotOverflow) {
  Add(kMain,
      "~SEQ(i, 9223372036854775806, 9223372036854775807) a$i\n"
      "~SEQ(i, -9223372036854775807, -9223372036854775808) b$i\n");
  EXPECT_EQ(Run(), (V{"a9223372036854775806", "a9223372036854775807", "b-9223372036854775807",
                      "b-9223372036854775808"}));
}

TEST_F(PreprocessorTest, NestedLoopsAreBoundedByTheOutputLimit) {
  options_.max_output_lines = 100000;
  Add(kMain, "~SEQ(a,1,2000) ~SEQ(b,1,2000) x\n");
  V lines = Run();
  EXPECT_LT(lines.size(), 100000u);
  EXPECT_EQ(Diags(), (V{"fatal /etc/k/keepalived.conf:1:31: configuration expands to more "
                        "than 100000 lines; the rest is ignored"}));
}

TEST_F(PreprocessorTest, LoopThroughADefinitionOfItselfTerminates) {
  Add(kMain, "$L=~SEQ(i,1,2) $L\n$L\n");
  EXPECT_EQ(Run(), (V{"$L", "$L"}));
  EXPECT_EQ(Diags(), (V{"error /etc/k/keepalived.conf:2:1: definition '$L' refers to itself",
                        "error /etc/k/keepalived.conf:2:1: definition '$L' refers to itself"}));
}

// ---- hostile input ----

TEST_F(PreprocessorTest, NulByteEndsTheLine) {
  Add(kMain, std::string("a\0b c\nd\n", 8));
  EXPECT_EQ(Run(), (V{"a", "d"}));
  EXPECT_EQ(Diags(), (V{"warning /etc/k/keepalived.conf:1:2: line contains a NUL byte; the "
                        "rest of the line is ignored"}));
}

TEST_F(PreprocessorTest, LongLinesAreReadWholeWithAWarning) {
  std::string line;
  while (line.size() < 1000000) line += "ab ";
  Add(kMain, line + "\nnext\n");
  V lines = Run();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines_[0].size(), 333334u);
  EXPECT_EQ(lines[1], "next");
  EXPECT_EQ(Diags(), (V{"warning /etc/k/keepalived.conf:1:1: line is 1000002 bytes long; "
                        "keepalived reads at most 1023 bytes of a line and would split it"}));
}

TEST_F(PreprocessorTest, OverlongLineIsTruncated) {
  Add(kMain, std::string(2 << 20, 'x') + "\n");
  V lines = Run();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].size(), 1u << 20);
  EXPECT_EQ(Diags(), (V{"error /etc/k/keepalived.conf:1:1: line is longer than 1048576 bytes; "
                        "the rest of the line is ignored"}));
}

TEST_F(PreprocessorTest, ManyBracesOnOneLineAreLinear) {
  std::string line;
  for (int i = 0; i < 100000; ++i) line += "{}";
  Add(kMain, line + "\n");
  V lines = Run();
  EXPECT_EQ(lines.size(), 200000u);
  EXPECT_EQ(Loc(199999, 0), "/etc/k/keepalived.conf:1:200000");
}

TEST_F(PreprocessorTest, BinaryGarbageNeverCrashes) {
  std::string junk;
  uint32_t x = 12345;
  for (int i = 0; i < 200000; ++i) {
    x = x * 1103515245 + 12345;
    junk += static_cast<char>((x >> 16) & 0xff);
  }
  Add(kMain, junk);
  Run();
  for (const Line& l : lines_) {
    EXPECT_FALSE(l.empty());
    for (const Token& t : l) EXPECT_GE(t.loc.column, 1u);
  }
}

TEST_F(PreprocessorTest, GarbageWithPreprocessorCharactersNeverCrashes) {
  const char alphabet[] = "$~{}()@^,\\\"' #!\nSEQLSTxinclude_RANDOM1a=";
  uint32_t x = 99;
  std::string junk;
  for (int i = 0; i < 100000; ++i) {
    x = x * 1103515245 + 12345;
    junk += alphabet[(x >> 16) % (sizeof alphabet - 1)];
  }
  Add(kMain, junk);
  Run();
  SUCCEED();
}

}  // namespace
}  // namespace vigil::config
