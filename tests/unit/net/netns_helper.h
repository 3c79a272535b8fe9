// Test helper: runs a test body in a forked child inside a brand-new network namespace
// (only "lo", down), so kernel-facing tests never touch the host's network state.
#ifndef VIGIL_TESTS_UNIT_NET_NETNS_HELPER_H_
#define VIGIL_TESTS_UNIT_NET_NETNS_HELPER_H_

#include <functional>
#include <string>

namespace vigil::net::testing {

// The outcome of RunInFreshNetns.
struct NetnsOutcome {
  bool skipped = false;  // the namespace could not be created (not root / no CAP_SYS_ADMIN)
  std::string failure;   // empty on success; else what went wrong (or why skipped)
};

// Forks; the child calls unshare(CLONE_NEWNET), runs `body` and reports the string it
// returns ("" = pass). The child is killed by SIGALRM after 30 s. Never throws.
NetnsOutcome RunInFreshNetns(const std::function<std::string()>& body);

// In the child: runs `command` with /bin/sh and returns its stdout (empty on failure).
std::string RunCommand(const std::string& command);

}  // namespace vigil::net::testing

// Runs BODY (a lambda returning std::string) in a fresh netns; skips when not root or when
// network namespaces are unavailable, fails with the body's message otherwise.
#define VIGIL_IN_FRESH_NETNS(...)                                                   \
  do {                                                                              \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace"; \
    auto vigil_outcome_ = ::vigil::net::testing::RunInFreshNetns(__VA_ARGS__);          \
    if (vigil_outcome_.skipped) GTEST_SKIP() << vigil_outcome_.failure;             \
    EXPECT_EQ(vigil_outcome_.failure, "");                                          \
  } while (0)

#endif  // VIGIL_TESTS_UNIT_NET_NETNS_HELPER_H_
