#include "control/server.h"

#include "control/event_log.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include <thread>

#include <asio.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vigil::control {
namespace {

class FakeTarget : public ControlTarget {
 public:
  Status CurrentStatus() override {
    Status s;
    s.version = "test";
    s.pid = 9;
    InstanceStatus i;
    i.name = "VI_1";
    i.state = "BACKUP";
    i.adverts_received = 3;
    s.instances.push_back(i);
    return s;
  }
  void Reload(std::function<void(bool, std::string)> done) override {
    ++reloads;
    done(reload_ok, reload_ok ? "reloaded" : "keepalived.conf:3:1: error: bad");
  }
  void Operate(const Operation& op, std::function<void(bool, std::string)> done) override {
    operations.push_back(op);
    done(true, op.real_server + " " + op.command);
  }
  int reloads = 0;
  bool reload_ok = true;
  std::vector<Operation> operations;
};

// Returns a socket connected to the Unix socket `path`, or -1.
int ConnectUnix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string Ask(const std::string& path, const std::string& request) {
  int fd = ConnectUnix(path);
  if (fd < 0) return "connect failed";
  std::string line = request + "\n";
  (void)!write(fd, line.data(), line.size());
  std::string out;
  char buf[4096];
  while (out.find('\n') == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, n);
  }
  close(fd);
  return out.substr(0, out.find('\n'));
}

TEST(ProtocolTest, AnswersEachCommand) {
  FakeTarget target;
  std::string reply;
  HandleRequest(R"({"command":"instances"})", target, [&](std::string r) { reply = r; });
  auto j = nlohmann::json::parse(reply);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["instances"][0]["name"], "VI_1");

  HandleRequest(R"({"command":"stats"})", target, [&](std::string r) { reply = r; });
  j = nlohmann::json::parse(reply);
  EXPECT_EQ(j["stats"]["instances"][0]["adverts_received"], 3);

  HandleRequest(R"({"command":"status"})", target, [&](std::string r) { reply = r; });
  EXPECT_EQ(nlohmann::json::parse(reply)["status"]["pid"], 9);
}

// The status replies are written without parsing the status's text (8 MB at 37,000 real
// servers): each is the text the tree {"ok": true, KEY: <the status's text parsed>} dumps.
TEST(ProtocolTest, EachStatusReplyIsItsTreesText) {
  struct Target : FakeTarget {
    Status CurrentStatus() override {
      Status s = FakeTarget::CurrentStatus();
      s.reloads = 4;
      s.reload_failures = 1;
      s.uptime_s = 0.1 + 0.2;
      s.instances[0].name = "VI_\xff\"\x01";
      s.instances[0].rejected = {{"bad_ttl", 2}};
      s.instances.push_back(s.instances[0]);
      s.instances[1].name = "VI_2";
      s.virtual_servers.push_back({"10.0.0.1:80/tcp", "rr", true, false, 3, {}});
      s.virtual_servers[0].real_servers.push_back({"10.0.1.1:80", true, 3, 3, 7, 0, 1e-5});
      s.virtual_servers.push_back({"fwmark 1", "wlc", false, true, 0, {}});
      return s;
    }
  } target;
  const nlohmann::json status = nlohmann::json::parse(ToJson(target.CurrentStatus()));
  const auto dump = [](const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  const std::pair<std::string, nlohmann::json> cases[] = {
      {"status", {{"ok", true}, {"status", status}}},
      {"instances", {{"ok", true}, {"instances", status["instances"]}}},
      {"servers", {{"ok", true}, {"virtual_servers", status["virtual_servers"]}}},
  };
  for (const auto& [command, tree] : cases) {
    std::string reply;
    HandleRequest(R"({"command":")" + command + "\"}", target, [&](std::string r) { reply = r; });
    EXPECT_EQ(reply, dump(tree)) << command;
  }
  std::string reply;
  HandleRequest(R"({"command":"stats"})", target, [&](std::string r) { reply = r; });
  EXPECT_EQ(reply, R"({"ok":true,"stats":{"instances":[{"adverts_received":3,"adverts_sent":0,)"
                   R"("became_master":0,"instance":"VI_)"
                   "\xef\xbf\xbd"
                   R"(\"\u0001","priority_zero_received":0,)"
                   R"("priority_zero_sent":0,"rejected":{"bad_ttl":2},"transitions":0},)"
                   R"({"adverts_received":3,"adverts_sent":0,"became_master":0,"instance":"VI_2",)"
                   R"("priority_zero_received":0,"priority_zero_sent":0,"rejected":{"bad_ttl":2},)"
                   R"("transitions":0}],"reload_failures":1,"reloads":4}})");
}

