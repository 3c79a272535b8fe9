#include "vrrp/lvs_syncd.h"

#include <gtest/gtest.h>
#include <linux/genetlink.h>

#include <cerrno>
#include <deque>

#include "model/config.h"

namespace vigil::vrrp {
namespace {

using lb::ipvs::SyncRole;
using Bytes = std::vector<uint8_t>;

TEST(LvsSyncdTest, BackupDaemonRunsInEveryStateButStopMasterOnlyInMaster) {
  EXPECT_EQ(WantedSyncDaemons(State::kInit), (SyncDaemons{.master = false, .backup = true}));
  EXPECT_EQ(WantedSyncDaemons(State::kBackup), (SyncDaemons{.master = false, .backup = true}));
  EXPECT_EQ(WantedSyncDaemons(State::kFault), (SyncDaemons{.master = false, .backup = true}));
  EXPECT_EQ(WantedSyncDaemons(State::kMaster), (SyncDaemons{.master = true, .backup = true}));
  EXPECT_EQ(WantedSyncDaemons(State::kStop), (SyncDaemons{}));
}

TEST(LvsSyncdTest, PlanStopsFirstThenStarts) {
  const SyncDaemons none{}, backup{false, true}, both{true, true}, master{true, false};
  using V = std::vector<SyncdStep>;
  EXPECT_EQ(SyncdPlan(none, none), V{});
  EXPECT_EQ(SyncdPlan(both, both), V{});
  EXPECT_EQ(SyncdPlan(none, backup), (V{{true, SyncRole::kBackup}}));
  EXPECT_EQ(SyncdPlan(backup, both), (V{{true, SyncRole::kMaster}}));
  EXPECT_EQ(SyncdPlan(both, backup), (V{{false, SyncRole::kMaster}}));
  EXPECT_EQ(SyncdPlan(both, none), (V{{false, SyncRole::kMaster}, {false, SyncRole::kBackup}}));
  EXPECT_EQ(SyncdPlan(none, both), (V{{true, SyncRole::kBackup}, {true, SyncRole::kMaster}}));
  // keepalived's own order when it moves to MASTER: stop the backup, start the master.
  EXPECT_EQ(SyncdPlan(backup, master), (V{{false, SyncRole::kBackup}, {true, SyncRole::kMaster}}));
}

// A scripted transport: records every request and answers each with the next scripted
// replies (or errno); requests beyond the script succeed.
struct Script {
  struct Answer {
    std::vector<Bytes> replies;
    int error = 0;
  };
  std::vector<Bytes> requests;
  std::deque<Answer> answers;
  int opened = 0;
};

class FakeTransport final : public net::NetlinkTransport {
 public:
  explicit FakeTransport(Script* s) : s_(s) {}
  Result<void> Transact(std::span<const uint8_t> request,
                        const net::NetlinkReplyHandler& on_reply) override {
    s_->requests.emplace_back(request.begin(), request.end());
    if (s_->answers.empty()) return {};
    Script::Answer a = s_->answers.front();
    s_->answers.pop_front();
    for (const Bytes& r : a.replies)
      if (on_reply) on_reply(*reinterpret_cast<const nlmsghdr*>(r.data()));
    if (a.error != 0) return std::unexpected(Error::FromErrno(a.error, "netlink request"));
    return {};
  }

