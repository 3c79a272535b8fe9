#include "daemon/pid_file.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

class PidFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-pidtest-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/vigild.pid";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string Read() {
    std::ifstream in(path_);
    std::string s;
    std::getline(in, s);
    return s;
  }
  std::string dir_, path_;
};

TEST_F(PidFileTest, IsReadableByAllWhateverTheUmask) {
  const mode_t old = umask(0177);
  auto p = PidFile::Acquire(path_, 1234);
  const mode_t during = umask(old);
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_EQ(during, 0177u);  // put back
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(PidFileTest, WritesPidAndRemovesOnDestruction) {
  {
    auto p = PidFile::Acquire(path_, 1234);
    ASSERT_TRUE(p.has_value()) << p.error().ToString();
    EXPECT_EQ(Read(), "1234");
  }
  EXPECT_NE(access(path_.c_str(), F_OK), 0);
}

TEST_F(PidFileTest, SecondHolderIsRefusedWhileFirstLives) {
  auto first = PidFile::Acquire(path_, getpid());
  ASSERT_TRUE(first.has_value());
  // OFD locks conflict even within one process when taken through another open().
  auto second = PidFile::Acquire(path_, 999);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), ErrorCode::kExists);
  EXPECT_EQ(second.error().context(), "another vigild is running (pid " +
                                          std::to_string(getpid()) + "): '" + path_ +
                                          "' is locked");
  EXPECT_EQ(Read(), std::to_string(getpid()));
}

TEST_F(PidFileTest, LockDiesWithItsOwnerEvenIfTheFileStays) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    auto p = PidFile::Acquire(path_, getpid());
    char c = p.has_value() ? '1' : '0';
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, '1');
  EXPECT_EQ(IsLocked(path_).value_or(false), true);
  auto refused = PidFile::Acquire(path_, 1);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().context(),
            "another vigild is running (pid " + std::to_string(child) + "): '" + path_ +
                "' is locked");
  kill(child, SIGKILL);  // the file is left behind, the lock is not
  waitpid(child, nullptr, 0);
  EXPECT_EQ(access(path_.c_str(), F_OK), 0);
  EXPECT_EQ(IsLocked(path_).value_or(true), false);
  auto again = PidFile::Acquire(path_, 77);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Read(), "77");
  close(ready[0]);
  close(ready[1]);
}

TEST_F(PidFileTest, RefusesSymlink) {
  ASSERT_EQ(symlink("/etc/passwd", path_.c_str()), 0);
  auto p = PidFile::Acquire(path_, 1);
  EXPECT_FALSE(p.has_value());
}

}  // namespace
}  // namespace vigil::daemon
