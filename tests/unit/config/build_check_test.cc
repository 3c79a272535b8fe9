#include <gtest/gtest.h>

#include "config/build.h"
#include "model/json.h"
#include "tree_text.h"

namespace vigil::config {
namespace {

using std::chrono::seconds;
using testing::DiagLines;
using testing::TreeFromText;
using Strings = std::vector<std::string>;

// Builds `text`; only the builder's diagnostics go to `d` (the parser's are the
// parser tests' business).
model::Config BuildText(std::string_view text, Diagnostics& d) {
  Diagnostics parse;
  return Build(TreeFromText(text, parse), d);
}

// Builds a virtual server whose one HTTP_GET has the url blocks `urls` (from line 7).
model::Config BuildHttpUrls(std::string_view urls, Diagnostics& d) {
  return BuildText(R"(virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.0.0.2 80 {
    HTTP_GET {
)" + std::string(urls) + "    }\n  }\n}\n", d);
}

TEST(BuildCheckTest, ExtraWordsAfterOneValueAreWarnedAndIgnoredLikeKeepalived) {
  // keepalived 2.2.7 -t exits 0 on these lines and uses only the first value of each.
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server 10.0.0.1 80 {
  delay_loop 2 3
  lb_algo rr wrr
  lb_kind NAT
  protocol TCP
  real_server 10.0.0.2 80 {
    weight 1 2
    TCP_CHECK {
      connect_timeout 2 retry 0 delay_before_retry 1
    }
  }
})", d);
  const std::string tail = "' is ignored, as keepalived does (one keyword per line)";
  EXPECT_EQ(DiagLines(d), (std::vector<std::string>{
                              "2:16: warning: delay_loop takes one value; '3" + tail,
                              "3:14: warning: lb_algo takes one value; 'wrr" + tail,
                              "7:14: warning: weight takes one value; '2" + tail,
                              "9:25: warning: connect_timeout takes one value; "
                              "'retry 0 delay_before_retry 1" + tail}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
  const auto& vs = cfg.virtual_servers.at(0);
  EXPECT_EQ(vs.delay_loop, std::chrono::seconds(2));
  EXPECT_EQ(vs.scheduler, model::Scheduler::kRr);
  const auto& rs = vs.real_servers.at(0);
  EXPECT_EQ(rs.weight, 1);
  EXPECT_EQ(rs.checks.at(0).retry, 1u);  // TCP_CHECK's default: `retry 0` was not read
}

TEST(BuildCheckTest, BfdCheckNamesABfdInstanceThatReachesTheChecker) {
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.0.0.2 80 {
    BFD_CHECK {
      name b1
    }
    BFD_CHECK {
      name b1
    }
    BFD_CHECK {
      name vrrp_only
    }
    BFD_CHECK {
      name nowhere
    }
  }
}
bfd_instance b1 {
  neighbor_ip 10.0.0.2
}
bfd_instance vrrp_only {
  neighbor_ip 10.0.0.3
  vrrp
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"9:5: error: BFD_CHECK: the real server already checks bfd_instance 'b1'; "
                     "ignored",
                     "12:5: error: BFD_CHECK: bfd_instance 'vrrp_only' is not defined; ignored",
                     "15:5: error: BFD_CHECK: bfd_instance 'nowhere' is not defined; ignored"}));
  const auto& checks = cfg.virtual_servers.at(0).real_servers.at(0).checks;
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].detail.get<model::BfdCheck>().name, "b1");
}

