#include "check/from_model.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "check/body_check.h"

// Designated initializers name only the fields a test cares about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vigil::check {
namespace {

using std::chrono::seconds;

model::IpAddress Ip(const char* text) { return *model::IpAddress::Parse(text); }
lb::IpAddress LbIp(const char* text) { return *lb::IpAddress::Parse(text); }

model::CheckSpec Tcp() {
  model::CheckSpec c;
  c.detail = model::TcpCheck{};
  return c;
}

model::RealServer Rs(const char* ip, uint16_t port, uint32_t weight = 1) {
  model::RealServer rs;
  rs.address = Ip(ip);
  rs.port = port;
  rs.weight = weight;
  return rs;
}

model::VirtualServer TcpVs(const char* ip, uint16_t port) {
  model::VirtualServer vs;
  vs.address = Ip(ip);
  vs.port = port;
  vs.family = vs.address->family();
  vs.protocol = model::Protocol::kTcp;
  vs.scheduler = model::Scheduler::kRr;
  return vs;
}

UserResolver Users() {
  return [](const std::string& user,
            const std::optional<std::string>& group) -> Result<std::pair<uid_t, gid_t>> {
    if (user == "alice") return std::make_pair(uid_t{1001}, gid_t{group ? 2002u : 1001u});
    return Fail(ErrorCode::kNotFound, "no user '" + user + "'");
  };
}

TEST(FromModelTest, NamesAddressServicesLikeVigilAndKeepalived) {
  model::VirtualServer vs = TcpVs("10.0.0.1", 80);
  EXPECT_EQ(VirtualServerName(vs), "10.0.0.1:80/tcp");
  EXPECT_EQ(KeepalivedVsName(vs), "[10.0.0.1]:tcp:80");
  EXPECT_EQ(KeepalivedRsName(Rs("10.0.1.2", 8080), vs), "[10.0.1.2]:tcp:8080");
  model::VirtualServer v6 = TcpVs("fd00::1", 443);
  EXPECT_EQ(VirtualServerName(v6), "[fd00::1]:443/tcp");
  EXPECT_EQ(KeepalivedVsName(v6), "[fd00::1]:tcp:443");
}

TEST(FromModelTest, AddressServiceWithoutProtocolIsUdp) {
  model::VirtualServer vs = TcpVs("10.0.0.1", 53);
  vs.protocol = model::Protocol::kNone;
  EXPECT_EQ(VirtualServerName(vs), "10.0.0.1:53/udp");
  EXPECT_EQ(KeepalivedVsName(vs), "[10.0.0.1]:udp:53");
  auto keys = ServiceKeys(vs, model::Config{});
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ(std::get<lb::AddressKey>((*keys)[0]).protocol, lb::Protocol::kUdp);
}

TEST(FromModelTest, NamesFwmarkAndGroupServices) {
  model::VirtualServer fw;
  fw.fwmark = 7;
  EXPECT_EQ(VirtualServerName(fw), "fwmark 7");
  EXPECT_EQ(KeepalivedVsName(fw), "FWM 7");
  EXPECT_EQ(KeepalivedRsName(Rs("10.0.1.2", 0), fw), "[10.0.1.2]:none:0");
  model::VirtualServer g;
  g.group = "web";
  g.protocol = model::Protocol::kTcp;
  EXPECT_EQ(VirtualServerName(g), "group web");
  EXPECT_EQ(KeepalivedVsName(g), "[web]:0");
}

TEST(FromModelTest, ProbeConnectsToTheRealServerByDefault) {
  model::CheckSpec c = Tcp();
  c.connect_timeout = seconds(3);
  auto p = ToProbeSpec(c, Rs("10.0.1.2", 8080), model::Config{}, Users());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->connect, (ConnectOptions{.address = "10.0.1.2", .port = 8080, .connect_timeout = seconds(3)}));
  EXPECT_TRUE(std::holds_alternative<TcpCheck>(p->params));
}

