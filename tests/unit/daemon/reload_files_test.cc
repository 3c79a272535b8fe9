#include "daemon/reload_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "scratch_dir.h"

namespace vigil::daemon {
namespace {

namespace fs = std::filesystem;

model::Config With(std::vector<model::RawSetting> settings) {
  model::Config c;
  c.global.other = std::move(settings);
  return c;
}

class ReloadFilesTest : public ::testing::Test {
 protected:
  test_support::ScratchDir scratch_{"reload-files"};
  const fs::path& dir_ = scratch_.path();
};

TEST_F(ReloadFilesTest, SettingsAreReadFromGlobalDefs) {
  ReloadSettings none = GetReloadSettings(model::Config());
  EXPECT_FALSE(none.check_config);
  EXPECT_EQ(none.reload_file, "");
  EXPECT_EQ(none.time_file, "");
  EXPECT_FALSE(none.repeat);
  EXPECT_EQ(none.save_dir, "");

  ReloadSettings s = GetReloadSettings(With({{"reload_check_config", {"/var/log/check"}, {}},
                                             {"reload_file", {"/run/x.reload"}, {}},
                                             {"reload_time_file", {"/etc/reload_at"}, {}},
                                             {"reload_repeat", {}, {}},
                                             {"config_save_dir", {"/var/tmp/saved"}, {}}}));
  EXPECT_TRUE(s.check_config);
  EXPECT_EQ(s.check_log, "/var/log/check");
  EXPECT_EQ(s.reload_file, "/run/x.reload");
  EXPECT_EQ(s.time_file, "/etc/reload_at");
  EXPECT_TRUE(s.repeat);
  EXPECT_EQ(s.save_dir, "/var/tmp/saved");

  // Without arguments: no check log; the reload file in the pid directory.
  model::Config bare = With({{"reload_check_config", {}, {}}, {"reload_file", {}, {}}});
  s = GetReloadSettings(bare);
  EXPECT_TRUE(s.check_config);
  EXPECT_EQ(s.check_log, "");
  EXPECT_EQ(s.reload_file, "/run/vigild.reload");
  bare.instance = "two";
  bare.use_pid_dir = true;
  EXPECT_EQ(GetReloadSettings(bare).reload_file, "/run/vigild/vigild_two.reload");
}

TEST_F(ReloadFilesTest, CheckLogIsReplacedEachTime) {
  const std::string log = dir_ / "check.log";
  ASSERT_TRUE(WriteCheckLog(log, "a long first report\n"));
  ASSERT_TRUE(WriteCheckLog(log, "short\n"));
  EXPECT_EQ(test_support::ReadFile(log), "short\n");
  ASSERT_TRUE(WriteCheckLog(log, ""));
  EXPECT_EQ(test_support::ReadFile(log), "");
  EXPECT_TRUE(WriteCheckLog("/dev/null", "into nothing\n"));
  EXPECT_FALSE(WriteCheckLog((dir_ / "missing" / "check.log").string(), "x"));
}

TEST_F(ReloadFilesTest, ReloadFileIsCreatedEmptyAndRemoved) {
  const std::string file = dir_ / "vigild.reload";
  { std::ofstream(file) << "waiting for the reload"; }
  ASSERT_TRUE(CreateReloadFile(file));
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
  RemoveReloadFile(file);
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(ReloadFilesTest, SavedCopiesHoldEveryFileReadAndTheDirectoryIsMadeOnce) {
  config::SourceFiles files;
  files.Add("/etc/keepalived/keepalived.conf", "global_defs {\n}\ninclude vs.conf\n");
  files.Add("/etc/keepalived/vs.conf", "virtual_server 10.0.0.1 80 {\n}");
  const std::string saved = dir_ / "saved";
  auto path = SaveConfigCopy(saved, files, 42, 0);
  ASSERT_TRUE(path) << path.error().ToString();
  EXPECT_EQ(*path, saved + "/vigild.conf.42.0");
  EXPECT_EQ(test_support::ReadFile(*path),
            "# /etc/keepalived/keepalived.conf\nglobal_defs {\n}\ninclude vs.conf\n"
            "# /etc/keepalived/vs.conf\nvirtual_server 10.0.0.1 80 {\n}\n");
  struct stat st {};
  ASSERT_EQ(stat(saved.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(*SaveConfigCopy(saved, files, 42, 1), saved + "/vigild.conf.42.1");

  const std::string plain = dir_ / "plain";
  { std::ofstream(plain) << "x"; }
  EXPECT_EQ(SaveConfigCopy(plain, files, 42, 0).error().ToString(),
            "config_save_dir " + plain + " exists and is not a directory");
  EXPECT_FALSE(SaveConfigCopy((dir_ / "no" / "parent").string(), files, 42, 0));
}

}  // namespace
}  // namespace vigil::daemon
