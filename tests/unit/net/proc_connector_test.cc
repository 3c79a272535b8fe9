#include "net/proc_connector.h"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <array>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::net {
namespace {

// Appends one connector message carrying `ev` as the kernel sends it.
void Put(std::vector<uint8_t>& out, const proc_event& ev) {
  const size_t len = NLMSG_HDRLEN + sizeof(cn_msg) + sizeof(ev);
  std::vector<uint8_t> msg(NLMSG_ALIGN(len), 0);
  nlmsghdr nh{};
  nh.nlmsg_len = static_cast<uint32_t>(len);
  nh.nlmsg_type = NLMSG_DONE;
  cn_msg cn{};
  cn.id.idx = CN_IDX_PROC;
  cn.id.val = CN_VAL_PROC;
  cn.len = sizeof(ev);
  std::memcpy(msg.data(), &nh, sizeof(nh));
  std::memcpy(msg.data() + NLMSG_HDRLEN, &cn, sizeof(cn));
  std::memcpy(msg.data() + NLMSG_HDRLEN + sizeof(cn), &ev, sizeof(ev));
  out.insert(out.end(), msg.begin(), msg.end());
}

// Returns an event of kind `what` whose data begins with `words` (fork: parent pid, parent
// tgid, child pid, child tgid; exec, comm, exit: pid, tgid; ack: the error).
proc_event Ev(enum proc_event::what what, std::array<uint32_t, 4> words = {}) {
  proc_event ev{};
  ev.what = what;
  std::memcpy(&ev.event_data, words.data(), sizeof(words));
  return ev;
}

TEST(ProcConnectorTest, ParsesExecForkCommExitAndAck) {
  std::vector<uint8_t> d;
  Put(d, Ev(proc_event::PROC_EVENT_NONE));
  Put(d, Ev(proc_event::PROC_EVENT_FORK, {10, 10, 11, 11}));
  Put(d, Ev(proc_event::PROC_EVENT_EXEC, {11, 11}));
  Put(d, Ev(proc_event::PROC_EVENT_COMM, {12, 11}));
  Put(d, Ev(proc_event::PROC_EVENT_EXIT, {11, 11}));
  Put(d, Ev(proc_event::PROC_EVENT_UID));
  using K = ProcEvent::Kind;
  std::vector<ProcEvent> want = {
      {K::kAck, 0, 0, 0, 0},    {K::kFork, 11, 11, 10, 0}, {K::kExec, 11, 11, 0, 0},
      {K::kComm, 12, 11, 0, 0}, {K::kExit, 11, 11, 0, 0},  {K::kOther, 0, 0, 0, 0}};
  EXPECT_EQ(ParseProcEvents(d), want);
}

TEST(ProcConnectorTest, SkipsTruncatedAndForeignMessages) {
  std::vector<uint8_t> d;
  Put(d, Ev(proc_event::PROC_EVENT_EXEC, {5, 5}));
  std::vector<uint8_t> foreign = d;
  foreign[NLMSG_HDRLEN] = CN_IDX_PROC + 1;  // another connector user
  EXPECT_TRUE(ParseProcEvents(foreign).empty());
  d.resize(d.size() - 8);
  EXPECT_TRUE(ParseProcEvents(d).empty());
}

TEST(ProcConnectorTest, BuildsTheListenRequest) {
  const std::vector<uint8_t> want = {
      40, 0, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0, 99, 0, 0, 0,  // nlmsghdr: NLMSG_DONE
      1, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0,    // cn_msg: CN_IDX_PROC, CN_VAL_PROC
      4, 0, 0, 0,                                        // len 4, flags 0
      1, 0, 0, 0};                                       // PROC_CN_MCAST_LISTEN
  EXPECT_EQ(BuildProcListen(true, 7, 99), want);
  EXPECT_EQ(BuildProcListen(false, 7, 99)[36], PROC_CN_MCAST_IGNORE);
}

}  // namespace
}  // namespace vigil::net