TEST(FromModelTest, ProbeTakesConnectAndBindOptions) {
  model::CheckSpec c = Tcp();
  c.connect_ip = Ip("10.0.9.9");
  c.connect_port = 9000;
  c.bindto = Ip("10.0.0.254");
  c.bind_port = 1234;
  c.bind_if = std::string("eth1");
  c.fwmark = 5;
  auto p = ToProbeSpec(c, Rs("10.0.1.2", 8080), model::Config{}, Users());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->connect, (ConnectOptions{.address = "10.0.9.9",
                                        .port = 9000,
                                        .bind_address = "10.0.0.254",
                                        .bind_port = 1234,
                                        .bind_if = "eth1",
                                        .fwmark = 5,
                                        .connect_timeout = seconds(5)}));
}

TEST(FromModelTest, HttpCheckMapsUrlsAndTheGlobalSslBlock) {
  model::HttpCheck h;
  h.ssl = true;
  h.http_protocol = model::HttpProtocol::k11;
  h.virtualhost = "www.example.org";
  h.enable_sni = true;
  h.sni_name = "sni.example.org";
  model::Url u;
  u.path = "/health";
  u.digest = "9b3a0c85a887a256d6939da88aabd8cd";
  u.status_codes = {{200, 200}, {301, 302}};
  u.regex = "ok";
  u.regex_no_match = true;
  u.regex_options = {"caseless", "dotall"};
  u.regex_min_offset = 3;
  u.regex_max_offset = 90;
  u.virtualhost = "v.example.org";
  h.urls.push_back(u);
  model::CheckSpec c;
  c.detail = h;
  model::Config config;
  config.ssl = model::SslConfig{.password = "pw", .ca = "/ca.pem", .certificate = "/c.pem", .key = "/k.pem"};
  auto p = ToProbeSpec(c, Rs("10.0.1.2", 443), config, Users());
  ASSERT_TRUE(p);
  HttpCheck want;
  want.tls = true;
  want.version = HttpVersion::k11;
  want.virtualhost = "www.example.org";
  want.urls = {HttpUrl{.path = "/health",
                       .digest = "9b3a0c85a887a256d6939da88aabd8cd",
                       .virtualhost = "v.example.org",
                       .status_codes = {{200, 200}, {301, 302}},
                       .regex = "ok",
                       .regex_no_match = true,
                       .regex_options = RegexOptionBits({"caseless", "dotall"}),
                       .regex_min_offset = 3,
                       .regex_max_offset = 90}};
  want.tls_options = TlsOptions{.ca_file = "/ca.pem",
                                .certificate_file = "/c.pem",
                                .key_file = "/k.pem",
                                .password = "pw",
                                .enable_sni = true,
                                .sni_name = "sni.example.org"};
  EXPECT_EQ(std::get<HttpCheck>(p->params), want);
}

// regex_stack: as keepalived's one JIT stack, each url that gives one is matched with the
// largest start and the largest max of all; the others with PCRE2's own.
TEST(FromModelTest, RegexStackIsTheLargestOfAll) {
  model::Url small;
  small.path = "/a";
  small.regex_stack_start = 1000;
  small.regex_stack_max = 2000;
  model::Url none;
  none.path = "/b";
  model::HttpCheck h;
  h.urls = {small, none};
  model::Url large = small;
  large.regex_stack_start = 500;
  large.regex_stack_max = 9000;
  model::HttpCheck h2;
  h2.urls = {large};
  model::CheckSpec c;
  c.detail = h;
  model::CheckSpec c2;
  c2.detail = h2;
  model::Config config;
  config.virtual_servers.emplace_back();
  config.virtual_servers[0].real_servers.push_back(Rs("10.0.1.2", 80));
  config.virtual_servers[0].real_servers[0].checks = {c, c2};
  auto p = ToProbeSpec(c, Rs("10.0.1.2", 80), config, Users());
  ASSERT_TRUE(p);
  const auto& urls = std::get<HttpCheck>(p->params).urls;
  ASSERT_EQ(urls.size(), 2u);
  EXPECT_EQ(urls[0].regex_stack_start, 1000u);
  EXPECT_EQ(urls[0].regex_stack_max, 9000u);
  EXPECT_EQ(urls[1].regex_stack_max, 0u);
}