TEST(BuildCheckTest, VirtualServerDefaultsAndInheritance) {
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server 10.0.0.1 80 {
  delay_loop 10
  lb_algo rr
  lb_kind DR
  protocol TCP
  retry 4
  real_server 10.0.0.2 80 {
    weight 3
    connect_timeout 2
    HTTP_GET {
      url {
        path /health
        status_code 200 301-302
      }
    }
    TCP_CHECK {
      delay_loop 7
      retry 0
    }
  }
  real_server 10.0.0.3 80 {
    DNS_CHECK {
      name example.org
    }
    MISC_CHECK {
      misc_path "/bin/check x"
    }
  }
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  ASSERT_EQ(cfg.virtual_servers.size(), 1u);
  const auto& vs = cfg.virtual_servers[0];
  EXPECT_EQ(vs.address->ToString(), "10.0.0.1");
  EXPECT_EQ(vs.port, 80);
  EXPECT_EQ(vs.family, model::Family::kIpv4);
  EXPECT_EQ(vs.scheduler, model::Scheduler::kRr);
  EXPECT_EQ(vs.forwarding.method, model::LbKind::kDr);
  EXPECT_EQ(vs.protocol, model::Protocol::kTcp);
  EXPECT_EQ(vs.delay_loop, seconds(10));
  EXPECT_EQ(vs.quorum, 1u);
  ASSERT_EQ(vs.real_servers.size(), 2u);

  const auto& r1 = vs.real_servers[0];
  EXPECT_EQ(r1.weight, 3u);
  EXPECT_EQ(r1.forwarding.method, model::LbKind::kDr);
  EXPECT_EQ(r1.delay_loop, seconds(10));
  EXPECT_EQ(r1.connect_timeout, seconds(2));
  EXPECT_EQ(r1.retry, 4u);
  EXPECT_TRUE(r1.smtp_alert);
  ASSERT_EQ(r1.checks.size(), 2u);
  const auto& http = r1.checks[0];
  EXPECT_EQ(http.retry, 4u);
  EXPECT_EQ(http.delay_loop, seconds(10));
  EXPECT_EQ(http.connect_timeout, seconds(2));
  EXPECT_EQ(http.delay_before_retry, seconds(3));  // HTTP's own default
  EXPECT_EQ(http.warmup, seconds(10));              // = delay_loop
  const auto& h = http.detail.get<model::HttpCheck>();
  ASSERT_EQ(h.urls.size(), 1u);
  EXPECT_EQ(h.urls[0].path, "/health");
  EXPECT_EQ(h.urls[0].status_codes,
            (std::vector<model::StatusRange>{{200, 200}, {301, 302}}));
  const auto& tcp = r1.checks[1];
  EXPECT_EQ(tcp.retry, 0u);
  EXPECT_EQ(tcp.delay_loop, seconds(7));
  EXPECT_EQ(tcp.warmup, seconds(7));
  EXPECT_EQ(tcp.delay_before_retry, seconds(1));

  const auto& r2 = vs.real_servers[1];
  EXPECT_EQ(r2.weight, 1u);
  ASSERT_EQ(r2.checks.size(), 2u);
  EXPECT_EQ(r2.checks[0].retry, 4u);  // inherited from the VS, beats DNS's default 3
  EXPECT_EQ(r2.checks[0].delay_before_retry, seconds(10));  // DNS: = delay_loop
  EXPECT_EQ(r2.checks[0].detail.get<model::DnsCheck>().type, "SOA");
  const auto& misc = r2.checks[1].detail.get<model::MiscCheck>();
  EXPECT_EQ(misc.path.command, "/bin/check x");
  EXPECT_EQ(misc.timeout, seconds(10));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);  // exit 5 is CheckSystem's call: it knows which scripts exist
}

TEST(BuildCheckTest, CheckerTypeDefaultsWithoutInheritance) {
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server 10.0.0.1 53 {
  lb_algo wlc
  lb_kind NAT
  protocol UDP
  real_server 10.0.0.2 {
    DNS_CHECK { type a }
    MISC_CHECK { misc_path /bin/true }
    SSL_GET { url { path / } }
  }
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  const auto& rs = cfg.virtual_servers[0].real_servers[0];
  EXPECT_EQ(rs.port, 53);  // NAT real server takes the service port
  EXPECT_EQ(rs.checks[0].retry, 3u);
  EXPECT_EQ(rs.checks[0].detail.get<model::DnsCheck>().type, "A");
  EXPECT_EQ(rs.checks[0].delay_before_retry, seconds(60));
  EXPECT_EQ(rs.checks[1].retry, 0u);
  EXPECT_EQ(rs.checks[2].retry, 1u);
  EXPECT_EQ(rs.checks[2].delay_before_retry, seconds(3));
  EXPECT_TRUE(rs.checks[2].detail.get<model::HttpCheck>().ssl);
  EXPECT_EQ(rs.checks[2].detail.get<model::HttpCheck>().urls[0].status_codes,
            (std::vector<model::StatusRange>{{200, 299}}));
}

// regex_stack START MAX: keepalived 2.2.7 logs a line that is not two decimal numbers,
// START not above MAX, and ignores it; -t exits 0.
TEST(BuildCheckTest, RegexStackTakesStartAndMax) {
  Diagnostics d;
  auto cfg = BuildHttpUrls(R"(      url {
        path /a
        regex ok
        regex_stack 32768 1048576
      }
      url {
        path /b
        regex_stack 1048576
      }
      url {
        path /c
        regex_stack 64k 1048576
      }
      url {
        path /d
        regex_stack 2048 1024
      }
)", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"14:9: warning: regex_stack requires start and max values; ignored",
                     "18:21: warning: regex_stack: invalid start value '64k'; ignored",
                     "22:9: warning: regex_stack: start cannot exceed max; ignored"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
  const auto& urls = cfg.virtual_servers[0].real_servers[0].checks[0].detail.get<model::HttpCheck>().urls;
  ASSERT_EQ(urls.size(), 4u);
  EXPECT_EQ(urls[0].regex_stack_start, 32768u);
  EXPECT_EQ(urls[0].regex_stack_max, 1048576u);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(urls[i].regex_stack_max, 0u);
}

