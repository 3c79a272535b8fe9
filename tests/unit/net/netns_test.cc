#include "net/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "netns_helper.h"

namespace vigil::net {
namespace {

TEST(NetnsTest, NamesAreIpNetnsFiles) {
  EXPECT_EQ(NetnsPath("blue"), "/run/netns/blue");
}

TEST(NetnsTest, IpvsNamespaceFollowsKeepalived) {
  EXPECT_EQ(IpvsNetnsPath(std::nullopt), "");           // where vigild runs
  EXPECT_EQ(IpvsNetnsPath(std::string()), "/proc/1/ns/net");  // no name: the init namespace
  EXPECT_EQ(IpvsNetnsPath(std::string("lb")), "/run/netns/lb");
}

TEST(NetnsTest, MissingNamespaceIsNamed) {
  auto r = EnterNetns("/run/netns/vigil-test-no-such-namespace");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString(),
            "network namespace '/run/netns/vigil-test-no-such-namespace': No such file or "
            "directory");
  auto in = InNetns("/run/netns/vigil-test-no-such-namespace", [] { ADD_FAILURE(); });
  EXPECT_FALSE(in);
}

ino_t CurrentNetnsInode() {
  struct stat st {};
  if (stat("/proc/thread-self/ns/net", &st) != 0) return 0;
  return st.st_ino;
}

// In a fresh namespace A, make a second one B; InNetns(A) runs its body in A and comes back
// to B; EnterNetns(A) stays in A.
TEST(NetnsTest, InNetnsRunsTheBodyThereAndComesBack) {
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    const ino_t a = CurrentNetnsInode();
    int a_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (a_fd < 0) return "cannot open namespace A";
    if (unshare(CLONE_NEWNET) != 0) return "unshare B failed";
    const ino_t b = CurrentNetnsInode();
    if (a == b || b == 0) return "B is not a new namespace";
    const std::string a_path = "/proc/self/fd/" + std::to_string(a_fd);
    ino_t inside = 0;
    auto r = InNetns(a_path, [&] { inside = CurrentNetnsInode(); });
    if (!r) return "InNetns: " + r.error().ToString();
    if (inside != a) return "the body did not run in A";
    if (CurrentNetnsInode() != b) return "InNetns did not come back to B";
    if (auto e = EnterNetns(a_path); !e) return "EnterNetns: " + e.error().ToString();
    if (CurrentNetnsInode() != a) return "EnterNetns did not stay in A";
    ino_t here = 0;
    if (auto s = InNetns("", [&] { here = CurrentNetnsInode(); }); !s || here != a)
      return "an empty path must run the body where the thread is";
    close(a_fd);
    return "";
  });
}

}  // namespace
}  // namespace vigil::net