TEST(ProtocolTest, RejectsBadRequestsWithClearErrors) {
  FakeTarget target;
  std::string reply;
  auto ask = [&](const std::string& line) {
    HandleRequest(line, target, [&](std::string r) { reply = r; });
    return reply;
  };
  EXPECT_EQ(ask("garbage"), R"({"error":"request is not a JSON object","ok":false})");
  EXPECT_EQ(ask("{}"), R"({"error":"request has no \"command\" string","ok":false})");
  EXPECT_EQ(ask(R"({"command":"explode"})"),
            R"j({"error":"unknown command 'explode' (expected status, instances, servers, stats, reload, enable, disable, drain, weight, maintenance, failover, priority or watch)","ok":false})j");
}

TEST(ProtocolTest, OperationsReachTheTargetChecked) {
  FakeTarget target;
  std::string reply;
  auto ask = [&](const std::string& line) {
    HandleRequest(line, target, [&](std::string r) { reply = r; });
    return reply;
  };
  EXPECT_EQ(ask(R"({"command":"disable","virtual_server":"10.0.0.1:80/tcp","real_server":"10.0.1.1:80"})"),
            R"({"message":"10.0.1.1:80 disable","ok":true})");
  EXPECT_EQ(ask(R"({"command":"weight","virtual_server":"v","real_server":"r","weight":7})"),
            R"({"message":"r weight","ok":true})");
  EXPECT_EQ(ask(R"({"command":"drain","virtual_server":"v","real_server":"r","timeout":2.5})"),
            R"({"message":"r drain","ok":true})");
  EXPECT_EQ(target.operations,
            (std::vector<Operation>{{"disable", "10.0.0.1:80/tcp", "10.0.1.1:80", -1, 0, "", 0, false},
                                    {"weight", "v", "r", 7, 0, "", 0, false},
                                    {"drain", "v", "r", -1, 2.5, "", 0, false}}));
  // Each malformed one is refused before it reaches the daemon.
  EXPECT_EQ(ask(R"({"command":"enable","real_server":"r"})"),
            R"({"error":"enable needs a \"virtual_server\" string","ok":false})");
  EXPECT_EQ(ask(R"({"command":"enable","virtual_server":"v","real_server":""})"),
            R"({"error":"enable needs a \"real_server\" string","ok":false})");
  EXPECT_EQ(ask(R"({"command":"weight","virtual_server":"v","real_server":"r","weight":65536})"),
            R"({"error":"weight needs a \"weight\" from 0 to 65535","ok":false})");
  EXPECT_EQ(ask(R"({"command":"weight","virtual_server":"v","real_server":"r","weight":"3"})"),
            R"({"error":"weight needs a \"weight\" from 0 to 65535","ok":false})");
  EXPECT_EQ(ask(R"({"command":"drain","virtual_server":"v","real_server":"r","timeout":0})"),
            R"({"error":"drain's \"timeout\" must be seconds above 0, at most 86400","ok":false})");
  EXPECT_EQ(target.operations.size(), 3u);
}

TEST(ProtocolTest, OperationsRoundTripThroughJson) {
  for (const Operation& op : {Operation{"enable", "fwmark 7", "[fd00::2]:80", -1, 0, "", 0, false},
                              Operation{"weight", "group web", "10.0.1.1:80", 0, 0, "", 0, false},
                              Operation{"drain", "10.0.0.1:80/udp", "10.0.1.1:53", -1, 30, "", 0, false}}) {
    auto back = OperationFromJson(ToJson(op));
    ASSERT_TRUE(back) << back.error().ToString();
    EXPECT_EQ(*back, op);
  }
}