// tls_compliant on the SSL_GET checker or on one url: that url's session ends with
// close_notify (keepalived's `url->tls_compliant || checker->tls_compliant`).
TEST(FromModelTest, TlsCompliantOfTheCheckerOrTheUrl) {
  model::HttpCheck h;
  h.ssl = true;
  model::Url plain;
  plain.path = "/a";
  model::Url compliant = plain;
  compliant.path = "/b";
  compliant.tls_compliant = true;
  h.urls = {plain, compliant};
  model::CheckSpec c;
  c.detail = h;
  auto tls_compliant = [&](const model::CheckSpec& spec) {
    auto p = ToProbeSpec(spec, Rs("10.0.1.2", 443), model::Config(), Users());
    std::vector<bool> out;
    if (p)
      for (const HttpUrl& u : std::get<HttpCheck>(p->params).urls) out.push_back(u.tls_compliant);
    return out;
  };
  EXPECT_EQ(tls_compliant(c), (std::vector<bool>{false, true}));
  c.detail.get<model::HttpCheck>().tls_compliant = true;
  EXPECT_EQ(tls_compliant(c), (std::vector<bool>{true, true}));
  c.detail.get<model::HttpCheck>().ssl = false;  // HTTP_GET has no TLS session to end
  EXPECT_EQ(tls_compliant(c), (std::vector<bool>{false, false}));
}

TEST(FromModelTest, MiscCheckSplitsTheCommandAndRunsAsItsUser) {
  model::MiscCheck m;
  m.path.command = "/bin/check 'a b' c";
  m.path.user = "alice";
  m.timeout = seconds(4);
  m.dynamic = true;
  model::CheckSpec c;
  c.detail = m;
  auto p = ToProbeSpec(c, Rs("10.0.1.2", 80), model::Config{}, Users());
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<MiscCheck>(p->params),
            (MiscCheck{.argv = {"/bin/check", "a b", "c"},
                       .timeout = seconds(4),
                       .dynamic = true,
                       .uid = 1001,
                       .gid = 1001}));
}

TEST(FromModelTest, MiscCheckFallsBackToTheGlobalScriptUser) {
  model::MiscCheck m;
  m.path.command = "/bin/check";
  model::CheckSpec c;
  c.detail = m;
  model::Config config;
  config.global.script_user = "alice";
  config.global.script_group = "staff";
  auto p = ToProbeSpec(c, Rs("10.0.1.2", 80), config, Users());
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<MiscCheck>(p->params).uid, 1001u);
  EXPECT_EQ(std::get<MiscCheck>(p->params).gid, 2002u);

  // A user that does not resolve: the check is built but refused at every run, never
  // run as root.
  config.global.script_user = "mallory";
  auto bad = ToProbeSpec(c, Rs("10.0.1.2", 80), config, Users());
  ASSERT_TRUE(bad);
  const auto& refused = std::get<MiscCheck>(bad->params);
  EXPECT_EQ(refused.refused, "script_user: no user 'mallory'");
  EXPECT_FALSE(refused.uid.has_value());
}

