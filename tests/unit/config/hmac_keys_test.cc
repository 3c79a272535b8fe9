#include "config/hmac_keys.h"

#include <gtest/gtest.h>

#include "config/build.h"
#include "fake_system.h"
#include "tree_text.h"

namespace vigil::config {
namespace {

using testing::DiagLines;
using testing::TreeFromText;
using Strings = std::vector<std::string>;

constexpr char kKey32[] = "0123456789abcdef0123456789abcdef";

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

model::Config BuildText(const std::string& text, Diagnostics& d) {
  Diagnostics parse;
  return Build(TreeFromText(text, parse), d);
}

std::string Instance(const std::string& auth, const std::string& extra = "") {
  return "vrrp_instance VI {\n"
         "  interface eth0\n"
         "  virtual_router_id 51\n" +
         extra +
         "  virtual_ipaddress {\n"
         "    10.0.0.100\n"
         "  }\n"
         "  auth_hmac {\n" +
         auth + "  }\n}\n";
}

TEST(DecodeHmacKeyTest, HexAndAscii) {
  EXPECT_EQ(DecodeHmacKey("abc"), Bytes("abc"));
  EXPECT_EQ(DecodeHmacKey("hex:0001ff"), (std::vector<uint8_t>{0x00, 0x01, 0xff}));
  EXPECT_EQ(DecodeHmacKey("hex:00 01\tFf"), (std::vector<uint8_t>{0x00, 0x01, 0xff}));
  // One digit before a space or the end is an octet alone.
  EXPECT_EQ(DecodeHmacKey("hex:a 1"), (std::vector<uint8_t>{0x0a, 0x01}));
  EXPECT_EQ(DecodeHmacKey("hex:abc"), (std::vector<uint8_t>{0xab, 0x0c}));
  EXPECT_EQ(DecodeHmacKey("hex:0g"), std::vector<uint8_t>{});
  EXPECT_EQ(DecodeHmacKey("hex:"), std::vector<uint8_t>{});
  EXPECT_EQ(DecodeHmacKey(std::string_view("ab\0cd", 5)), Bytes("ab"));
}

TEST(BuildAuthHmacTest, BlockIsRead) {
  Diagnostics d;
  auto cfg = BuildText(Instance(std::string("    key 1 ") + kKey32 +
                                "\n"
                                "    key 2 hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
                                "    key 3 file:/etc/vigil/k3\n"
                                "    active_key 2\n"
                                "    anti_replay monotonic\n"
                                "    mode permissive\n"
                                "    time_window 30\n"),
                       d);
  EXPECT_EQ(DiagLines(d), Strings{});
  ASSERT_EQ(cfg.vrrp_instances.size(), 1u);
  const auto& h = cfg.vrrp_instances[0].auth_hmac;
  ASSERT_TRUE(h.has_value());
  ASSERT_EQ(h->keys.size(), 3u);
  EXPECT_EQ(h->keys[0].secret, Bytes(kKey32));
  EXPECT_EQ(h->keys[1].secret.size(), 32u);
  EXPECT_EQ(h->keys[1].secret[31], 0x1f);
  EXPECT_EQ(h->keys[2].file, "/etc/vigil/k3");
  EXPECT_TRUE(h->keys[2].secret.empty());
  EXPECT_EQ(h->active_key, 2);
  EXPECT_FALSE(h->anti_replay_time);
  EXPECT_EQ(h->mode, model::HmacMode::kPermissive);
  EXPECT_EQ(h->time_window, 30u);
}

TEST(BuildAuthHmacTest, DefaultsAndDerivedWindow) {
  Diagnostics d;
  auto cfg = BuildText(Instance(std::string("    key 1 ") + kKey32 + "\n    active_key 1\n",
                                "  advert_int 3\n"),
                       d);
  EXPECT_EQ(DiagLines(d), Strings{});
  const auto& h = *cfg.vrrp_instances[0].auth_hmac;
  EXPECT_EQ(h.mode, model::HmacMode::kEnforce);
  EXPECT_TRUE(h.anti_replay_time);
  EXPECT_EQ(h.time_window, 9u);  // 3 x 3 s
  Diagnostics d2;
  auto fast = BuildText(Instance(std::string("    key 1 ") + kKey32 + "\n    active_key 1\n"), d2);
  EXPECT_EQ(fast.vrrp_instances[0].auth_hmac->time_window, 5u);  // floor
  Diagnostics d3;
  auto slow = BuildText(Instance(std::string("    key 1 ") + kKey32 + "\n    active_key 1\n",
                                 "  advert_int 200\n"),
                        d3);
  EXPECT_EQ(slow.vrrp_instances[0].auth_hmac->time_window, 300u);  // ceiling
}

TEST(BuildAuthHmacTest, DiagnosticsAtTheirTokens) {
  Diagnostics d;
  auto cfg = BuildText(Instance(std::string("    key 1 short\n"
                                            "    key 0 ") + kKey32 + "\n"
                                "    key 2\n"
                                "    key 3 " + kKey32 + "\n"
                                "    key 3 " + kKey32 + "\n"
                                "    active_key 3\n"
                                "    time_window 301\n"
                                "    anti_replay sometimes\n"
                                "    mode strict\n"),
                       d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"8:11: error: auth_hmac key 1: length 5 not in range [32, 64]; key ignored",
                     "9:9: error: auth_hmac key id 0 is out of range 1..255",
                     "10:5: error: auth_hmac key needs an id and a value",
                     "12:9: error: auth_hmac key id 3 is already defined; this one is ignored",
                     "14:17: error: auth_hmac time_window 301 is out of range 1..300",
                     "15:17: error: auth_hmac anti_replay: 'sometimes' must be time or monotonic",
                     "16:10: error: auth_hmac mode: 'strict' must be enforce, permissive or receive-only"}));
  ASSERT_TRUE(cfg.vrrp_instances[0].auth_hmac.has_value());
  EXPECT_EQ(cfg.vrrp_instances[0].auth_hmac->keys.size(), 1u);
}