TEST(ProtocolTest, VrrpOperationsReachTheTargetChecked) {
  FakeTarget target;
  std::string reply;
  auto ask = [&](const std::string& line) {
    HandleRequest(line, target, [&](std::string r) { reply = r; });
    return reply;
  };
  ask(R"({"command":"maintenance","on":true})");
  ask(R"({"command":"failover","instance":"VI_1"})");
  ask(R"({"command":"priority","instance":"VI_1","priority":254})");
  ask(R"({"command":"priority","instance":"VI_2","priority":"reset"})");
  ASSERT_EQ(target.operations.size(), 4u);
  EXPECT_EQ(Describe(target.operations[0]), "maintenance on");
  EXPECT_TRUE(target.operations[0].on);
  EXPECT_EQ(Describe(target.operations[1]), "failover VI_1");
  EXPECT_EQ(target.operations[2].priority, 254);
  EXPECT_EQ(Describe(target.operations[3]), "priority VI_2 reset");
  EXPECT_EQ(target.operations[3].priority, 0);
  EXPECT_EQ(ask(R"({"command":"maintenance"})"),
            R"({"error":"maintenance needs \"on\": true or false","ok":false})");
  EXPECT_EQ(ask(R"({"command":"failover"})"),
            R"({"error":"failover needs an \"instance\" string","ok":false})");
  for (const char* bad : {"0", "255", "\"7\"", "\"Reset\"", "1.5"})
    EXPECT_EQ(ask(std::string(R"({"command":"priority","instance":"VI_1","priority":)") + bad + "}"),
              R"({"error":"priority needs a \"priority\" from 1 to 254, or \"reset\"","ok":false})")
        << bad;
  EXPECT_EQ(target.operations.size(), 4u);
  for (const Operation& op : target.operations) {
    auto back = OperationFromJson(ToJson(op));
    ASSERT_TRUE(back) << back.error().ToString();
    EXPECT_EQ(*back, op);
  }
}

TEST(ProtocolTest, ATargetWithoutOperationsRefusesThem) {
  struct Plain : ControlTarget {
    Status CurrentStatus() override { return {}; }
    void Reload(std::function<void(bool, std::string)> done) override { done(true, ""); }
  } target;
  std::string reply;
  HandleRequest(R"({"command":"enable","virtual_server":"v","real_server":"r"})", target,
                [&](std::string r) { reply = r; });
  EXPECT_EQ(reply, R"({"error":"this daemon takes no operations","ok":false})");
}

TEST(ProtocolTest, ReloadReportsOutcome) {
  FakeTarget target;
  std::string reply;
  HandleRequest(R"({"command":"reload"})", target, [&](std::string r) { reply = r; });
  EXPECT_EQ(reply, R"({"message":"reloaded","ok":true})");
  target.reload_ok = false;
  HandleRequest(R"({"command":"reload"})", target, [&](std::string r) { reply = r; });
  EXPECT_EQ(reply, R"({"error":"keepalived.conf:3:1: error: bad","ok":false})");
  EXPECT_EQ(target.reloads, 2);
}

TEST(ServerTest, ControlSocketServesRequestsAndIsRootOnly) {
  char tmpl[] = "/tmp/vigil-ctl-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/vigil.ctl";
  asio::io_context io;
  FakeTarget target;
  auto server = ControlServer::Start(io, path, ControlAccess{}, target);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto guard = asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  std::string reply = Ask(path, R"({"command":"instances"})");
  std::string reply2 = Ask(path, R"({"command":"reload"})");
  asio::post(io, [&] { (*server)->Close(); guard.reset(); });
  loop.join();
  EXPECT_EQ(nlohmann::json::parse(reply)["instances"][0]["state"], "BACKUP");
  EXPECT_EQ(reply2, R"({"message":"reloaded","ok":true})");
  EXPECT_NE(access(path.c_str(), F_OK), 0) << "socket file removed on close";
  rmdir(tmpl);
}

