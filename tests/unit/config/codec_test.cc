// model::EncodeConfig / DecodeConfig over real configurations: the golden configurations
// and the keepalived corpus (../shared/corpus, when present) come back as the same model,
// and a truncated or corrupt encoding is an error, never a crash. In config's tests because
// the models come from the configuration loader.
#include "model/codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "config/file_system.h"
#include "config/load.h"
#include "fake_system.h"
#include "model/json.h"

namespace vigil::config {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> ConfigFiles(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

model::Config Load(const fs::path& path, SystemPass pass = SystemPass::kNone) {
  RealFileSystem files;
  FakeSystem system;
  PreprocessOptions options;
  options.config_id = "codec";
  return LoadConfig(path.string(), options, files, &system, pass).config;
}

// Expects `config` to come back from its encoding as the same model: the same
// --dump-config JSON, and the same bytes when encoded again (which covers what the JSON
// leaves out: positions, resolved programs, secrets).
void ExpectRoundTrip(const model::Config& config, const std::string& what) {
  const std::string bytes = model::EncodeConfig(config);
  auto decoded = model::DecodeConfig(bytes);
  ASSERT_TRUE(decoded.has_value()) << what << ": " << decoded.error().ToString();
  EXPECT_EQ(model::ToJsonText(*decoded), model::ToJsonText(config)) << what;
  EXPECT_EQ(model::EncodeConfig(*decoded), bytes) << what;
}

TEST(CodecTest, GoldenConfigurationsComeBackTheSame) {
  auto files = ConfigFiles(fs::path(VIGIL_SOURCE_DIR) / "tests", ".conf");
  ASSERT_GE(files.size(), 15u);
  for (const auto& f : files) ExpectRoundTrip(Load(f, SystemPass::kResolve), f.string());
}

TEST(CodecTest, CorpusComesBackTheSame) {
  // As tests/corpus finds it: $VIGIL_CORPUS, else beside the repository (or beside the
  // directory of its worktrees).
  const fs::path source(VIGIL_SOURCE_DIR);
  std::vector<fs::path> files;
  for (fs::path dir : {fs::path(getenv("VIGIL_CORPUS") ? getenv("VIGIL_CORPUS") : ""),
                       source.parent_path() / "shared" / "corpus",
                       source.parent_path().parent_path() / "shared" / "corpus"}) {
    if (!dir.empty() && (files = ConfigFiles(dir, "")).size() > 0) break;
  }
  if (files.empty()) GTEST_SKIP() << "no corpus beside " << source;
  size_t n = 0;
  for (const auto& f : files) {
    if (f.extension() == ".tsv") continue;
    ExpectRoundTrip(Load(f), f.string());
    ++n;
  }
  EXPECT_GE(n, 1000u);
}

// A model with what only the system pass and the positions set, which no dump shows.
model::Config Resolved() {
  model::Config c;
  model::Script s;
  s.command = "/usr/local/bin/notify master";
  s.program = "/usr/local/bin/notify";
  s.real_program = "/opt/notify-2";
  s.loc = {2, 30, 5};
  c.global.startup_script = s;
  model::VrrpScript vs;
  vs.name = "chk";
  vs.missing = true;
  vs.command_loc = {0, 7, 3};
  c.vrrp_scripts.push_back(vs);
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.virtual_router_id = 51;
  vi.auth_hmac.emplace();
  vi.auth_hmac->keys.push_back({7, std::vector<uint8_t>(32, 0xab), "/etc/k", {1, 2, 3}});
  vi.vmac_mac = std::array<uint8_t, 6>{0, 0, 0x5e, 0, 1, 51};
  vi.virtual_ipaddress.push_back({*model::IpPrefix::Parse("fe80::1/64"),
                                  std::nullopt,
                                  "eth0",
                                  std::nullopt,
                                  std::nullopt,
                                  false,
                                  std::nullopt,
                                  {},
                                  {}});
  c.vrrp_instances.push_back(vi);
  model::VirtualServer v;
  v.address = model::IpAddress::V4(0x0a000001);
  model::RealServer rs;
  rs.notify_up = s;
  model::CheckSpec check;
  check.detail = model::UdpCheck{{1, 2, 3}, true, {4}, 1, 9};
  rs.checks.push_back(check);
  rs.loc = {0, 900000, 12};
  v.real_servers.push_back(rs);
  c.virtual_servers.push_back(v);
  return c;
}

TEST(CodecTest, ResolvedFieldsAndPositionsTravel) {
  const model::Config c = Resolved();
  auto decoded = model::DecodeConfig(model::EncodeConfig(c));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(decoded->global.startup_script->real_program, "/opt/notify-2");
  EXPECT_TRUE(SamePlace(decoded->global.startup_script->loc, c.global.startup_script->loc));
  EXPECT_TRUE(decoded->vrrp_scripts.at(0).missing);
  EXPECT_EQ(decoded->vrrp_scripts.at(0).command_loc.line, 7u);
  EXPECT_EQ(decoded->vrrp_instances.at(0).auth_hmac, c.vrrp_instances.at(0).auth_hmac);
  EXPECT_EQ(decoded->vrrp_instances.at(0).vmac_mac, c.vrrp_instances.at(0).vmac_mac);
  EXPECT_EQ(decoded->vrrp_instances.at(0).virtual_ipaddress.at(0).prefix.ToString(), "fe80::1/64");
  EXPECT_EQ(decoded->virtual_servers.at(0), c.virtual_servers.at(0));
  EXPECT_EQ(decoded->virtual_servers.at(0).real_servers.at(0).loc.line, 900000u);
  ExpectRoundTrip(c, "resolved");
}

TEST(CodecTest, EveryTruncationIsAnError) {
  const std::string bytes = model::EncodeConfig(Resolved());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = model::DecodeConfig(std::string_view(bytes).substr(0, n));
    EXPECT_FALSE(r.has_value()) << "decoded from " << n << " of " << bytes.size() << " bytes";
  }
  EXPECT_TRUE(model::DecodeConfig(bytes).has_value());
}

TEST(CodecTest, HeaderTrailerAndRangesAreChecked) {
  const std::string bytes = model::EncodeConfig(model::Config{});
  EXPECT_EQ(bytes.substr(0, 4), std::string("VGM\x04"));
  auto error = [](std::string b) {
    auto r = model::DecodeConfig(b);
    return r ? std::string("decoded") : r.error().context();
  };
  EXPECT_EQ(error(""), "not an encoded model");
  EXPECT_EQ(error("XGM\x01" + bytes.substr(4)), "not an encoded model");
  EXPECT_EQ(error("VGM\x03" + bytes.substr(4)), "an encoded model of another version");
  EXPECT_EQ(error(bytes + "x"), "encoded model: trailing bytes");
  // The first field is global.router_id, an optional: 2 is not a bool.
  std::string bad = bytes;
  bad[4] = 2;
  EXPECT_EQ(error(bad), "encoded model: a bool is neither 0 nor 1");
  // A string claiming more bytes than there are.
  bad = bytes;
  bad.replace(4, 1, std::string("\x01\xff\xff\xff\x0f", 5));
  EXPECT_EQ(error(bad), "encoded model: a length runs past the end");
}

TEST(CodecTest, CorruptBytesNeverCrash) {
  const std::string bytes = model::EncodeConfig(Resolved());
  size_t decoded = 0;
  for (size_t i = 4; i < bytes.size(); ++i) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ x);
      if (model::DecodeConfig(bad)) ++decoded;
    }
  }
  // Some flips give another valid model (a different number, a different string); most
  // are caught. What matters is that none read out of bounds (the fuzz target's job).
  EXPECT_LT(decoded, 3 * (bytes.size() - 4));
}

}  // namespace
}  // namespace vigil::config