TEST(BuildAuthHmacTest, InstanceLevelRules) {
  Diagnostics d;
  auto cfg = BuildText(Instance(std::string("    key 1 ") + kKey32 + "\n    active_key 2\n"), d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"7:3: error: vrrp_instance VI: auth_hmac active_key 2 is not defined; auth_hmac disabled"}));
  EXPECT_FALSE(cfg.vrrp_instances[0].auth_hmac.has_value());

  Diagnostics d2;
  auto legacy = BuildText(Instance(std::string("    key 1 ") + kKey32 + "\n    active_key 1\n",
                                   "  authentication {\n    auth_type PASS\n    auth_pass secret\n  }\n"),
                          d2);
  EXPECT_EQ(DiagLines(d2),
            (Strings{"11:3: error: vrrp_instance VI: auth_hmac cannot be combined with authentication; authentication dropped"}));
  EXPECT_EQ(legacy.vrrp_instances[0].auth_type, model::AuthType::kNone);
  EXPECT_TRUE(legacy.vrrp_instances[0].auth_hmac.has_value());

  Diagnostics d3;
  auto strict = BuildText(Instance(std::string("    key 1 ") + kKey32 +
                                       "\n    active_key 1\n    mode receive-only\n",
                                   "  strict_mode on\n  priority 100\n"),
                          d3);
  EXPECT_EQ(DiagLines(d3),
            (Strings{"9:3: error: vrrp_instance VI: strict mode requires auth_hmac mode enforce; using enforce"}));
  EXPECT_EQ(strict.vrrp_instances[0].auth_hmac->mode, model::HmacMode::kEnforce);
}

// The system pass: key files read as keepalived reads them.
class HmacKeyFileTest : public ::testing::Test {
 protected:
  model::Config Load(const std::string& auth, Diagnostics& d) {
    auto cfg = BuildText(Instance(auth), d);
    EXPECT_EQ(DiagLines(d), Strings{});
    LoadHmacKeyFiles(cfg, sys_, d);
    return cfg;
  }
  FakeSystem sys_;
};

TEST_F(HmacKeyFileTest, FileKeyIsReadWithoutItsLineEnd) {
  sys_.secret_files["/k/one"] = {std::string(kKey32) + "\r\n", 0600};
  sys_.secret_files["/k/two"] = {"hex:" + std::string(64, 'a') + "\n", 0400};
  Diagnostics d;
  auto cfg = Load("    key 1 file:/k/one\n    key 2 file:/k/two\n    active_key 2\n", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
  const auto& keys = cfg.vrrp_instances[0].auth_hmac->keys;
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].secret, Bytes(kKey32));
  EXPECT_EQ(keys[1].secret, std::vector<uint8_t>(32, 0xaa));
}

TEST_F(HmacKeyFileTest, UnreadableFileDropsTheKeyAndTheActiveKeyDisables) {
  Diagnostics d;
  auto cfg = Load("    key 1 file:/k/missing\n    active_key 1\n", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"8:11: error: vrrp_instance VI: auth_hmac key 1: file '/k/missing' cannot be opened; key ignored",
                     "7:3: error: vrrp_instance VI: auth_hmac active_key 1 is not defined; auth_hmac disabled"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  EXPECT_FALSE(cfg.vrrp_instances[0].auth_hmac.has_value());
}

TEST_F(HmacKeyFileTest, GroupOrOtherAccessIsASecurityError) {
  sys_.secret_files["/k/one"] = {kKey32, 0640};
  Diagnostics d;
  auto cfg = Load("    key 1 file:/k/one\n    active_key 1\n", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"8:11: warning: vrrp_instance VI: auth_hmac key 1: file '/k/one' is readable by group or others"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kScriptSecurity);
  // keepalived uses the key all the same.
  EXPECT_EQ(cfg.vrrp_instances[0].auth_hmac->keys[0].secret, Bytes(kKey32));
  sys_.secret_files["/k/one"] = {kKey32, 0601};  // any bit for others counts
  Diagnostics d2;
  Load("    key 1 file:/k/one\n    active_key 1\n", d2);
  EXPECT_EQ(d2.ExitCode(), CheckExit::kScriptSecurity);
}

TEST_F(HmacKeyFileTest, TooLargeAndBadLengths) {
  sys_.secret_files["/k/138"] = {std::string(kKey32) + std::string(106, '\n'), 0600};
  sys_.secret_files["/k/139"] = {std::string(kKey32) + std::string(107, '\n'), 0600};
  sys_.secret_files["/k/short"] = {"0123456789", 0600};
  Diagnostics d;
  auto cfg = Load("    key 1 file:/k/138\n    key 2 file:/k/139\n    key 3 file:/k/short\n"
                  "    active_key 1\n",
                  d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"9:11: error: vrrp_instance VI: auth_hmac key 2: file '/k/139' is too large; key ignored",
                     "10:11: error: vrrp_instance VI: auth_hmac key 3: file '/k/short' holds a key of 10 bytes, not in range [32, 64]; key ignored"}));
  ASSERT_EQ(cfg.vrrp_instances[0].auth_hmac->keys.size(), 1u);
  EXPECT_EQ(cfg.vrrp_instances[0].auth_hmac->keys[0].id, 1);
}

}  // namespace
}  // namespace vigil::config