TEST(PeerTest, RootSelfAndTheConfiguredGroupOnly) {
  ControlAccess none;
  ControlAccess wheel{.group = 10, .group_name = "wheel"};
  std::vector<gid_t> extra = {4, 10};
  EXPECT_TRUE(PeerAllowed(0, 0, {}, 0, none));
  EXPECT_TRUE(PeerAllowed(1000, 1000, {}, 1000, none)) << "the daemon's own user";
  EXPECT_FALSE(PeerAllowed(65534, 65534, {}, 0, none));
  EXPECT_FALSE(PeerAllowed(65534, 65534, extra, 0, none)) << "no group configured";
  EXPECT_TRUE(PeerAllowed(65534, 10, {}, 0, wheel)) << "primary group";
  EXPECT_TRUE(PeerAllowed(65534, 65534, extra, 0, wheel)) << "supplementary group";
  EXPECT_FALSE(PeerAllowed(65534, 65534, std::vector<gid_t>{4}, 0, wheel));
}

TEST(PeerTest, ParsesTheGroupsLineOfProcStatus) {
  EXPECT_EQ(ParseStatusGroups("Name:\tx\nGid:\t0\t0\t0\t0\nGroups:\t4 24 27 \nNStgid:\t1\n"),
            (std::vector<gid_t>{4, 24, 27}));
  EXPECT_EQ(ParseStatusGroups("Name:\tx\nGroups:\t\nNStgid:\t1\n"), std::vector<gid_t>{});
  EXPECT_EQ(ParseStatusGroups("Name:\tx\n"), std::vector<gid_t>{});
}

// A temporary directory for one socket, removed with everything in it.
class SocketDir {
 public:
  SocketDir() {
    char tmpl[] = "/tmp/vigil-ctl-XXXXXX";
    dir_ = mkdtemp(tmpl) ? tmpl : "";
  }
  ~SocketDir() { (void)!system(("rm -rf " + dir_).c_str()); }
  std::string path() const { return dir_ + "/vigil.ctl"; }

 private:
  std::string dir_;
};

// Returns true once the server closed `fd` (read returns 0 or an error other than EAGAIN).
bool ClosedByServer(int fd) {
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN);
}