TEST(FromModelTest, ScriptsFallBackToKeepalivedScriptThenRefuseUnderSecurity) {
  model::Script s{.command = "/bin/notify up", .user = std::nullopt, .group = std::nullopt, .loc = {}};
  model::Global g;
  auto with_ks = [](const std::string& user, const std::optional<std::string>&)
      -> Result<std::pair<uid_t, gid_t>> {
    if (user == "keepalived_script") return std::make_pair(uid_t{900}, gid_t{901});
    return Fail(ErrorCode::kNotFound, "no user '" + user + "'");
  };
  auto spec = ScriptSpawnSpec(s, g, with_ks);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->argv, (std::vector<std::string>{"/bin/notify", "up"}));
  EXPECT_EQ(spec->uid, 900u);
  EXPECT_EQ(spec->gid, 901u);
  g.enable_script_security = true;
  auto refused = ScriptSpawnSpec(s, g, Users());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().context(),
            "no user 'keepalived_script' to run scripts as (enable_script_security needs it, "
            "or script_user, or a user per script)");
}

TEST(FromModelTest, DnsTypeNamesMapToCodes) {
  model::CheckSpec c;
  c.detail = model::DnsCheck{.type = "AAAA", .name = "example.org"};
  auto p = ToProbeSpec(c, Rs("10.0.1.2", 53), model::Config{}, Users());
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<DnsCheck>(p->params), (DnsCheck{28, "example.org"}));
  c.detail = model::DnsCheck{.type = "BOGUS", .name = "."};
  auto bad = ToProbeSpec(c, Rs("10.0.1.2", 53), model::Config{}, Users());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().context(), "DNS_CHECK: unknown type 'BOGUS'");
}

TEST(FromModelTest, FileCheckReadsItsTrackFile) {
  model::Config config;
  config.track_files.push_back(model::TrackFile{.name = "tf", .path = "/run/w", .weight = 3});
  model::CheckSpec c;
  c.detail = model::FileCheck{.track_file = "tf", .weight = std::nullopt, .reverse = true};
  auto p = ToProbeSpec(c, Rs("10.0.1.2", 80), config, Users());
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<FileCheck>(p->params), (FileCheck{"/run/w", 3, true}));
  c.detail = model::FileCheck{.track_file = "other"};
  EXPECT_FALSE(ToProbeSpec(c, Rs("10.0.1.2", 80), config, Users()));
}

TEST(FromModelTest, BfdCheckNamesItsSessionAndConnectsNowhere) {
  model::CheckSpec c;
  c.detail = model::BfdCheck{.name = "b1"};
  auto p = ToProbeSpec(c, Rs("10.0.1.2", 80), model::Config{}, Users());
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<BfdCheck>(p->params), (BfdCheck{"b1"}));
  EXPECT_STREQ(CheckTypeName(p->params), "BFD_CHECK");
  EXPECT_EQ(DefaultTiming(p->params).retry, 0u);
}

TEST(FromModelTest, TimingIsCopiedFromTheResolvedModel) {
  model::CheckSpec c = Tcp();
  c.delay_loop = seconds(7);
  c.delay_before_retry = seconds(2);
  c.warmup = seconds(3);
  c.retry = 4;
  c.alpha = true;
  c.log_all_failures = true;
  EXPECT_EQ(ToTiming(c), (CheckTiming{.delay_loop = seconds(7),
                                      .delay_before_retry = seconds(2),
                                      .warmup = seconds(3),
                                      .retry = 4,
                                      .alpha = true,
                                      .log_all_failures = true}));
}

// HTTP_GET / SSL_GET recover as keepalived's HTTP checker, fast_recovery at once.
TEST(FromModelTest, HttpTimingConfirmsRecoveryAndCarriesFastRecovery) {
  model::CheckSpec c;
  model::HttpCheck h;
  c.detail = h;
  EXPECT_TRUE(ToTiming(c).confirm_recovery);
  EXPECT_FALSE(ToTiming(c).fast_recovery);
  h.fast_recovery = true;
  c.detail = h;
  EXPECT_TRUE(ToTiming(c).fast_recovery);
  EXPECT_FALSE(ToTiming(Tcp()).confirm_recovery);
}

