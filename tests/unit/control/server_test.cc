#include "control/server.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

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
  int reloads = 0;
  bool reload_ok = true;
};

std::string Ask(const std::string& path, const std::string& request) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "connect failed";
  }
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
            R"j({"error":"unknown command 'explode' (expected status, instances, servers, stats or reload)","ok":false})j");
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
  auto server = ControlServer::Start(io, path, 0600, target);
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