TEST(ServerTest, ControlSocketWithAGroupIsGroupReadable) {
  SocketDir dir;
  asio::io_context io;
  FakeTarget target;
  ControlAccess access{.group = getgid(), .group_name = "self"};
  auto server = ControlServer::Start(io, dir.path(), access, target);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  struct stat st {};
  ASSERT_EQ(stat(dir.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(st.st_gid, getgid());
}

TEST(ServerTest, CloseLeavesASocketFileThatIsNotItsOwn) {
  SocketDir dir;
  asio::io_context io;
  FakeTarget target;
  auto server = ControlServer::Start(io, dir.path(), ControlAccess{}, target);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  // Someone else's file now sits at the path.
  ASSERT_EQ(unlink(dir.path().c_str()), 0);
  int fd = open(dir.path().c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  (*server)->Close();
  EXPECT_EQ(access(dir.path().c_str(), F_OK), 0) << "another process's file was removed";
}

TEST(ServerTest, IdleControlClientIsDroppedAtTheDeadline) {
  SocketDir dir;
  asio::io_context io;
  FakeTarget target;
  ListenerLimits limits{.deadline = std::chrono::milliseconds(50)};
  auto server = ControlServer::Start(io, dir.path(), ControlAccess{}, target, limits);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  int idle = ConnectUnix(dir.path());
  ASSERT_GE(idle, 0);
  for (int i = 0; i < 100 && (*server)->stats().timed_out == 0; ++i)
    io.run_for(std::chrono::milliseconds(20));
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(ClosedByServer(idle));
  ListenerStatus st = (*server)->stats();
  EXPECT_EQ(st.name, "control");
  EXPECT_EQ(st.accepted, 1u);
  EXPECT_EQ(st.timed_out, 1u);
  EXPECT_EQ(st.open, 0u);
  close(idle);
}

TEST(ServerTest, MetricsExchangeHasOneDeadline) {
  asio::io_context io;
  ListenerLimits limits{.deadline = std::chrono::milliseconds(50)};
  auto server = MetricsServer::Start(io, "127.0.0.1:0", [] { return std::string("up 1\n"); },
                                     {}, limits);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons((*server)->port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  // Half a request, then nothing: the slow peer is cut at the deadline.
  std::string part = "GET /metrics HTTP/1.1\r\n";
  ASSERT_EQ(write(fd, part.data(), part.size()), static_cast<ssize_t>(part.size()));
  for (int i = 0; i < 100 && (*server)->stats().timed_out == 0; ++i)
    io.run_for(std::chrono::milliseconds(20));
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(ClosedByServer(fd));
  ListenerStatus st = (*server)->stats();
  EXPECT_EQ(st.name, "metrics");
  EXPECT_EQ(st.accepted, 1u);
  EXPECT_EQ(st.timed_out, 1u);
  EXPECT_EQ(st.open, 0u);
  close(fd);
}

TEST(ServerTest, ListenerAcceptsNoMoreThanItsCap) {
  SocketDir dir;
  asio::io_context io;
  FakeTarget target;
  ListenerLimits limits{.max_connections = 2, .deadline = std::chrono::seconds(30)};
  auto server = ControlServer::Start(io, dir.path(), ControlAccess{}, target, limits);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) fds.push_back(ConnectUnix(dir.path()));
  for (int fd : fds) ASSERT_GE(fd, 0);
  io.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ((*server)->stats().accepted, 2u);
  EXPECT_EQ((*server)->stats().open, 2u);
  // One leaves: the next waiting peer gets its slot and an answer.
  close(fds[0]);
  for (int i = 0; i < 50 && (*server)->stats().accepted < 3; ++i)
    io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ((*server)->stats().accepted, 3u);
  EXPECT_EQ((*server)->stats().open, 2u);
  for (size_t i = 1; i < fds.size(); ++i) close(fds[i]);
}

TEST(ServerTest, AcceptPausesWhileDescriptorsAreExhausted) {
  SocketDir dir;
  asio::io_context io;
  FakeTarget target;
  ListenerLimits limits{.min_pause = std::chrono::milliseconds(100),
                        .max_pause = std::chrono::milliseconds(100)};
  auto server = ControlServer::Start(io, dir.path(), ControlAccess{}, target, limits);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  // No descriptor left: every accept fails with EMFILE.
  int probe = dup(0);
  ASSERT_GE(probe, 0);
  close(probe);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(probe);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", dir.path().c_str());
  for (int fd : clients)
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  io.run_for(std::chrono::milliseconds(350));
  ListenerStatus during = (*server)->stats();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  // One failed call, then one per pause: a handful, where retrying at once made thousands.
  EXPECT_GE(during.accept_errors, 1u);
  EXPECT_LE(during.accept_errors, 6u);
  EXPECT_EQ(during.accepted, 0u);
  // With descriptors back, the peers that waited in the backlog are served.
  for (int i = 0; i < 50 && (*server)->stats().accepted < 3; ++i)
    io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ((*server)->stats().accepted, 3u);
  for (int fd : clients) close(fd);
}

TEST(ServerTest, MetricsEndpointServesExposition) {
  asio::io_context io;
  auto server = MetricsServer::Start(io, "127.0.0.1:0", [] { return std::string("up 1\n"); });
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  unsigned short port = (*server)->port();
  auto guard = asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  auto get = [port](const std::string& path) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return std::string();
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)!write(fd, req.data(), req.size());
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, n);
    close(fd);
    return out;
  };
  std::string ok = get("/metrics");
  std::string missing = get("/other");
  asio::post(io, [&] { (*server)->Close(); guard.reset(); });
  loop.join();
  EXPECT_EQ(ok,
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: 5\r\nConnection: close\r\n\r\nup 1\n");
  EXPECT_EQ(missing.substr(0, 22), "HTTP/1.0 404 Not Found");
}

TEST(ServerTest, MetricsRejectsBadListenAddress) {
  asio::io_context io;
  auto bad = MetricsServer::Start(io, "nonsense", [] { return std::string(); });
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().context(), "metrics address 'nonsense' has no port");
  auto bad2 = MetricsServer::Start(io, "1.2.3:99999", [] { return std::string(); });
  ASSERT_FALSE(bad2.has_value());
  EXPECT_EQ(bad2.error().context(), "metrics address '1.2.3:99999' has a bad port");
}

}  // namespace
}  // namespace vigil::control

