#include "daemon/track_file_init.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "scratch_dir.h"

namespace vigil::daemon {
namespace {

namespace fs = std::filesystem;

class TrackFileInitTest : public ::testing::Test {
 protected:

  // A track_file NAME on dir_/NAME; `init`: whether it has init_file.
  model::TrackFile File(const std::string& name, bool init, std::optional<int64_t> value = {},
                        bool overwrite = false) {
    model::TrackFile f;
    f.name = name;
    f.path = (dir_ / name).string();
    f.init_file = init;
    f.init_value = value;
    f.init_overwrite = overwrite;
    return f;
  }
  test_support::ScratchDir scratch_{"track-file-init"};
  const fs::path& dir_ = scratch_.path();
};

// keepalived 2.2.7 (track_file.c's end handler): a missing file is created with VALUE
// (default 0) and a newline, at start and at a reload; an existing one is left alone
// unless `overwrite`, which rewrites it at start only; no init_file, nothing is written.
TEST_F(TrackFileInitTest, WritesMissingFilesAndOverwritesOnlyAtStart) {
  const std::vector<model::TrackFile> files = {
      File("plain", false), File("zero", true), File("seven", true, -7),
      File("kept", true, 5), File("over", true, 9, true)};
  test_support::WriteFile(dir_ / "kept", "3\n");
  test_support::WriteFile(dir_ / "over", "3\n");
  EXPECT_EQ(InitTrackFiles(files, false, 0640), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(dir_ / "plain"));
  EXPECT_EQ(test_support::ReadFile(dir_ / "zero"), "0\n");
  EXPECT_EQ(test_support::ReadFile(dir_ / "seven"), "-7\n");
  EXPECT_EQ(test_support::ReadFile(dir_ / "kept"), "3\n");
  EXPECT_EQ(test_support::ReadFile(dir_ / "over"), "9\n");
  struct stat st {};
  ASSERT_EQ(stat((dir_ / "zero").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);

  // A reload creates what is missing, and overwrites nothing.
  test_support::WriteFile(dir_ / "over", "4\n");
  fs::remove(dir_ / "zero");
  EXPECT_EQ(InitTrackFiles(files, true, 0640), std::vector<std::string>{});
  EXPECT_EQ(test_support::ReadFile(dir_ / "over"), "4\n");
  EXPECT_EQ(test_support::ReadFile(dir_ / "zero"), "0\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 4);
}

TEST_F(TrackFileInitTest, OverwriteNeedsARegularFile) {
  fs::create_directories(dir_ / "d");
  auto f = File("d", true, 1, true);
  EXPECT_EQ(InitTrackFiles({f}, false, 0644),
            std::vector<std::string>{"track_file d: cannot initialise " + f.path +
                                     ": not a regular file"});
  EXPECT_TRUE(fs::is_directory(dir_ / "d"));
  // Without overwrite an existing directory is simply left alone.
  EXPECT_EQ(InitTrackFiles({File("d", true)}, false, 0644), std::vector<std::string>{});
}

}  // namespace
}  // namespace vigil::daemon