// regex_options / regex_min_offset / regex_max_offset as keepalived 2.2.7 reads them: the
// option names as written (the checker knows them), 0 for an offset it cannot read; all
// dropped without a regex, the offsets dropped when the first is beyond the last.
TEST(BuildCheckTest, RegexOptionsAndOffsets) {
  Diagnostics d;
  auto cfg = BuildHttpUrls(R"(      url {
        path /a
        regex ok
        regex_options caseless multiline
        regex_min_offset 10
        regex_max_offset 200
      }
      url {
        path /b
        regex ok
        regex_min_offset ten
        regex_max_offset
      }
      url {
        path /c
        regex_options caseless
        regex_max_offset 5
      }
      url {
        path /d
        regex ok
        regex_min_offset 9
        regex_max_offset 8
      }
)", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"17:26: warning: regex_min_offset: invalid offset 'ten'; 0 taken, as keepalived does",
                     "18:9: warning: regex_max_offset takes one offset; 0 taken, as keepalived does",
                     "20:7: warning: url: regex settings without a regex; ignored",
                     "25:7: warning: url: regex_min_offset 9 is beyond regex_max_offset 8; both ignored"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
  const auto& urls = cfg.virtual_servers[0].real_servers[0].checks[0].detail.get<model::HttpCheck>().urls;
  ASSERT_EQ(urls.size(), 4u);
  EXPECT_EQ(urls[0].regex_options, (Strings{"caseless", "multiline"}));
  EXPECT_EQ(urls[0].regex_min_offset, 10u);
  EXPECT_EQ(urls[0].regex_max_offset, 200u);
  EXPECT_EQ(urls[1].regex_min_offset, 0u);
  EXPECT_EQ(urls[1].regex_max_offset, 0u);
  EXPECT_EQ(urls[2].regex_options, Strings{});
  EXPECT_EQ(urls[2].regex_max_offset, std::nullopt);
  EXPECT_EQ(urls[3].regex_min_offset, 0u);
  EXPECT_EQ(urls[3].regex_max_offset, std::nullopt);
}

TEST(BuildCheckTest, SslGetTlsCompliantOnTheCheckerAndTheUrl) {
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server 10.0.0.1 443 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.0.0.2 443 {
    SSL_GET {
      url {
        path /a
      }
      url {
        path /b
        tls_compliant
      }
      url {
        path /c
        tls_compliant false
      }
    }
    SSL_GET {
      url {
        path /
      }
      tls_compliant yes
    }
    SSL_GET {
      url {
        path /
      }
      tls_compliant maybe
    }
  }
})", d);
  EXPECT_EQ(DiagLines(d), (Strings{"29:21: error: tls_compliant: 'maybe' is not a valid boolean"}));
  const auto& checks = cfg.virtual_servers[0].real_servers[0].checks;
  ASSERT_EQ(checks.size(), 3u);
  const auto& first = checks[0].detail.get<model::HttpCheck>();
  EXPECT_FALSE(first.tls_compliant);
  EXPECT_EQ(first.urls[0].tls_compliant, false);
  EXPECT_EQ(first.urls[1].tls_compliant, true);
  EXPECT_EQ(first.urls[2].tls_compliant, false);
  EXPECT_TRUE(checks[1].detail.get<model::HttpCheck>().tls_compliant);
  EXPECT_FALSE(checks[2].detail.get<model::HttpCheck>().tls_compliant);
}

