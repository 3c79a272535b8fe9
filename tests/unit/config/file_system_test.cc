#include "config/file_system.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

namespace vigil::config {
namespace {

using V = std::vector<std::string>;

TEST(MemoryFileSystemTest, ReadsWhatWasAdded) {
  MemoryFileSystem fs;
  fs.Add("/etc/a.conf", "text");
  ASSERT_TRUE(fs.ReadFile("/etc/a.conf"));
  EXPECT_EQ(*fs.ReadFile("/etc/./a.conf"), "text");
  Result<std::string> missing = fs.ReadFile("/etc/b.conf");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().sys_errno(), ENOENT);
  Result<std::string> dir = fs.ReadFile("/etc");
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().sys_errno(), EISDIR);
}

TEST(MemoryFileSystemTest, GlobMatchesLikeGlibcWithMarkAndBrace) {
  MemoryFileSystem fs;
  for (const char* p : {"/e/b.conf", "/e/a.conf", "/e/.hidden.conf", "/e/c.txt", "/e/d/x.conf"}) {
    fs.Add(p, "");
  }
  EXPECT_EQ(fs.Glob("/e/*.conf"), (V{"/e/a.conf", "/e/b.conf"}));
  EXPECT_EQ(fs.Glob("/e/?.*"), (V{"/e/a.conf", "/e/b.conf", "/e/c.txt"}));
  EXPECT_EQ(fs.Glob("/e/*"), (V{"/e/a.conf", "/e/b.conf", "/e/c.txt", "/e/d/"}));
  EXPECT_EQ(fs.Glob("/e/{c.txt,a.conf}"), (V{"/e/c.txt", "/e/a.conf"}));
  EXPECT_EQ(fs.Glob("/e/*/*.conf"), (V{"/e/d/x.conf"}));
  EXPECT_EQ(fs.Glob("/e/none.conf"), V{});
  EXPECT_EQ(fs.Glob("/e/a.conf"), (V{"/e/a.conf"}));
}

TEST(MemoryFileSystemTest, CanonicalCollapsesDotsAndSlashes) {
  MemoryFileSystem fs;
  EXPECT_EQ(fs.Canonical("/etc//k/./x/../a.conf"), "/etc/k/a.conf");
  EXPECT_EQ(fs.Canonical("/../a"), "/a");
}

class RealFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil_fs_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)system(("rm -rf '" + dir_ + "'").c_str()); }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ + "/" + rel) << text;
  }
  std::string dir_;
};

TEST_F(RealFileSystemTest, ReadsGlobsAndCanonicalises) {
  RealFileSystem fs;
  Write("b.conf", "bee");
  Write("a.conf", "ay");
  ASSERT_EQ(mkdir((dir_ + "/sub").c_str(), 0700), 0);
  ASSERT_EQ(symlink((dir_ + "/a.conf").c_str(), (dir_ + "/sub/link.conf").c_str()), 0);
  EXPECT_EQ(*fs.ReadFile(dir_ + "/b.conf"), "bee");
  EXPECT_EQ(fs.ReadFile(dir_ + "/none").error().sys_errno(), ENOENT);
  EXPECT_FALSE(fs.ReadFile(dir_ + "/sub"));
  EXPECT_EQ(fs.Glob(dir_ + "/*"), (V{dir_ + "/a.conf", dir_ + "/b.conf", dir_ + "/sub/"}));
  EXPECT_EQ(fs.Glob(dir_ + "/{b,a}.conf"), (V{dir_ + "/b.conf", dir_ + "/a.conf"}));
  EXPECT_EQ(fs.Canonical(dir_ + "/sub/link.conf"), fs.Canonical(dir_ + "/a.conf"));
}

}  // namespace
}  // namespace vigil::config
