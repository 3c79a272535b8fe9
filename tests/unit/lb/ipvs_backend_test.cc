#include "lb/ipvs_backend.h"

#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <unistd.h>

#include <cerrno>
#include <deque>

#include "lb/ipvs_message.h"
#include "lb/load_balancer.h"
#include "model/config.h"
#include "test_util.h"

namespace vigil::lb {
namespace {

// Byte tables are laid out by hand, one attribute per line.
// clang-format off

using testing::Dest;
using testing::Tcp;
using Bytes = std::vector<uint8_t>;

// A scripted transport: records every request and answers each with the next scripted
// replies (or errno).
class FakeTransport final : public net::NetlinkTransport {
 public:
  struct Answer {
    std::vector<Bytes> replies;
    int error = 0;
  };

  Result<void> Transact(std::span<const uint8_t> request,
                        const net::NetlinkReplyHandler& on_reply) override {
    requests->emplace_back(request.begin(), request.end());
    if (answers->empty()) return {};
    Answer a = answers->front();
    answers->pop_front();
    for (const Bytes& r : a.replies) {
      if (on_reply) on_reply(*reinterpret_cast<const nlmsghdr*>(r.data()));
    }
    if (a.error != 0) return std::unexpected(Error::FromErrno(a.error, "netlink request"));
    return {};
  }

