#include "config/values.h"

#include <gtest/gtest.h>

namespace vigil::config {
namespace {

using std::chrono::microseconds;

Token Tok(std::string text) {
  Token t;
  t.text = std::move(text);
  t.loc = {0, 3, 7};
  return t;
}

TEST(ValuesTest, IntegerTextAcceptsSignsAndRejectsJunk) {
  EXPECT_EQ(ParseIntegerText("42"), 42);
  EXPECT_EQ(ParseIntegerText("-7"), -7);
  EXPECT_EQ(ParseIntegerText("+3"), 3);
  EXPECT_FALSE(ParseIntegerText(""));
  EXPECT_FALSE(ParseIntegerText("-"));
  EXPECT_FALSE(ParseIntegerText("1x"));
  EXPECT_FALSE(ParseIntegerText("1.5"));
  EXPECT_FALSE(ParseIntegerText("99999999999999999999"));
}

TEST(ValuesTest, BoolTextKnowsKeepalivedWords) {
  for (const char* t : {"on", "true", "yes", "YES", "On"}) EXPECT_EQ(ParseBoolText(t), true) << t;
  for (const char* f : {"off", "false", "no"}) EXPECT_EQ(ParseBoolText(f), false) << f;
  EXPECT_FALSE(ParseBoolText("1"));
  EXPECT_FALSE(ParseBoolText("maybe"));
}

TEST(ValuesTest, SecondsTextHasMicrosecondResolution) {
  EXPECT_EQ(ParseSecondsText("1"), microseconds(1'000'000));
  EXPECT_EQ(ParseSecondsText("0.5"), microseconds(500'000));
  EXPECT_EQ(ParseSecondsText("2.000001"), microseconds(2'000'001));
  EXPECT_EQ(ParseSecondsText(".25"), microseconds(250'000));
  EXPECT_EQ(ParseSecondsText("3."), microseconds(3'000'000));
  EXPECT_FALSE(ParseSecondsText("1.0000001"));
  EXPECT_FALSE(ParseSecondsText("-1"));
  EXPECT_FALSE(ParseSecondsText("1e3"));
  EXPECT_FALSE(ParseSecondsText("."));
}

TEST(ValuesTest, FormatSecondsTrimsZeros) {
  EXPECT_EQ(FormatSeconds(microseconds(1'000'000)), "1");
  EXPECT_EQ(FormatSeconds(microseconds(10'000)), "0.01");
  EXPECT_EQ(FormatSeconds(microseconds(40'950'000)), "40.95");
  EXPECT_EQ(FormatSeconds(microseconds(1)), "0.000001");
}

TEST(ValuesTest, IntegerOutOfRangeReportsAtToken) {
  Diagnostics d;
  EXPECT_FALSE(ParseInteger(Tok("300"), "priority", 1, 255, d));
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(d.all()[0].message, "priority 300 is out of range 1..255");
  EXPECT_EQ(d.all()[0].severity, Severity::kError);
  EXPECT_EQ(d.all()[0].loc, (SourceLoc{0, 3, 7}));
}

TEST(ValuesTest, IntegerNotANumberReportsType) {
  Diagnostics d;
  EXPECT_FALSE(ParseInteger(Tok("abc"), "priority", 1, 255, d, Severity::kFatal));
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(d.all()[0].message, "priority: 'abc' is not a valid integer");
  EXPECT_EQ(d.all()[0].severity, Severity::kFatal);
}

TEST(ValuesTest, TimerRangeIsPrintedInSeconds) {
  Diagnostics d;
  EXPECT_EQ(ParseTimer(Tok("0.5"), "advert_int", microseconds(10'000), microseconds(255'000'000), d),
            microseconds(500'000));
  EXPECT_FALSE(ParseTimer(Tok("0.001"), "advert_int", microseconds(10'000), microseconds(255'000'000), d));
  EXPECT_FALSE(ParseTimer(Tok("soon"), "advert_int", microseconds(0), microseconds(1), d));
  ASSERT_EQ(d.all().size(), 2u);
  EXPECT_EQ(d.all()[0].message, "advert_int 0.001 is out of range 0.01..255");
  EXPECT_EQ(d.all()[1].message, "advert_int: 'soon' is not a valid time in seconds");
}

TEST(ValuesTest, AddressPrefixPortAndBool) {
  Diagnostics d;
  EXPECT_EQ(ParseAddress(Tok("10.1.2.3"), "x", d)->ToString(), "10.1.2.3");
  EXPECT_EQ(ParsePrefix(Tok("fe80::1/64"), "x", d)->ToString(), "fe80::1/64");
  EXPECT_EQ(ParsePort(Tok("65535"), "port", d), 65535);
  EXPECT_EQ(ParseBool(Tok("off"), "b", d), false);
  EXPECT_TRUE(d.all().empty());
  EXPECT_FALSE(ParseAddress(Tok("10.1.2"), "unicast_src_ip", d));
  EXPECT_FALSE(ParsePrefix(Tok("10.0.0.1/33"), "address", d));
  EXPECT_FALSE(ParsePort(Tok("65536"), "port", d));
  EXPECT_FALSE(ParseBool(Tok("1"), "alpha", d));
  ASSERT_EQ(d.all().size(), 4u);
  EXPECT_EQ(d.all()[0].message, "unicast_src_ip: '10.1.2' is not a valid IP address");
  EXPECT_EQ(d.all()[1].message, "address: '10.0.0.1/33' is not a valid IP address or prefix");
  EXPECT_EQ(d.all()[2].message, "port 65536 is out of range 0..65535");
  EXPECT_EQ(d.all()[3].message, "alpha: '1' is not a valid boolean");
}

TEST(ValuesTest, NodeBoolBareKeywordIsTrue) {
  Diagnostics d;
  Node n;
  n.keyword = Tok("alpha");
  EXPECT_EQ(NodeBool(n, d), true);
  n.args.push_back(Tok("no"));
  EXPECT_EQ(NodeBool(n, d), false);
  EXPECT_TRUE(d.all().empty());
}

TEST(ValuesTest, RequireArgReportsMissingValueAtKeyword) {
  Diagnostics d;
  Node n;
  n.keyword = Tok("interface");
  EXPECT_EQ(RequireArg(n, 0, d), nullptr);
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(d.all()[0].message, "interface: missing value");
}

}  // namespace
}  // namespace vigil::config