TEST(FromModelTest, VirtualServerSpecNamesServersAndIndexesCheckers) {
  model::VirtualServer vs = TcpVs("10.0.0.1", 80);
  vs.quorum = 2;
  vs.hysteresis = 1;
  model::RealServer a = Rs("10.0.1.1", 8080, 3);
  a.checks = {Tcp(), Tcp()};
  a.checks[1].connect_port = 9;
  model::RealServer b = Rs("10.0.1.2", 8080, 2);
  b.inhibit_on_failure = true;
  b.checks = {Tcp()};
  vs.real_servers = {a, b};
  vs.sorry_server = model::SorryServer{.address = Ip("10.0.2.1"), .port = 0, .inhibit = true};
  model::Config config;
  config.global.other.push_back(model::RawSetting{"rs_init_notifies", {}, {}});
  auto spec = ToVirtualServerSpec(vs, config, Users());
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->config.name, "[10.0.0.1]:tcp:80");
  ASSERT_EQ(spec->config.real_servers.size(), 2u);
  EXPECT_EQ(spec->config.real_servers[0].name, "[10.0.1.1]:tcp:8080");
  EXPECT_EQ(spec->config.real_servers[0].weight, 3);
  EXPECT_FALSE(spec->config.real_servers[0].inhibit_on_failure);
  EXPECT_EQ(spec->config.real_servers[1].name, "[10.0.1.2]:tcp:8080");
  EXPECT_TRUE(spec->config.real_servers[1].inhibit_on_failure);
  ASSERT_TRUE(spec->config.sorry_server);
  EXPECT_EQ(spec->config.sorry_server->name, "[10.0.2.1]:tcp:80");
  EXPECT_EQ(spec->config.sorry_server->weight, 1);
  EXPECT_TRUE(spec->config.sorry_server->inhibit_on_failure);
  EXPECT_EQ(spec->config.quorum, 2u);
  EXPECT_EQ(spec->config.hysteresis, 1u);
  EXPECT_TRUE(spec->config.rs_init_notifies);
  ASSERT_EQ(spec->checkers.size(), 3u);
  EXPECT_EQ(spec->checkers[0].real_server, 0u);
  EXPECT_EQ(spec->checkers[1].real_server, 0u);
  EXPECT_EQ(spec->checkers[1].probe.connect.port, 9);
  EXPECT_EQ(spec->checkers[2].real_server, 1u);
}

TEST(FromModelTest, VirtualServerSpecNamesTheFailingRealServer) {
  model::VirtualServer vs = TcpVs("10.0.0.1", 80);
  model::RealServer a = Rs("10.0.1.1", 8080);
  model::CheckSpec c;
  c.detail = model::FileCheck{.track_file = "missing"};
  a.checks = {c};
  vs.real_servers = {a};
  auto spec = ToVirtualServerSpec(vs, model::Config{}, Users());
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().context(),
            "10.0.0.1:80/tcp real server 10.0.1.1:8080: FILE_CHECK: unknown track_file 'missing'");
}

TEST(FromModelTest, GroupExpandsRangesAndFwmarks) {
  model::Config config;
  model::VirtualServerGroup g{.name = "web"};
  g.entries.push_back(model::VsgEntry{.address = Ip("10.0.0.1"), .range_end = Ip("10.0.0.3"), .port = 80});
  g.entries.push_back(model::VsgEntry{.address = Ip("10.0.0.9"), .port = 8080});
  g.entries.push_back(model::VsgEntry{.fwmark = 5});
  g.entries.push_back(model::VsgEntry{.address = Ip("fd00::fe"), .range_end = Ip("fd00::101"), .port = 80});
  config.virtual_server_groups.push_back(g);
  model::VirtualServer vs;
  vs.group = "web";
  vs.protocol = model::Protocol::kTcp;
  vs.family = model::Family::kIpv4;
  auto keys = ServiceKeys(vs, config);
  ASSERT_TRUE(keys);
  std::vector<lb::ServiceKey> want = {
      lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 80},
      lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.2"), 80},
      lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.3"), 80},
      lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.9"), 8080},
      lb::FwmarkKey{lb::Family::kIpv4, 5},
      lb::AddressKey{lb::Protocol::kTcp, LbIp("fd00::fe"), 80},
      lb::AddressKey{lb::Protocol::kTcp, LbIp("fd00::ff"), 80},
      lb::AddressKey{lb::Protocol::kTcp, LbIp("fd00::100"), 80},
      lb::AddressKey{lb::Protocol::kTcp, LbIp("fd00::101"), 80},
  };
  EXPECT_EQ(*keys, want);
}