  std::shared_ptr<std::vector<Bytes>> requests = std::make_shared<std::vector<Bytes>>();
  std::shared_ptr<std::deque<Answer>> answers = std::make_shared<std::deque<Answer>>();
};

Bytes FamilyReply(uint16_t id) {
  Bytes b = {40, 0, 0, 0, GENL_ID_CTRL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, CTRL_CMD_NEWFAMILY, 1, 0, 0,
             0x09, 0x00, 0x02, 0x00, 'I', 'P', 'V', 'S', 0x00, 0x00, 0x00, 0x00,
             0x06, 0x00, 0x01, 0x00, uint8_t(id), uint8_t(id >> 8), 0x00, 0x00};
  return b;
}

struct Opened {
  std::unique_ptr<IpvsBackend> backend;
  std::shared_ptr<std::vector<Bytes>> requests;
  std::shared_ptr<std::deque<FakeTransport::Answer>> answers;
};

Opened OpenWithFake() {
  auto fake = std::make_unique<FakeTransport>();
  auto requests = fake->requests;
  auto answers = fake->answers;
  answers->push_back({{FamilyReply(0x1d)}, 0});
  auto backend = IpvsBackend::Open(std::move(fake));
  EXPECT_TRUE(backend.has_value());
  return {std::move(*backend), requests, answers};
}

TEST(IpvsBackendTest, OpenResolvesTheFamilyId) {
  Opened o = OpenWithFake();
  EXPECT_EQ(o.backend->family_id(), 0x1d);
  ASSERT_EQ(o.requests->size(), 1u);
  EXPECT_EQ(o.requests->at(0), ipvs::BuildGetFamily());
}

TEST(IpvsBackendTest, MissingFamilyIsAClearError) {
  auto fake = std::make_unique<FakeTransport>();
  fake->answers->push_back({{}, ENOENT});
  auto backend = IpvsBackend::Open(std::move(fake));
  ASSERT_FALSE(backend.has_value());
  EXPECT_EQ(backend.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(backend.error().context(),
            "ipvs: the kernel has no IPVS generic netlink family (load the ip_vs module, or use "
            "the nftables backend)");
}

// On a kernel without IPVS (like the test machines) the live path says so.
TEST(IpvsBackendTest, LiveKernelWithoutIpvsSaysSo) {
  if (access("/proc/net/ip_vs", F_OK) == 0) GTEST_SKIP() << "this kernel has IPVS";
  auto backend = IpvsBackend::OpenKernel();
  ASSERT_FALSE(backend.has_value());
  EXPECT_EQ(backend.error().code(), ErrorCode::kNotFound) << backend.error().ToString();
}

// keepalived's lvs_timeouts: the kernel's values are read once and come back for what is
// unset; nothing is sent before a timeout is configured.
TEST(IpvsBackendTest, TimeoutsKeepAndRestoreTheKernelsValues) {
  Opened o = OpenWithFake();
  o.requests->clear();
  ASSERT_TRUE(o.backend->SetTimeouts({}));
  EXPECT_TRUE(o.requests->empty());

  const ipvs::Timeouts kernel{.tcp = 900, .tcp_fin = 120, .udp = 300};
  o.answers->push_back({{ipvs::BuildSetTimeouts(0x1d, kernel)}, 0});  // the GET_CONFIG reply
  ASSERT_TRUE(o.backend->SetTimeouts({.tcp = 7200}));
  ASSERT_TRUE(o.backend->SetTimeouts({}));  // a reload without lvs_timeouts
  EXPECT_EQ(*o.requests,
            (std::vector<Bytes>{ipvs::BuildGetTimeouts(0x1d),
                                ipvs::BuildSetTimeouts(0x1d, {.tcp = 7200, .tcp_fin = 120,
                                                              .udp = 300}),
                                ipvs::BuildSetTimeouts(0x1d, kernel)}));
}

// lvs_sync_daemon IF (no instance): the checker engine's daemons go over this socket.
TEST(IpvsBackendTest, SyncDaemonsStartAndStopWithTheKernelsErrno) {
  Opened o = OpenWithFake();
  o.requests->clear();
  model::LvsSyncDaemon d;
  d.interface = "eth1";
  d.port = 9000;
  const ipvs::SyncDaemonConfig c = ipvs::SyncDaemonConfigOf(d, 0);
  EXPECT_EQ(c, (ipvs::SyncDaemonConfig{.interface = "eth1", .sync_id = 0, .port = 9000}));
  d.sync_id = 12;
  EXPECT_EQ(ipvs::SyncDaemonConfigOf(d, 51).sync_id, 12);
  o.answers->push_back({{}, 0});
  o.answers->push_back({{}, ESRCH});
  ASSERT_TRUE(o.backend->StartSyncDaemon(ipvs::SyncRole::kMaster, c));
  auto r = o.backend->StopSyncDaemon(ipvs::SyncRole::kBackup);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno(), ESRCH);
  EXPECT_EQ(*o.requests,
            (std::vector<Bytes>{ipvs::BuildStartDaemon(0x1d, ipvs::SyncRole::kMaster, c),
                                ipvs::BuildStopDaemon(0x1d, ipvs::SyncRole::kBackup, 0)}));
}

TEST(IpvsBackendTest, IpvsNamespaceThatDoesNotExistIsNamed) {
  auto backend = IpvsBackend::OpenKernel("/run/netns/vigil-test-no-such-namespace");
  ASSERT_FALSE(backend);
  EXPECT_EQ(backend.error().ToString(),
            "ipvs: network namespace '/run/netns/vigil-test-no-such-namespace': No such file or "
            "directory");
}

TEST(IpvsBackendTest, ApplySendsOneMessagePerOpInOrder) {
  Opened o = OpenWithFake();
  State want;
  Service svc = Tcp("10.0.0.1", 80, Scheduler::kWlc);
  want.Put(svc);
  want.PutDestination(svc.key, Dest("10.1.0.1", 80));
  auto ops = Reconcile(want, {});
  ASSERT_TRUE(o.backend->Apply(ops, want, {}).has_value());
  ASSERT_EQ(o.requests->size(), 3u);
  EXPECT_EQ(o.requests->at(1), ipvs::BuildServiceCommand(0x1d, ipvs::Command::kNewService, svc));
  EXPECT_EQ(o.requests->at(2), ipvs::BuildDestinationCommand(0x1d, ipvs::Command::kNewDest, svc,
                                                             Dest("10.1.0.1", 80)));
  EXPECT_EQ(o.backend->writes(), 2u);  // (an audit ticket taken before is dropped)
}

TEST(IpvsBackendTest, ApplyStopsAtTheFirstRefusal) {
  Opened o = OpenWithFake();
  State want;
  Service svc = Tcp("10.0.0.1", 80, Scheduler::kWlc);
  want.Put(svc);
  want.PutDestination(svc.key, Dest("10.1.0.1", 80));
  o.answers->push_back({{}, EEXIST});
  auto r = o.backend->Apply(Reconcile(want, {}), want, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().ToString(),
            "ipvs: add-service tcp 10.0.0.1:80 wlc: netlink request: File exists");
  EXPECT_EQ(o.requests->size(), 2u);
}

TEST(IpvsBackendTest, ApplyRefusesWhatIpvsCannotExpress) {
  Opened o = OpenWithFake();
  State want;
  want.Put(Tcp("10.0.0.1", 80, Scheduler::kRandom));
  EXPECT_FALSE(o.backend->Apply(Reconcile(want, {}), want, {}).has_value());
  EXPECT_EQ(o.requests->size(), 1u);
}

TEST(IpvsBackendTest, ReadDumpsServicesThenDestinations) {
  Opened o = OpenWithFake();
  Service a = Tcp("10.0.0.1", 80, Scheduler::kWrr);
  Service b = Tcp("10.0.0.2", 443, Scheduler::kSh);
  Destination d1 = Dest("10.1.0.1", 8080, 2), d2 = Dest("10.1.0.2", 8080, 0);
  // Dump replies have the same nested layout as NEW_* requests.
  o.answers->push_back({{ipvs::BuildServiceCommand(1, ipvs::Command::kNewService, b),
                         ipvs::BuildServiceCommand(1, ipvs::Command::kNewService, a)}, 0});
  o.answers->push_back({{ipvs::BuildDestinationCommand(1, ipvs::Command::kNewDest, a, d1),
                         ipvs::BuildDestinationCommand(1, ipvs::Command::kNewDest, a, d2)}, 0});
  o.answers->push_back({{}, 0});
  auto state = o.backend->Read();
  ASSERT_TRUE(state.has_value()) << state.error().ToString();
  State want;
  want.Put(a);
  want.Put(b);
  want.PutDestination(a.key, d1);
  want.PutDestination(a.key, d2);
  EXPECT_EQ(*state, want) << ToString(*state);
  ASSERT_EQ(o.requests->size(), 4u);
  EXPECT_EQ(o.requests->at(1), ipvs::BuildDumpServices(0x1d));
  EXPECT_EQ(o.requests->at(2), ipvs::BuildDumpDestinations(0x1d, a.key));
  EXPECT_EQ(o.requests->at(3), ipvs::BuildDumpDestinations(0x1d, b.key));
}

// A GET_DEST dump reply: the destination's nest (the last attribute) with the kernel's
// connection counters appended.
Bytes WithCounters(Bytes m, uint32_t active, uint32_t inactive) {
  size_t nest = 20;  // after nlmsghdr and genlmsghdr
  auto len = [&](size_t at) { return size_t{m[at]} | size_t{m[at + 1]} << 8; };
  while (nest + len(nest) < m.size()) nest += (len(nest) + 3) & ~size_t{3};
  for (auto [type, value] : {std::pair{IPVS_DEST_ATTR_ACTIVE_CONNS, active},
                             std::pair{IPVS_DEST_ATTR_INACT_CONNS, inactive}}) {
    m.insert(m.end(), {8, 0, uint8_t(type), 0, uint8_t(value), uint8_t(value >> 8),
                       uint8_t(value >> 16), uint8_t(value >> 24)});
  }
  const size_t nest_len = m.size() - nest;
  m[nest] = uint8_t(nest_len);
  m[nest + 1] = uint8_t(nest_len >> 8);
  m[0] = uint8_t(m.size());
  m[1] = uint8_t(m.size() >> 8);
  return m;
}

TEST(IpvsBackendTest, ConnectionsAreTheActiveAndInactiveCountersOfTheDestination) {
  Opened o = OpenWithFake();
  Service a = Tcp("10.0.0.1", 80, Scheduler::kWrr);
  Destination d1 = Dest("10.1.0.1", 8080, 2), d2 = Dest("10.1.0.2", 8080, 0);
  auto answer = [&] {
    o.answers->push_back(
        {{WithCounters(ipvs::BuildDestinationCommand(1, ipvs::Command::kNewDest, a, d1), 3, 4),
          WithCounters(ipvs::BuildDestinationCommand(1, ipvs::Command::kNewDest, a, d2), 1, 20)},
         0});
  };
  answer();
  auto n = o.backend->Connections(a.key, d1.key);
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ(*n, 7u);
  EXPECT_EQ(o.requests->back(), ipvs::BuildDumpDestinations(0x1d, a.key));
  answer();
  EXPECT_EQ(*o.backend->Connections(a.key, d2.key), 21u);
  answer();
  EXPECT_EQ(o.backend->Connections(a.key, Dest("10.1.0.3", 8080).key).error().ToString(),
            "ipvs: tcp 10.0.0.1:80 has no real server 10.1.0.3:8080");
}

TEST(IpvsBackendTest, FlushSendsFlush) {
  Opened o = OpenWithFake();
  ASSERT_TRUE(o.backend->Flush().has_value());
  EXPECT_EQ(o.requests->back(), ipvs::BuildFlush(0x1d));
  EXPECT_EQ(o.backend->writes(), 1u);
}

// lvs_flush_on_stop: shutdown is one IPVS_CMD_FLUSH, with no read and no delete of its own.
TEST(IpvsBackendTest, ShutdownAllIsOneFlush) {
  Opened o = OpenWithFake();
  auto requests = o.requests;
  LoadBalancer lb(std::move(o.backend), {.shutdown = ShutdownFlush::kAll});
  auto ops = lb.Shutdown();
  ASSERT_TRUE(ops.has_value());
  EXPECT_TRUE(ops->empty());
  ASSERT_EQ(requests->size(), 2u);  // the family lookup, then the flush
  EXPECT_EQ(requests->back(), ipvs::BuildFlush(0x1d));
  EXPECT_TRUE(lb.owned().services.empty());
}

// The audit beside the loop: the job dumps the table over its own transport (made once,
// kept for the next jobs), compares with a copy of what vigil owned when it was made, finds
// what Audit finds, and needs nothing of the backend (which may be gone) while it runs.
TEST(IpvsBackendTest, AuditJobReadsOverItsOwnTransportAndFindsWhatAuditFinds) {
  Opened o = OpenWithFake();
  auto audit = std::make_unique<FakeTransport>();
  auto audit_requests = audit->requests;
  auto audit_answers = audit->answers;
  int made = 0;
  o.backend->set_audit_transport_factory(
      [&made, &audit]() -> Result<std::unique_ptr<net::NetlinkTransport>> {
        ++made;
        return std::move(audit);
      });
  Service a = Tcp("10.0.0.1", 80, Scheduler::kWrr);
  Destination d1 = Dest("10.1.0.1", 8080, 2), d2 = Dest("10.1.0.2", 8080, 1);
  State owned;
  owned.Put(a);
  owned.PutDestination(a.key, d1);
  owned.PutDestination(a.key, d2);
  // The kernel lost d2 and holds d1 at weight 5.
  const auto kernel = [&](std::deque<FakeTransport::Answer>& answers) {
    answers.push_back({{ipvs::BuildServiceCommand(1, ipvs::Command::kNewService, a)}, 0});
    answers.push_back({{ipvs::BuildDestinationCommand(1, ipvs::Command::kNewDest, a,
                                                      Dest("10.1.0.1", 8080, 5))}, 0});
  };
  const std::vector<std::string> want = {
      "update-destination tcp 10.0.0.1:80 wrr -> 10.1.0.1:8080 NAT weight=2 is needed",
      "add-destination tcp 10.0.0.1:80 wrr -> 10.1.0.2:8080 NAT weight=1 is needed"};

  kernel(*o.answers);
  auto on_loop = o.backend->Audit(owned);
  ASSERT_TRUE(on_loop.has_value()) << on_loop.error().ToString();
  EXPECT_EQ(*on_loop, want);
  const size_t loop_requests = o.requests->size();

  Backend::AuditJob job = o.backend->MakeAuditJob(owned);
  ASSERT_TRUE(job);
  owned.services.clear();  // the job compares with its own copy
  o.backend.reset();       // and holds nothing of the backend
  kernel(*audit_answers);
  auto beside = job();
  ASSERT_TRUE(beside.has_value()) << beside.error().ToString();
  EXPECT_EQ(*beside, want);
  EXPECT_EQ(*audit_requests, (std::vector<Bytes>{ipvs::BuildDumpServices(0x1d),
                                                 ipvs::BuildDumpDestinations(0x1d, a.key)}));
  EXPECT_EQ(o.requests->size(), loop_requests);  // nothing went over the loop's socket
  EXPECT_EQ(made, 1);
}

TEST(IpvsBackendTest, AuditJobKeepsItsTransportForTheNextJobs) {
  Opened o = OpenWithFake();
  EXPECT_FALSE(o.backend->MakeAuditJob({}));  // Open over a given transport: no factory
  int made = 0;
  o.backend->set_audit_transport_factory([&made]() -> Result<std::unique_ptr<net::NetlinkTransport>> {
    if (++made == 1) return Fail(ErrorCode::kIo, "no socket");
    return std::make_unique<FakeTransport>();
  });
  EXPECT_FALSE(o.backend->MakeAuditJob({}));  // the factory failed: audit on the loop
  Backend::AuditJob first = o.backend->MakeAuditJob({});
  Backend::AuditJob second = o.backend->MakeAuditJob({});
  ASSERT_TRUE(first && second);
  EXPECT_EQ(made, 2);
  auto findings = first();  // an empty table and nothing owned
  ASSERT_TRUE(findings.has_value()) << findings.error().ToString();
  EXPECT_TRUE(findings->empty());
}

// clang-format on

}  // namespace
}  // namespace vigil::lb