namespace vigil::control {
namespace {

// 2026-12-05T12:00:00.250Z
const std::chrono::system_clock::time_point kWhen(std::chrono::milliseconds(1796472000250LL));

class WatchTarget : public FakeTarget {
 public:
  std::shared_ptr<EventLog> Events() override { return log; }
  std::shared_ptr<EventLog> log = std::make_shared<EventLog>(100);
};

std::string EventLine(uint64_t seq, int n) {
  return "{\"seq\":" + std::to_string(seq) +
         ",\"time\":\"2026-12-05T12:00:00.250Z\",\"type\":\"e\",\"n\":" + std::to_string(n) + "}";
}

bool SendLine(int fd, const std::string& line) {
  std::string out = line + "\n";
  return write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size());
}

// Runs `io` in slices while reading `fd` without blocking, until `n` whole lines came, the
// peer closed (`eof` set) or about 5 s passed; returns the whole lines read.
std::vector<std::string> Pump(asio::io_context& io, int fd, size_t n, bool* eof = nullptr,
                              std::string* rest = nullptr) {
  std::vector<std::string> lines;
  std::string in;
  char buf[65536];
  for (int i = 0; i < 1000 && lines.size() < n; ++i) {
    io.run_for(std::chrono::milliseconds(5));
    for (;;) {
      ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        if (eof) *eof = true;
        i = 1000;
        break;
      }
      if (got < 0) break;
      in.append(buf, got);
    }
    size_t end;
    while ((end = in.find('\n')) != std::string::npos) {
      lines.push_back(in.substr(0, end));
      in.erase(0, end + 1);
    }
  }
  if (rest) *rest = in;
  return lines;
}

TEST(WatchTest, StreamsFromItsNumberThenLiveEventsWhileRequestsAreServed) {
  SocketDir dir;
  asio::io_context io;
  WatchTarget target;
  for (int i = 1; i <= 3; ++i) target.log->Append("e", {{"n", int64_t{i}}}, kWhen);
  auto server = ControlServer::Start(io, dir.path(), ControlAccess{}, target);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  int fd = ConnectUnix(dir.path());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendLine(fd, R"({"command":"watch","from":2})"));
  EXPECT_EQ(Pump(io, fd, 3), (std::vector<std::string>{
                                 R"({"ok":true,"from":2,"last_seq":3,"capacity":100})",
                                 EventLine(2, 2), EventLine(3, 3)}));
  target.log->Append("e", {{"n", int64_t{4}}}, kWhen);
  target.log->Append("e", {{"n", int64_t{5}}}, kWhen);
  EXPECT_EQ(Pump(io, fd, 2), (std::vector<std::string>{EventLine(4, 4), EventLine(5, 5)}));
  // Requests on other connections are answered meanwhile.
  int other = ConnectUnix(dir.path());
  ASSERT_TRUE(SendLine(other, R"({"command":"instances"})"));
  auto answer = Pump(io, other, 1);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(answer[0])["instances"][0]["name"], "VI_1");
  close(other);
  // Without "from": the events from now on.
  int now = ConnectUnix(dir.path());
  ASSERT_TRUE(SendLine(now, R"({"command":"watch"})"));
  EXPECT_EQ(Pump(io, now, 1), (std::vector<std::string>{
                                  R"({"ok":true,"from":6,"last_seq":5,"capacity":100})"}));
  target.log->Append("e", {{"n", int64_t{6}}}, kWhen);
  EXPECT_EQ(Pump(io, now, 1), (std::vector<std::string>{EventLine(6, 6)}));
  EXPECT_EQ((*server)->stats().watching, 2u);
  EXPECT_EQ((*server)->stats().open, 2u);
  EXPECT_EQ(Pump(io, fd, 1), (std::vector<std::string>{EventLine(6, 6)}));
  // A watch ends when its peer leaves: its slot is free again.
  close(fd);
  close(now);
  for (int i = 0; i < 200 && (*server)->stats().open > 0; ++i)
    io.run_for(std::chrono::milliseconds(5));
  EXPECT_EQ((*server)->stats().open, 0u);
  EXPECT_EQ((*server)->stats().watching, 0u);
}

