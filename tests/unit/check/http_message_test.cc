#include "check/http_message.h"

#include <gtest/gtest.h>

#include "check/body_check.h"

namespace vigil::check {
namespace {

TEST(HttpRequestTest, Http10RequestHasKeepalivedHeaders) {
  EXPECT_EQ(BuildHttpRequest("/health", HttpVersion::k10, "10.0.0.1:80"),
            "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.1:80\r\n\r\n");
}

TEST(HttpRequestTest, Http11And10CloseAskForConnectionClose) {
  EXPECT_EQ(BuildHttpRequest("/", HttpVersion::k11, "www.example.com"),
            "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\n"
            "Host: www.example.com\r\n\r\n");
  EXPECT_EQ(BuildHttpRequest("/", HttpVersion::k10Close, "h"),
            "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: h\r\n\r\n");
}

TEST(HttpRequestTest, HostHeaderPrefersVirtualhostAndBracketsIpv6) {
  ConnectOptions c;
  c.address = "10.0.0.1";
  c.port = 8080;
  EXPECT_EQ(HttpHostHeader(c, ""), "10.0.0.1:8080");
  EXPECT_EQ(HttpHostHeader(c, "www.example.com"), "www.example.com");
  c.address = "fe80::1%eth0";
  EXPECT_EQ(HttpHostHeader(c, ""), "[fe80::1]:8080");
}

TEST(HttpRequestTest, StatusCodesDefaultTo2xx) {
  EXPECT_TRUE(StatusAccepted(200, {}));
  EXPECT_TRUE(StatusAccepted(299, {}));
  EXPECT_FALSE(StatusAccepted(301, {}));
  EXPECT_FALSE(StatusAccepted(199, {}));
  std::vector<std::pair<int, int>> ranges = {{200, 200}, {301, 302}};
  EXPECT_TRUE(StatusAccepted(302, ranges));
  EXPECT_FALSE(StatusAccepted(201, ranges));
}

struct Parsed {
  std::string body;
  HttpResponseParser parser;
  explicit Parsed(bool chunked = true)
      : parser(chunked, [this](std::string_view d) { body.append(d); }) {}
};

TEST(HttpResponseParserTest, ParsesContentLengthBodyFedByteByByte) {
  Parsed p;
  const std::string msg = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello trailing";
  for (char c : msg) ASSERT_TRUE(p.parser.Feed(std::string_view(&c, 1)));
  EXPECT_TRUE(p.parser.complete());
  EXPECT_EQ(p.parser.status(), 200);
  EXPECT_EQ(p.parser.content_length(), 5u);
  EXPECT_EQ(p.body, "hello");
  EXPECT_TRUE(p.parser.Finish());
}

TEST(HttpResponseParserTest, ReadsBodyToEofWithoutLength) {
  Parsed p;
  ASSERT_TRUE(p.parser.Feed("HTTP/1.1 404 Not Found\n\nabc"));
  ASSERT_TRUE(p.parser.Feed("def"));
  EXPECT_FALSE(p.parser.complete());
  EXPECT_TRUE(p.parser.Finish());
  EXPECT_EQ(p.parser.status(), 404);
  EXPECT_EQ(p.body, "abcdef");
}

TEST(HttpResponseParserTest, DecodesChunkedBody) {
  Parsed p;
  ASSERT_TRUE(p.parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
                            "5;ext=1\r\nhello\r\n"
                            "7\r\n, world\r\n0\r\nX-Trailer: y\r\n\r\n"));
  EXPECT_TRUE(p.parser.chunked());
  EXPECT_TRUE(p.parser.complete());
  EXPECT_EQ(p.body, "hello, world");
}

TEST(HttpResponseParserTest, CanKeepChunkFramingLikeKeepalived) {
  Parsed p(/*chunked=*/false);
  ASSERT_TRUE(p.parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"));
  EXPECT_TRUE(p.parser.Finish());
  EXPECT_EQ(p.body, "2\r\nhi\r\n0\r\n\r\n");
}

TEST(HttpResponseParserTest, RejectsMalformedInput) {
  {
    Parsed p;
    auto r = p.parser.Feed("SMTP 220 hi\r\n\r\n");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().context(), "bad HTTP status line");
  }
  {
    Parsed p;
    EXPECT_FALSE(p.parser.Feed("HTTP/1.0 2x0 OK\r\n\r\n"));
  }
  {
    Parsed p;
    ASSERT_TRUE(p.parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
    auto r = p.parser.Feed("zz\r\n");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().context(), "bad chunk size");
  }
  {
    Parsed p;
    auto r = p.parser.Finish();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().context(), "no data received");
  }
  {
    Parsed p;
    ASSERT_TRUE(p.parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"));
    EXPECT_FALSE(p.parser.Finish());
  }
}

// Feeds `msg` in pieces of `piece` bytes (0: at once); returns the first error's context, or
// "" if every Feed and the Finish succeeded.
std::string FeedInPieces(const std::string& msg, size_t piece) {
  Parsed p;
  for (size_t at = 0; at < msg.size(); at += piece == 0 ? msg.size() : piece) {
    if (auto r = p.parser.Feed(std::string_view(msg).substr(at, piece == 0 ? msg.size() : piece));
        !r) {
      return r.error().context();
    }
  }
  auto r = p.parser.Finish();
  return r ? "" : r.error().context();
}

// Found by fuzz_http_response: the limits on a chunk line and on the header block held only
// when the network delivered the line's end in a later read than its start.
TEST(HttpResponseParserTest, LimitsDoNotDependOnHowTheResponseIsCut) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string long_line = head + std::string(4200, '0') + "1\r\nx\r\n0\r\n\r\n";
  for (size_t piece : {0, 1, 100, 4096, 5000}) {
    EXPECT_EQ(FeedInPieces(long_line, piece), "chunk line too long") << piece;
  }
  // 4096 bytes before the LF, its CR included.
  const std::string at_limit = head + std::string(4094, '0') + "1\r\nx\r\n0\r\n\r\n";
  for (size_t piece : {0, 1, 100}) EXPECT_EQ(FeedInPieces(at_limit, piece), "") << piece;