TEST(FromModelTest, UnknownGroupAndWideRangesFail) {
  model::VirtualServer vs;
  vs.group = "nope";
  auto none = ServiceKeys(vs, model::Config{});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().context(), "group nope: no virtual_server_group 'nope'");
  model::Config config;
  config.virtual_server_groups.push_back(model::VirtualServerGroup{
      .name = "wide",
      .entries = {model::VsgEntry{.address = Ip("10.0.0.1"), .range_end = Ip("10.0.1.3"), .port = 80}}});
  vs.group = "wide";
  auto wide = ServiceKeys(vs, config);
  ASSERT_FALSE(wide);
  EXPECT_EQ(wide.error().context(), "group wide: range 10.0.0.1-10.0.1.3 varies more than the last byte");
}

TEST(FromModelTest, FwmarkServiceUsesTheVirtualServerFamily) {
  model::VirtualServer vs;
  vs.fwmark = 9;
  vs.family = model::Family::kIpv6;
  auto keys = ServiceKeys(vs, model::Config{});
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, (std::vector<lb::ServiceKey>{lb::FwmarkKey{lb::Family::kIpv6, 9}}));
}

TEST(FromModelTest, ServiceCarriesSchedulerFlagsAndPersistence) {
  model::VirtualServer vs = TcpVs("10.0.0.1", 80);
  vs.scheduler = model::Scheduler::kSh;
  vs.sched_flag_2 = true;
  vs.persistence_timeout = 300;
  vs.persistence_granularity = Ip("255.255.255.0");
  lb::ServiceKey key = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 80};
  lb::Service s = ToService(vs, key);
  EXPECT_EQ(s, (lb::Service{.key = key,
                            .scheduler = lb::Scheduler::kSh,
                            .scheduler_flags = lb::kSchedFlag2,
                            .one_packet = false,
                            .persistence_timeout = 300,
                            .persistence_prefix = 24}));
  vs.persistence_granularity = Ip("255.255.255.255");
  EXPECT_EQ(ToService(vs, key).persistence_prefix, std::nullopt);
  vs.persistence_engine = "sip";
  EXPECT_EQ(ToService(vs, key).persistence_engine, "sip");
}

TEST(FromModelTest, EverySchedulerMapsToItsLbName) {
  for (auto s : {model::Scheduler::kRr, model::Scheduler::kWrr, model::Scheduler::kLc,
                 model::Scheduler::kWlc, model::Scheduler::kLblc, model::Scheduler::kSh,
                 model::Scheduler::kMh, model::Scheduler::kDh, model::Scheduler::kFo,
                 model::Scheduler::kOvf, model::Scheduler::kLblcr, model::Scheduler::kSed,
                 model::Scheduler::kNq, model::Scheduler::kTwos}) {
    EXPECT_EQ(lb::SchedulerName(ToScheduler(s)), model::SchedulerName(s));
  }
}

TEST(FromModelTest, DestinationCarriesForwardingTunnelAndThresholds) {
  model::RealServer rs = Rs("10.0.1.2", 8080, 5);
  rs.forwarding = model::Forwarding{.method = model::LbKind::kTun,
                                    .tunnel_type = model::TunnelType::kGue,
                                    .tunnel_port = 6080,
                                    .tunnel_checksum = model::TunnelChecksum::kRemCsum};
  rs.uthreshold = 100;
  rs.lthreshold = 10;
  lb::Destination d = ToDestination(rs, 4);
  EXPECT_EQ(d, (lb::Destination{.key = {LbIp("10.0.1.2"), 8080},
                                .weight = 4,
                                .forwarding = lb::Forwarding::kTunnel,
                                .tunnel = {lb::TunnelType::kGue, 6080, lb::kTunnelFlagRemCsum},
                                .upper_threshold = 100,
                                .lower_threshold = 10}));
  rs.forwarding = model::Forwarding{.method = model::LbKind::kDr};
  EXPECT_EQ(ToDestination(rs, 1).forwarding, lb::Forwarding::kDirectRoute);
}