TEST(WatchTest, EventsLostBeforeTheFirstReadAreCountedAndWatchersAreCapped) {
  SocketDir dir;
  asio::io_context io;
  WatchTarget target;
  target.log = std::make_shared<EventLog>(2);
  for (int i = 1; i <= 4; ++i) target.log->Append("e", {{"n", int64_t{i}}}, kWhen);
  ListenerLimits limits{.max_connections = 4, .max_watchers = 1};
  auto server = ControlServer::Start(io, dir.path(), ControlAccess{}, target, limits);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  int a = ConnectUnix(dir.path());
  ASSERT_TRUE(SendLine(a, R"({"command":"watch","from":1})"));
  EXPECT_EQ(Pump(io, a, 4),
            (std::vector<std::string>{
                R"({"ok":true,"from":1,"last_seq":4,"capacity":2})",
                R"({"type":"lost","from":1,"lost":2,"message":"2 event(s) from 1 fell out of the ring (the last 2 are kept) before this watch read them"})",
                EventLine(3, 3), EventLine(4, 4)}));
  int b = ConnectUnix(dir.path());
  ASSERT_TRUE(SendLine(b, R"({"command":"watch"})"));
  bool eof = false;
  EXPECT_EQ(Pump(io, b, 2, &eof),
            (std::vector<std::string>{
                R"j({"error":"too many watchers: 1 connections watch already (at most 1)","ok":false})j"}));
  EXPECT_TRUE(eof);
  close(b);
  int c = ConnectUnix(dir.path());
  ASSERT_TRUE(SendLine(c, R"({"command":"watch","from":9})"));
  eof = false;
  EXPECT_EQ(Pump(io, c, 2, &eof),
            (std::vector<std::string>{
                R"({"ok":false,"error":"no event 9 yet: the last is 4 (a number from an earlier run of vigild?); watch from 0 for every event kept"})"}));
  EXPECT_TRUE(eof);
  close(c);
  close(a);
  int d = ConnectUnix(dir.path());
  ASSERT_TRUE(SendLine(d, R"({"command":"watch","from":4})"));
  EXPECT_EQ(Pump(io, d, 2), (std::vector<std::string>{
                                R"({"ok":true,"from":4,"last_seq":4,"capacity":2})",
                                EventLine(4, 4)}));
  close(d);
}

// Checks that `lines` are events numbered 1, 2, ... in order; returns how many.
uint64_t ConsecutiveEvents(const std::vector<std::string>& lines) {
  uint64_t seq = 0;
  for (const auto& l : lines) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_discarded() || !j.contains("seq")) break;
    EXPECT_EQ(j["seq"], seq + 1);
    ++seq;
  }
  return seq;
}

// A watcher of a ring of 4 events that reads nothing after its answer while 300 events of
// about 4 kB (1.2 MB) pass: its socket fills, the ring moves on.
struct FloodedWatch {
  explicit FloodedWatch(std::chrono::milliseconds deadline) {
    target.log = std::make_shared<EventLog>(4);
    ListenerLimits limits{.deadline = deadline};
    auto started = ControlServer::Start(io, dir.path(), ControlAccess{}, target, limits);
    EXPECT_TRUE(started.has_value()) << started.error().ToString();
    if (!started) return;
    server = std::move(*started);
    fd = ConnectUnix(dir.path());
    EXPECT_TRUE(SendLine(fd, R"({"command":"watch"})"));
    EXPECT_EQ(Pump(io, fd, 1).size(), 1u);
    const std::string pad(4000, 'x');
    for (int i = 1; i <= 300; ++i) {
      target.log->Append("e", {{"n", int64_t{i}}, {"pad", pad}}, kWhen);
      io.run_for(std::chrono::milliseconds(1));
    }
  }
  ~FloodedWatch() {
    if (fd >= 0) close(fd);
  }
  ListenerStatus stats() const { return server->stats(); }

  // In this order: the server goes first, the loop (and the sessions it holds) next.
  SocketDir dir;
  WatchTarget target;
  asio::io_context io;
  std::unique_ptr<ControlServer> server;
  int fd = -1;
};

