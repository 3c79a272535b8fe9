#include "base/fd.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace vigil {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-fd-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
};

TEST_F(FdTest, EveryDescriptorIsCloseOnExec) {
  UniqueFd f = fd::Open("/dev/null", O_RDONLY);
  ASSERT_TRUE(f);
  EXPECT_TRUE(fd::IsCloexec(f.get()));
  UniqueFd s = fd::Socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_TRUE(s);
  EXPECT_TRUE(fd::IsCloexec(s.get()));
  UniqueFd d = fd::Dup(s.get());
  ASSERT_TRUE(d);
  EXPECT_TRUE(fd::IsCloexec(d.get()));
  auto pair = fd::SocketPair(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_TRUE(pair.has_value());
  EXPECT_TRUE(fd::IsCloexec(pair->first.get()));
  EXPECT_TRUE(fd::IsCloexec(pair->second.get()));
  // A descriptor a library made without it gets it.
  UniqueFd raw(::socket(AF_UNIX, SOCK_DGRAM, 0));
  ASSERT_FALSE(fd::IsCloexec(raw.get()));
  ASSERT_TRUE(fd::SetCloexec(raw.get()).has_value());
  EXPECT_TRUE(fd::IsCloexec(raw.get()));
}

TEST_F(FdTest, CloexecSinceMarksOnlyNewDescriptors) {
  UniqueFd old(::socket(AF_UNIX, SOCK_DGRAM, 0));
  const auto before = fd::OpenFds();
  ASSERT_TRUE(std::binary_search(before.begin(), before.end(), old.get()));
  UniqueFd made(::socket(AF_UNIX, SOCK_DGRAM, 0));  // as a library would
  fd::CloexecSince(before);
  EXPECT_TRUE(fd::IsCloexec(made.get()));
  EXPECT_FALSE(fd::IsCloexec(old.get()));
}

TEST_F(FdTest, ReplaceFileWritesA0600File) {
  const std::string path = dir_ + "/keepalived.data";
  ASSERT_TRUE(fd::ReplaceFile(path, "one\n", 0600).has_value());
  EXPECT_EQ(Slurp(path), "one\n");
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // An existing file (even 0644) is replaced by a new one, not rewritten in place.
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  const ino_t before = st.st_ino;
  ASSERT_TRUE(fd::ReplaceFile(path, "two\n", 0600).has_value());
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_NE(st.st_ino, before);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(Slurp(path), "two\n");
}

TEST_F(FdTest, ReplaceFileNeverFollowsASymlink) {
  const std::string victim = dir_ + "/victim";
  {
    std::ofstream(victim) << "precious\n";
  }
  const std::string path = dir_ + "/keepalived.stats";
  ASSERT_EQ(symlink(victim.c_str(), path.c_str()), 0);
  ASSERT_TRUE(fd::ReplaceFile(path, "stats\n", 0600).has_value());
  EXPECT_EQ(Slurp(victim), "precious\n");
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(Slurp(path), "stats\n");
}

TEST_F(FdTest, ReplaceFileFailsCleanlyInAMissingDirectory) {
  auto r = fd::ReplaceFile(dir_ + "/no/such/dir/file", "x", 0600);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().sys_errno(), ENOENT);
}

}  // namespace
}  // namespace vigil