TEST(BuildCheckTest, BadSchedulerWeightAndFamilyMismatch) {
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server 10.0.0.1 80 {
  lb_algo foo
  lb_kind NAT
  protocol TCP
  real_server 2001:db8::2 80 {
    TCP_CHECK { }
  }
  real_server 10.0.0.3 80 {
    weight -1
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:11: error: lb_algo: 'foo' is not a valid scheduler (rr wrr lc wlc lblc sh mh dh fo ovf lblcr sed nq twos); ignored",
                     "9:12: error: weight -1 is out of range 0..2147483647",
                     "5:3: error: virtual_server 10.0.0.1 80: real_server 2001:db8::2 is IPv6 but the virtual server is IPv4; ignored",
                     "1:1: warning: virtual_server 10.0.0.1 80: no lb_algo set; using wlc"}));
  ASSERT_EQ(cfg.virtual_servers[0].real_servers.size(), 1u);
  EXPECT_EQ(cfg.virtual_servers[0].scheduler, model::Scheduler::kWlc);
}

TEST(BuildCheckTest, NoProtocolAndNoRealServers) {
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 80 { }
}
virtual_server 10.0.0.1 443 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"1:1: error: virtual_server 10.0.0.1 80: no protocol set; using UDP",
                     "6:1: error: virtual_server 10.0.0.1 443 has no real servers; ignored"}));
  ASSERT_EQ(cfg.virtual_servers.size(), 1u);
  EXPECT_EQ(cfg.virtual_servers[0].protocol, model::Protocol::kUdp);
}

TEST(BuildCheckTest, SchedulerFlagsAreTheKernelsFlagBits) {
  // As keepalived: sh-fallback/mh-fallback set IP_VS_SVC_F_SCHED1, sh-port/mh-port SCHED2,
  // each only after its own scheduler.
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_kind NAT
  lb_algo mh
  mh-port
  sh-fallback
  real_server 10.0.0.2 80 {
  }
}
virtual_server 10.0.0.1 81 {
  protocol TCP
  lb_kind NAT
  lb_algo sh
  sh-fallback
  real_server 10.0.0.2 80 {
  }
}
virtual_server 10.0.0.1 82 {
  protocol TCP
  lb_kind NAT
  lb_algo mh
  mh-fallback
  real_server 10.0.0.2 80 {
  }
})", d);
  EXPECT_EQ(DiagLines(d), (Strings{"6:3: error: sh-fallback only applies to the sh scheduler; ignored"}));
  ASSERT_EQ(cfg.virtual_servers.size(), 3u);
  EXPECT_FALSE(cfg.virtual_servers[0].sched_flag_1);
  EXPECT_TRUE(cfg.virtual_servers[0].sched_flag_2);
  EXPECT_TRUE(cfg.virtual_servers[1].sched_flag_1);
  EXPECT_FALSE(cfg.virtual_servers[1].sched_flag_2);
  EXPECT_TRUE(cfg.virtual_servers[2].sched_flag_1);
  EXPECT_FALSE(cfg.virtual_servers[2].sched_flag_2);
}

TEST(BuildCheckTest, PersistenceQuorumAndSorryServer) {
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server fwmark 7 {
  lb_algo sh
  sh-port
  lb_kind DR
  persistence_timeout
  quorum 5
  hysteresis 9
  sorry_server 10.0.0.9 8080
  real_server 10.0.0.2 80 {
    weight 2
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"9:3: warning: virtual_server fwmark 7: real_server port is ignored with a fwmark service; cleared",
                     "8:3: warning: virtual_server fwmark 7: sorry_server port is ignored with a fwmark service; cleared",
                     "1:1: warning: virtual_server fwmark 7: quorum 5 is above the total real_server weight 2; using 2",
                     "1:1: error: virtual_server fwmark 7: hysteresis 9 must be below quorum 2; using 1"}));
  const auto& vs = cfg.virtual_servers[0];
  EXPECT_EQ(vs.fwmark, 7u);
  EXPECT_EQ(vs.persistence_timeout, 360u);
  EXPECT_FALSE(vs.sched_flag_1);
  EXPECT_TRUE(vs.sched_flag_2);  // sh-port is IPVS's SCHED2
  EXPECT_EQ(vs.quorum, 2u);
  EXPECT_EQ(vs.hysteresis, 1u);
  EXPECT_EQ(vs.family, model::Family::kIpv4);
  ASSERT_TRUE(vs.sorry_server);
  EXPECT_EQ(vs.sorry_server->port, 0);
  EXPECT_EQ(vs.sorry_server->forwarding.method, model::LbKind::kDr);
  EXPECT_EQ(vs.real_servers[0].port, 0);
}