TEST(FromModelTest, StateHasDesiredDestinationsAndTheSorryServer) {
  model::VirtualServer vs = TcpVs("10.0.0.1", 80);
  vs.real_servers = {Rs("10.0.1.1", 8080, 3), Rs("10.0.1.2", 8080, 2)};
  vs.sorry_server = model::SorryServer{.address = Ip("10.0.2.1")};
  lb::ServiceKey key = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 80};
  lb::State state;
  AddToState(vs, {key}, {Destination{0, 3}, Destination{1, 0}, Destination{Destination::kSorryServer, 1}},
             state);
  lb::State want;
  want.Put(ToService(vs, key));
  want.PutDestination(key, lb::Destination{.key = {LbIp("10.0.1.1"), 8080}, .weight = 3});
  want.PutDestination(key, lb::Destination{.key = {LbIp("10.0.1.2"), 8080}, .weight = 0});
  want.PutDestination(key, lb::Destination{.key = {LbIp("10.0.2.1"), 80}, .weight = 1});
  EXPECT_EQ(state, want) << lb::ToString(state);
}

TEST(FromModelTest, EmptyPoolKeepsTheService) {
  model::VirtualServer vs = TcpVs("10.0.0.1", 80);
  vs.real_servers = {Rs("10.0.1.1", 8080)};
  lb::ServiceKey key = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 80};
  lb::State state;
  AddToState(vs, {key}, {}, state);
  ASSERT_NE(state.Find(key), nullptr);
  EXPECT_TRUE(state.Find(key)->destinations.empty());
}

TEST(FromModelTest, FullStateHoldsEveryServerAtLeastWeightOne) {
  model::Config config;
  model::VirtualServer vs = TcpVs("10.0.0.1", 80);
  vs.real_servers = {Rs("10.0.1.1", 8080, 0), Rs("10.0.1.2", 8080, 4)};
  vs.sorry_server = model::SorryServer{.address = Ip("10.0.2.1"), .port = 81};
  config.virtual_servers.push_back(vs);
  auto full = FullState(config);
  ASSERT_TRUE(full);
  lb::ServiceKey key = lb::AddressKey{lb::Protocol::kTcp, LbIp("10.0.0.1"), 80};
  ASSERT_NE(full->Find(key), nullptr);
  const auto& d = full->Find(key)->destinations;
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d.at({LbIp("10.0.1.1"), 8080}).weight, 1u);
  EXPECT_EQ(d.at({LbIp("10.0.1.2"), 8080}).weight, 4u);
  EXPECT_EQ(d.at({LbIp("10.0.2.1"), 81}).weight, 1u);
}

TEST(FromModelTest, ScriptSpawnSpecSplitsAndResolves) {
  model::Global g;
  auto s = ScriptSpawnSpec(model::Script{.command = "/bin/n \"x y\" z"}, g, Users());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->argv, (std::vector<std::string>{"/bin/n", "x y", "z"}));
  EXPECT_EQ(s->uid, getuid());  // no keepalived_script user here: vigild's own
  auto as = ScriptSpawnSpec(model::Script{.command = "/bin/n", .user = "alice"}, g, Users());
  ASSERT_TRUE(as);
  EXPECT_EQ(as->uid, 1001u);
  EXPECT_FALSE(ScriptSpawnSpec(model::Script{.command = "  "}, g, Users()));
}

}  // namespace
}  // namespace vigil::check
