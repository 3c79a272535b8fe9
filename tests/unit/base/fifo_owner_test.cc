#include "base/fifo_owner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "scratch_dir.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

// A resolver knowing one user, "u1" (uid 4242, primary gid 4343), and one group, "g1"
// (4444); no keepalived_script.
Result<std::pair<uid_t, gid_t>> Resolve(const std::string& user,
                                        const std::optional<std::string>& group) {
  if (user != "u1") return Fail(ErrorCode::kNotFound, "no user '" + user + "'");
  if (group && *group != "g1") return Fail(ErrorCode::kNotFound, "no group '" + *group + "'");
  return std::make_pair(uid_t{4242}, group ? gid_t{4444} : gid_t{4343});
}

class FifoOwnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  }

  // Creates FIFO NAME, sets its owner, returns "uid:gid" or the error.
  std::string Owner(const std::string& name, std::optional<std::string> user,
                    std::optional<std::string> group, const ScriptDefaults& defaults = {}) {
    const std::string path = (dir_ / name).string();
    EXPECT_EQ(::mkfifo(path.c_str(), 0644), 0);
    if (auto r = SetFifoOwner(path, user, group, defaults, Resolve); !r) return r.error().ToString();
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
  }
  test_support::ScratchDir scratch_{"fifo-owner"};
  const fs::path& dir_ = scratch_.path();
};

// keepalived 2.2.7 (notify_fifo's parser, fifo_open): USER [GROUP], else the default script
// user; a FIFO it creates is chowned to that owner.
TEST_F(FifoOwnerTest, TheNamedUserAndGroupElseTheDefaultScriptUser) {
  const std::string self = std::to_string(getuid()) + ":" + std::to_string(getgid());
  EXPECT_EQ(Owner("a", "u1", std::nullopt), "4242:4343");
  EXPECT_EQ(Owner("b", "u1", "g1"), "4242:4444");
  ScriptDefaults defaults;
  defaults.user = "u1";
  EXPECT_EQ(Owner("c", std::nullopt, std::nullopt, defaults), "4242:4343");
  EXPECT_EQ(Owner("d", std::nullopt, std::nullopt), self);  // no keepalived_script: vigild's
  EXPECT_EQ(Owner("e", "nobody-here", std::nullopt), "no user 'nobody-here'");
}

// keepalived 2.2.7's fifo_open: mkfifo with 0644, less the umask (keepalived's own 0177 unless
// `umask` / --umask says otherwise); a FIFO already there is used as it is.
TEST(MakeFifoTest, Mode0644LessTheUmaskAndAnExistingOneKept) {
  const fs::path dir = fs::temp_directory_path() / ("vigil-make-fifo-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto mode = [](const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  };
  auto made = [&](const char* name) {
    auto r = MakeFifo((dir / name).string());
    return r ? (*r ? "made" : "there") : r.error().ToString();
  };
  const mode_t saved = ::umask(022);
  EXPECT_EQ(made("a"), "made");
  ::umask(0177);
  EXPECT_EQ(made("b"), "made");
  EXPECT_EQ(made("a"), "there");
  ::umask(saved);
  EXPECT_EQ(mode(dir / "a"), 0644u);
  EXPECT_EQ(mode(dir / "b"), 0600u);
  EXPECT_EQ(made("none/c"), "mkfifo " + (dir / "none/c").string() + ": No such file or directory");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vigil