TEST(BuildCheckTest, TunnelOptionsAndGroupReference) {
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server_group G {
  10.0.0.1-10 80
  10.1.0.0/30 80
  fwmark 3 inet6
}
virtual_server group G {
  lb_algo rr
  lvs_method TUN type gue port 6080
  real_server 10.0.0.2 80 { }
}
virtual_server group NOPE {
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 80 { }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"11:1: error: virtual_server group NOPE: virtual_server_group 'NOPE' is not defined; ignored"}));
  ASSERT_EQ(cfg.virtual_server_groups.size(), 1u);
  const auto& g = cfg.virtual_server_groups[0];
  ASSERT_EQ(g.entries.size(), 3u);
  EXPECT_EQ(g.entries[0].range_end->ToString(), "10.0.0.10");
  EXPECT_EQ(g.entries[1].range_end->ToString(), "10.1.0.3");
  EXPECT_EQ(g.entries[2].fwmark, 3u);
  EXPECT_EQ(g.entries[2].fwmark_family, model::Family::kIpv6);
  ASSERT_EQ(cfg.virtual_servers.size(), 1u);
  const auto& f = cfg.virtual_servers[0].real_servers[0].forwarding;
  EXPECT_EQ(f.method, model::LbKind::kTun);
  EXPECT_EQ(f.tunnel_type, model::TunnelType::kGue);
  EXPECT_EQ(f.tunnel_port, 6080);
}

TEST(BuildCheckTest, HaSuspendIsClearedForAFwmarkAsInKeepalived) {
  // keepalived 2.2.7 -t: "cannot use ha_suspend with fwmarks - clearing ha_suspend", exit
  // 5, for a fwmark service and for a group with a fwmark entry.
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server_group MIXED {
  10.0.0.1 80
  fwmark 5
}
virtual_server_group PLAIN {
  10.0.0.1-10 80
}
virtual_server group MIXED {
  lb_algo rr
  lb_kind NAT
  ha_suspend
  real_server 10.0.1.1 80 { }
}
virtual_server group PLAIN {
  lb_algo rr
  lb_kind NAT
  ha_suspend
  real_server 10.0.1.1 80 { }
}
virtual_server fwmark 7 {
  lb_algo rr
  lb_kind NAT
  ha_suspend
  real_server 10.0.1.1 80 { }
}
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  ha_suspend
  real_server 10.0.1.1 80 { }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"20:1: error: virtual_server fwmark 7: ha_suspend cannot be used with a fwmark; cleared",
                     "8:1: error: virtual_server group MIXED: ha_suspend cannot be used with a fwmark; cleared"}));
  ASSERT_EQ(cfg.virtual_servers.size(), 4u);
  EXPECT_FALSE(cfg.virtual_servers[0].ha_suspend);
  EXPECT_TRUE(cfg.virtual_servers[1].ha_suspend);
  EXPECT_FALSE(cfg.virtual_servers[2].ha_suspend);
  EXPECT_TRUE(cfg.virtual_servers[3].ha_suspend);
}

