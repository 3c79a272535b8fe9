#include "config/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::config {
namespace {

// Renders tokens as "text@col" (quoted tokens as "'text'@col") for exact comparison.
std::vector<std::string> Render(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const Token& t : tokens) {
    std::string s = t.quoted ? "'" + t.text + "'" : t.text;
    out.push_back(s + "@" + std::to_string(t.loc.column));
  }
  return out;
}

using V = std::vector<std::string>;

TEST(LexerTest, SplitsOnWhitespaceWithByteColumns) {
  std::vector<Token> t = LexString("  state \t MASTER\fx\v", QuoteMode::kShell, 3, 7);
  EXPECT_EQ(Render(t), (V{"state@3", "MASTER@11", "x@18"}));
  EXPECT_EQ(t[0].loc, (SourceLoc{3, 7, 3}));
}

TEST(LexerTest, HashAndBangStartCommentsOutsideDoubleQuotes) {
  EXPECT_EQ(Render(LexString("a b # c d")), (V{"a@1", "b@3"}));
  EXPECT_EQ(Render(LexString("a!b")), (V{"a@1"}));
  EXPECT_EQ(Render(LexString("#whole line")), V{});
  EXPECT_EQ(Render(LexString("x \"a # b ! c\" d # e")), (V{"x@1", "'a # b ! c'@3", "d@15"}));
}

TEST(LexerTest, SingleQuotesDoNotProtectCommentsLikeKeepalived) {
  // keepalived's decomment() tracks only double quotes, so the comment cuts the word;
  // the lone ' left over is then a literal character.
  EXPECT_EQ(Render(LexString("a 'b # c'")), (V{"a@1", "'b@3"}));
}

TEST(LexerTest, BackslashEscapedCommentCharactersAreText) {
  EXPECT_EQ(Render(LexString("a\\#b c\\!d")), (V{"a#b@1", "c!d@6"}));
}

TEST(LexerTest, BracesOutsideQuotesAreTokensOfTheirOwn) {
  std::vector<Token> t = LexString("track_interface {eth0} x{y");
  EXPECT_EQ(Render(t), (V{"track_interface@1", "{@17", "eth0@18", "}@22", "x@24", "{@25", "y@26"}));
  EXPECT_TRUE(t[1].IsOpen());
  EXPECT_TRUE(t[3].IsClose());
}

TEST(LexerTest, QuotedBraceIsNotABrace) {
  std::vector<Token> t = LexString("\"{\" '}'");
  EXPECT_EQ(Render(t), (V{"'{'@1", "'}'@5"}));
  EXPECT_FALSE(t[0].IsOpen());
  EXPECT_FALSE(t[1].IsClose());
}

TEST(LexerTest, ShellEscapesAreDecoded) {
  std::vector<Token> t = LexString(R"("a\tb\n" "\x41\101\cA\\\"" \E\q 'it\'s')");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].text, "a\tb\n");
  EXPECT_EQ(t[1].text, std::string("AA\x01\\\""));
  EXPECT_EQ(t[2].text, "\x1bq");
  EXPECT_FALSE(t[2].quoted);
  EXPECT_EQ(t[3].text, "it's");
}

TEST(LexerTest, HexEscapeTakesAllHexDigitsAndKeepsTheLowByteLikeKeepalived) {
  EXPECT_EQ(LexString(R"("\x4142")")[0].text, "B");
  EXPECT_EQ(LexString(R"("\0101x")")[0].text, "\x08" "1x");
}

TEST(LexerTest, QuotedPartsJoinAdjacentText) {
  std::vector<Token> t = LexString(R"(ab"c d"'e'f g)");
  EXPECT_EQ(Render(t), (V{"'abc def'@1", "g@13"}));
}

TEST(LexerTest, EmptyQuotedStringIsAToken) {
  EXPECT_EQ(Render(LexString(R"(a "" b)")), (V{"a@1", "''@3", "b@6"}));
}

TEST(LexerTest, UnterminatedDoubleQuoteIsReportedAndRunsToEndOfLine) {
  std::vector<LexProblem> problems;
  std::vector<Token> t = LexString("x \"a b", QuoteMode::kShell, 0, 1, &problems);
  EXPECT_EQ(Render(t), (V{"x@1", "'a b'@3"}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].column, 3u);
  EXPECT_EQ(problems[0].message, "unterminated quote");
}

TEST(LexerTest, LoneSingleQuoteIsLiteral) {
  EXPECT_EQ(Render(LexString("router_id it's")), (V{"router_id@1", "it's@11"}));
}

TEST(LexerTest, KeepalivedModeReadsOnlyDoubleQuotesWithoutEscapes) {
  std::vector<Token> t = LexString(R"("a\tb" abc"def ghi" it's)", QuoteMode::kKeepalived);
  EXPECT_EQ(Render(t), (V{R"('a\tb'@1)", "abc@8", "'def ghi'@11", "it's@21"}));
}

TEST(LexerTest, KeepalivedModeDropsRestAfterUnmatchedQuote) {
  std::vector<LexProblem> problems;
  std::vector<Token> t = LexString("a \"b c", QuoteMode::kKeepalived, 0, 1, &problems);
  EXPECT_EQ(Render(t), (V{"a@1"}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message, "unterminated quote; the rest of the line is ignored");
}

TEST(LexerTest, DecommentKeepsContinuationBackslash) {
  AnnotatedText t = AnnotatedText::FromSource("  $X=a   \\");
  EXPECT_TRUE(Decomment(t));
  EXPECT_EQ(t.bytes, "$X=a\\");
  EXPECT_EQ(t.column, (std::vector<uint32_t>{3, 4, 5, 6, 10}));
}

TEST(LexerTest, DecommentTreatsEscapedBackslashAsNoContinuation) {
  AnnotatedText t = AnnotatedText::FromSource("a \\\\");
  EXPECT_FALSE(Decomment(t));
  EXPECT_EQ(t.bytes, "a \\\\");
}

TEST(LexerTest, FindBraceSkipsQuotes) {
  EXPECT_EQ(FindBrace("a \"{\" b {", QuoteMode::kShell), 8u);
  EXPECT_EQ(FindBrace("a '{' b", QuoteMode::kShell), std::string::npos);
  EXPECT_EQ(FindBrace("a '{' b", QuoteMode::kKeepalived), 3u);
  EXPECT_EQ(FindBrace("a \\{", QuoteMode::kShell), std::string::npos);
}

TEST(LexerTest, SplitShellWordsDoesNotSplitBraces) {
  std::vector<std::string> words;
  EXPECT_TRUE(SplitShellWords(R"(/bin/sh -c 'echo {} "x y"' a\ b)", words));
  EXPECT_EQ(words, (V{"/bin/sh", "-c", "echo {} \"x y\"", "a b"}));
}

TEST(LexerTest, SplitShellWordsReportsUnterminatedQuote) {
  std::vector<std::string> words;
  EXPECT_FALSE(SplitShellWords("/bin/echo \"abc", words));
}

TEST(LexerTest, BinaryGarbageNeverCrashes) {
  std::string s;
  for (int i = 0; i < 4096; ++i) s += static_cast<char>((i * 7919) & 0xff);
  std::vector<LexProblem> problems;
  for (QuoteMode m : {QuoteMode::kShell, QuoteMode::kKeepalived}) {
    std::vector<Token> t = LexString(s, m, 0, 1, &problems);
    for (const Token& tok : t) EXPECT_GE(tok.loc.column, 1u);
  }
}

}  // namespace
}  // namespace vigil::config