  // A header block of exactly 64 KiB passes, one byte more fails, however it arrives.
  const std::string status = "HTTP/1.1 200 OK\r\nX: ";
  const std::string fits = status + std::string(64 * 1024 - status.size(), 'a') + "\r\n\r\n";
  const std::string over = status + std::string(64 * 1024 + 1 - status.size(), 'a') + "\r\n\r\n";
  for (size_t piece : {0, 1000, 64 * 1024, 64 * 1024 + 2}) {
    EXPECT_EQ(FeedInPieces(fits, piece), "") << piece;
    EXPECT_EQ(FeedInPieces(over, piece), "HTTP header too long") << piece;
  }
}

TEST(HttpResponseParserTest, ShortContentLengthBodyIsAcceptedAsKeepalivedDoes) {
  Parsed p;
  ASSERT_TRUE(p.parser.Feed("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_TRUE(p.parser.Finish());
  EXPECT_EQ(p.parser.body_bytes(), 3u);
}

TEST(BodyCheckTest, Md5MatchesKnownVectors) {
  Md5 empty;
  EXPECT_EQ(empty.HexDigest(), "d41d8cd98f00b204e9800998ecf8427e");
  Md5 m;
  m.Update("The quick brown fox ");
  m.Update("jumps over the lazy dog");
  EXPECT_EQ(m.HexDigest(), "9e107d9d372bb6826bd81d3542a419d6");
}

// regex_stack: a match deeper than PCRE2's own JIT stack (32 KiB) allows fails without
// one, and succeeds with a stack of 1 MiB.
TEST(BodyCheckTest, RegexStackGivesTheJitTheStackADeepMatchNeeds) {
  std::string subject;
  for (int i = 0; i < 5000; ++i) subject += "ab";
  subject += "c";
  auto own = Regex::Compile("(a|b)*c");
  ASSERT_TRUE(own);
  EXPECT_FALSE(own->Matches(subject));
  auto small = Regex::Compile("(a|b)*c", 0, {32 * 1024, 32 * 1024});
  ASSERT_TRUE(small);
  EXPECT_FALSE(small->Matches(subject));
  auto large = Regex::Compile("(a|b)*c", 0, {32 * 1024, 1024 * 1024});
  ASSERT_TRUE(large);
  EXPECT_TRUE(large->Matches(subject));
}

// regex_options: keepalived's names of PCRE2's compile options; unknown ones add nothing.
TEST(BodyCheckTest, RegexOptionsByKeepalivedsNames) {
  EXPECT_EQ(RegexOptionBits({}), 0u);
  EXPECT_EQ(RegexOptionBits({"bogus"}), 0u);
  auto plain = Regex::Compile("^OK$");
  auto named = Regex::Compile("^OK$", RegexOptionBits({"caseless", "bogus", "multiline"}));
  ASSERT_TRUE(plain);
  ASSERT_TRUE(named);
  EXPECT_FALSE(plain->Matches("status\nok\n"));
  EXPECT_TRUE(named->Matches("status\nok\n"));
}

TEST(BodyCheckTest, RegexHonoursOffsets) {
  auto re = Regex::Compile("st[a-z]+");
  ASSERT_TRUE(re);
  EXPECT_TRUE(re->Matches("status: started"));
  EXPECT_TRUE(re->Matches("status: started", 1));        // finds "started" at 8
  EXPECT_FALSE(re->Matches("status: started", 1, 7));    // ... but 8 > 7
  EXPECT_TRUE(re->Matches("status: started", 0, 0));
  EXPECT_FALSE(re->Matches("abc", 10));
  auto bad = Regex::Compile("a(b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().context(),
            "invalid regex 'a(b' at offset 3: missing closing parenthesis");
}

}  // namespace
}  // namespace vigil::check