TEST(BuildCheckTest, HttpWithoutUrlAndLinkLocalWithoutBindIfAreDropped) {
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server fe80::1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server fe80::2 80 {
    HTTP_GET { }
    TCP_CHECK { }
    TCP_CHECK { bind_if eth0 }
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"6:5: error: HTTP_GET has no url; ignored",
                     "7:5: error: TCP_CHECK: link-local address fe80::2 needs bind_if; checker ignored"}));
  ASSERT_EQ(cfg.virtual_servers[0].real_servers[0].checks.size(), 1u);
  EXPECT_EQ(cfg.virtual_servers[0].real_servers[0].checks[0].bind_if.value_or(""), "eth0");
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(BuildCheckTest, DuplicateRealServerAndBadConnectPort) {
  Diagnostics d;
  auto cfg = BuildText(R"(virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.0.0.2 80 {
    TCP_CHECK { connect_port 0 }
  }
  real_server 10.0.0.2 80 {
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"6:30: error: connect_port 0 is out of range 1..65535",
                     "8:3: error: virtual_server 10.0.0.1 80: real_server 10.0.0.2 80 is a duplicate; ignored"}));
  ASSERT_EQ(cfg.virtual_servers[0].real_servers.size(), 1u);
  EXPECT_FALSE(cfg.virtual_servers[0].real_servers[0].checks[0].connect_port);
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(BuildTest, BuildingFromATreeItConsumesGivesTheSameModel) {
  const std::string text = R"(global_defs {
  router_id lb1
}
vrrp_script chk {
  script "/bin/true"
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  track_script { chk }
}
virtual_server 10.0.0.1 80 {
  delay_loop 3
  real_server 10.0.1.1 80 {
    TCP_CHECK { connect_timeout 2 }
  }
  real_server 10.0.1.2 80 {
    weight 3
  }
  nosuch_keyword 1
}
)";
  Diagnostics parse_kept, kept_diags, parse_taken, taken_diags;
  const Tree tree = TreeFromText(text, parse_kept);
  const model::Config kept = Build(tree, kept_diags);
  Tree taken_tree = TreeFromText(text, parse_taken);
  const model::Config taken = Build(std::move(taken_tree), taken_diags);
  EXPECT_TRUE(taken_tree.roots.empty());
  EXPECT_EQ(model::ToJsonText(taken), model::ToJsonText(kept));
  EXPECT_EQ(DiagLines(taken_diags), DiagLines(kept_diags));
  EXPECT_EQ(DiagLines(parse_taken), DiagLines(parse_kept));
  EXPECT_FALSE(DiagLines(parse_kept).empty());  // the unknown keyword
  EXPECT_EQ(tree.roots.size(), 4u);             // the const tree is left as it was
}

// The model compares what is configured, not where (a reload keeps a virtual server whose
// settings are equal as it runs): the same virtual server a few lines lower, with other
// indentation, is equal; a real server's weight or a check's timeout is not.
TEST(BuildCheckTest, VirtualServersCompareByTheirSettingsNotTheirPlaceInTheFile) {
  const std::string vs = R"(virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  quorum_up "/bin/up 10.0.0.1"
  real_server 10.0.0.2 80 {
    weight 2
    notify_down "/bin/down 10.0.0.2"
    HTTP_GET {
      url {
        path /health
        status_code 200
      }
      connect_timeout 3
    }
  }
}
)";
  Diagnostics d;
  const model::Config first = BuildText(vs, d);
  std::string moved = "\n\n" + vs;
  moved.replace(moved.find("  lb_algo"), 2, "      ");
  const model::Config second = BuildText(moved, d);
  ASSERT_EQ(DiagLines(d), Strings{});
  const model::VirtualServer& a = first.virtual_servers.at(0);
  const model::VirtualServer& b = second.virtual_servers.at(0);
  ASSERT_FALSE(SamePlace(a.loc, b.loc));
  ASSERT_FALSE(SamePlace(a.real_servers.at(0).checks.at(0).loc, b.real_servers.at(0).checks.at(0).loc));
  EXPECT_TRUE(a == b);

  std::string weight = vs;
  weight.replace(weight.find("weight 2"), 8, "weight 3");
  EXPECT_FALSE(a == BuildText(weight, d).virtual_servers.at(0));
  std::string timeout = vs;
  timeout.replace(timeout.find("connect_timeout 3"), 17, "connect_timeout 4");
  EXPECT_FALSE(a == BuildText(timeout, d).virtual_servers.at(0));
  std::string path = vs;
  path.replace(path.find("/health"), 7, "/ready");
  EXPECT_FALSE(a == BuildText(path, d).virtual_servers.at(0));
}

}  // namespace
}  // namespace vigil::config