TEST(WatchTest, AReaderThatFallsARingBehindGetsWhereToResumeAndIsClosed) {
  FloodedWatch w(std::chrono::seconds(5));
  ASSERT_GE(w.fd, 0);
  bool eof = false;
  std::vector<std::string> lines = Pump(w.io, w.fd, 1000, &eof);
  EXPECT_TRUE(eof);
  ASSERT_GE(lines.size(), 2u);
  const uint64_t read = ConsecutiveEvents(lines);
  EXPECT_EQ(read + 1, lines.size()) << "every event it read, then the last line";
  EXPECT_LT(read, 296u);
  EXPECT_EQ(lines.back(), WatchOverflowLine(read + 1, 4, ""));
  EXPECT_EQ(w.stats().timed_out, 0u);
  EXPECT_EQ(w.stats().open, 0u);
}

TEST(WatchTest, AStalledReaderThatFellARingBehindIsClosedAtTheDeadline) {
  FloodedWatch w(std::chrono::milliseconds(100));
  ASSERT_GE(w.fd, 0);
  for (int i = 0; i < 200 && w.stats().timed_out == 0; ++i)
    w.io.run_for(std::chrono::milliseconds(5));
  EXPECT_EQ(w.stats().timed_out, 1u);
  EXPECT_EQ(w.stats().open, 0u);
  // What it had been handed is still there, whole lines in order; no last line.
  bool eof = false;
  std::vector<std::string> lines = Pump(w.io, w.fd, 1000, &eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(ConsecutiveEvents(lines), lines.size());
  EXPECT_GT(lines.size(), 0u);
}

TEST(WatchTest, EndingTheWatchesWritesTheLastEventsFirst) {
  SocketDir dir;
  asio::io_context io;
  WatchTarget target;
  auto server = ControlServer::Start(io, dir.path(), ControlAccess{}, target);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  int fd = ConnectUnix(dir.path());
  ASSERT_TRUE(SendLine(fd, R"({"command":"watch"})"));
  ASSERT_EQ(Pump(io, fd, 1).size(), 1u);
  int ended = 0;
  target.log->Append("e", {{"n", int64_t{1}}}, kWhen);
  (*server)->EndWatches(std::chrono::seconds(5), [&] { ++ended; });
  EXPECT_EQ(ended, 0) << "called back from the loop";
  bool eof = false;
  EXPECT_EQ(Pump(io, fd, 5, &eof), (std::vector<std::string>{EventLine(1, 1)}));
  EXPECT_TRUE(eof);
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ended, 1);
  // No new watch now.
  int late = ConnectUnix(dir.path());
  ASSERT_TRUE(SendLine(late, R"({"command":"watch"})"));
  EXPECT_EQ(Pump(io, late, 1),
            (std::vector<std::string>{R"({"error":"vigild is stopping","ok":false})"}));
  close(late);
  close(fd);
}

TEST(WatchTest, EndingTheWatchesWaitsForAStalledReaderNoLongerThanItsLimit) {
  FloodedWatch w(std::chrono::seconds(30));
  ASSERT_GE(w.fd, 0);
  int ended = 0;
  w.server->EndWatches(std::chrono::milliseconds(50), [&] { ++ended; });
  for (int i = 0; i < 200 && ended == 0; ++i) w.io.run_for(std::chrono::milliseconds(5));
  EXPECT_EQ(ended, 1);
  w.io.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(ended, 1) << "once";
}

TEST(WatchTest, ADaemonWithoutEventsRefusesWatch) {
  SocketDir dir;
  asio::io_context io;
  FakeTarget target;
  auto server = ControlServer::Start(io, dir.path(), ControlAccess{}, target);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  int fd = ConnectUnix(dir.path());
  ASSERT_TRUE(SendLine(fd, R"({"command":"watch"})"));
  EXPECT_EQ(Pump(io, fd, 1),
            (std::vector<std::string>{R"({"error":"this daemon keeps no events","ok":false})"}));
  close(fd);
  std::string reply;
  HandleRequest(R"({"command":"watch"})", target, [&](std::string r) { reply = r; });
  EXPECT_EQ(reply, R"({"error":"watch streams events on the control socket only","ok":false})");
}

}  // namespace
}  // namespace vigil::control