 private:
  Script* s_;
};

constexpr uint16_t kFamilyId = 0x1d;

Bytes FamilyReply(uint16_t id) {
  return {40, 0, 0, 0, GENL_ID_CTRL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, CTRL_CMD_NEWFAMILY, 1, 0, 0,
          0x09, 0x00, 0x02, 0x00, 'I', 'P', 'V', 'S', 0x00, 0x00, 0x00, 0x00,
          0x06, 0x00, 0x01, 0x00, uint8_t(id), uint8_t(id >> 8), 0x00, 0x00};
}

LvsSyncd::Opener OpenerFor(Script* s) {
  return [s]() -> Result<std::unique_ptr<net::NetlinkTransport>> {
    ++s->opened;
    return std::unique_ptr<net::NetlinkTransport>(new FakeTransport(s));
  };
}

LvsSyncdSpec Spec() {
  return {.instance = "VI_1", .config = {.interface = "eth1", .sync_id = 51}};
}

Bytes Start(SyncRole role) { return lb::ipvs::BuildStartDaemon(kFamilyId, role, Spec().config); }
Bytes Stop(SyncRole role, uint8_t id = 51) { return lb::ipvs::BuildStopDaemon(kFamilyId, role, id); }

TEST(LvsSyncdTest, FollowsTheInstanceThroughItsStates) {
  Script s;
  s.answers = {{{FamilyReply(kFamilyId)}, 0}, {{}, ESRCH}, {{}, ESRCH}};
  LvsSyncd syncd(OpenerFor(&s));
  syncd.Configure(Spec());
  // The family is resolved, then whatever an earlier run left is stopped.
  ASSERT_EQ(s.requests.size(), 3u);
  EXPECT_EQ(s.requests[0], lb::ipvs::BuildGetFamily());
  EXPECT_EQ(s.requests[1], Stop(SyncRole::kMaster, 0));
  EXPECT_EQ(s.requests[2], Stop(SyncRole::kBackup, 0));
  s.requests.clear();

  syncd.Follow("VI_1", State::kBackup);
  syncd.Follow("VI_1", State::kBackup);  // no change: nothing sent
  syncd.Follow("VI_2", State::kMaster);  // not the driving instance
  syncd.Follow("VI_1", State::kMaster);
  EXPECT_EQ(syncd.running(), (SyncDaemons{true, true}));
  syncd.Follow("VI_1", State::kFault);
  syncd.Follow("VI_1", State::kMaster);
  syncd.StopAll();
  EXPECT_EQ(syncd.running(), SyncDaemons{});
  EXPECT_EQ(s.requests, (std::vector<Bytes>{Start(SyncRole::kBackup), Start(SyncRole::kMaster),
                                            Stop(SyncRole::kMaster), Start(SyncRole::kMaster),
                                            Stop(SyncRole::kMaster), Stop(SyncRole::kBackup)}));
  EXPECT_EQ(s.opened, 1);
}

TEST(LvsSyncdTest, WithoutIpvsNothingMoreIsTried) {
  Script s;
  s.answers = {{{}, ENOENT}};  // the controller knows no "IPVS"
  LvsSyncd syncd(OpenerFor(&s));
  syncd.Configure(Spec());
  EXPECT_TRUE(syncd.unavailable());
  syncd.Follow("VI_1", State::kBackup);
  syncd.Follow("VI_1", State::kMaster);
  syncd.StopAll();
  EXPECT_EQ(s.requests, std::vector<Bytes>{lb::ipvs::BuildGetFamily()});
  EXPECT_EQ(s.opened, 1);
  EXPECT_EQ(syncd.running(), SyncDaemons{});
}

TEST(LvsSyncdTest, AFailedStartIsTriedAgainAtTheNextChange) {
  Script s;
  s.answers = {{{FamilyReply(kFamilyId)}, 0}, {{}, ESRCH}, {{}, ESRCH}, {{}, ENODEV}};
  LvsSyncd syncd(OpenerFor(&s));
  syncd.Configure(Spec());
  s.requests.clear();
  syncd.Follow("VI_1", State::kBackup);  // ENODEV: no such interface (yet)
  EXPECT_EQ(syncd.running(), SyncDaemons{});
  syncd.Follow("VI_1", State::kBackup);
  EXPECT_EQ(syncd.running(), (SyncDaemons{false, true}));
  EXPECT_EQ(s.requests, (std::vector<Bytes>{Start(SyncRole::kBackup), Start(SyncRole::kBackup)}));
}

TEST(LvsSyncdTest, AChangedConfigurationRestartsTheDaemons) {
  Script s;
  s.answers = {{{FamilyReply(kFamilyId)}, 0}};
  LvsSyncd syncd(OpenerFor(&s));
  syncd.Configure(Spec());
  syncd.Follow("VI_1", State::kMaster);
  s.requests.clear();
  syncd.Configure(Spec());  // unchanged: nothing
  EXPECT_TRUE(s.requests.empty());
  LvsSyncdSpec next = Spec();
  next.config.ttl = 5;
  syncd.Configure(next);
  syncd.Follow("VI_1", State::kMaster);
  EXPECT_EQ(s.requests,
            (std::vector<Bytes>{Stop(SyncRole::kMaster), Stop(SyncRole::kBackup),
                                lb::ipvs::BuildStartDaemon(kFamilyId, SyncRole::kBackup, next.config),
                                lb::ipvs::BuildStartDaemon(kFamilyId, SyncRole::kMaster, next.config)}));
  s.requests.clear();
  syncd.Configure(std::nullopt);  // lvs_sync_daemon removed
  syncd.Follow("VI_1", State::kMaster);
  EXPECT_EQ(s.requests, (std::vector<Bytes>{Stop(SyncRole::kMaster), Stop(SyncRole::kBackup)}));
}

TEST(LvsSyncdTest, SpecTakesTheSyncIdFromTheInstanceUnlessGiven) {
  model::Config c;
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.virtual_router_id = 61;
  c.vrrp_instances.push_back(vi);
  EXPECT_EQ(LvsSyncdSpecFromModel(c), std::nullopt);
  model::LvsSyncDaemon d;
  d.interface = "eth1";
  d.vrrp_instance = "VI_1";
  c.global.lvs_sync_daemon = d;
  EXPECT_EQ(LvsSyncdSpecFromModel(c),
            (LvsSyncdSpec{"VI_1", {.interface = "eth1", .sync_id = 61}}));
  d.sync_id = 0;
  d.maxlen = 1400;
  d.port = 9000;
  d.ttl = 2;
  d.group = model::IpAddress::Parse("239.1.1.1");
  c.global.lvs_sync_daemon = d;
  EXPECT_EQ(LvsSyncdSpecFromModel(c),
            (LvsSyncdSpec{"VI_1", {.interface = "eth1", .sync_id = 0, .maxlen = 1400,
                                   .port = 9000, .ttl = 2,
                                   .group = lb::IpAddress::Parse("239.1.1.1").value()}}));
}

TEST(LvsSyncdTest, TheSocketOpensInNetNamespaceIpvs) {
  // net_namespace_ipvs: the VRRP engine's daemons go to IPVS there, as keepalived's.
  auto s = OpenIpvsSocket("/run/netns/vigil-test-no-such-namespace");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().ToString(),
            "network namespace '/run/netns/vigil-test-no-such-namespace': No such file or "
            "directory");
  EXPECT_TRUE(OpenIpvsSocket(""));  // here
}

}  // namespace
}  // namespace vigil::vrrp
