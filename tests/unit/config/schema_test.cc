#include "config/schema.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {
namespace {

// Returns the block reached from the root by the '/'-separated keyword path ("" = root).
const BlockSchema* Resolve(std::string_view path) {
  const BlockSchema* b = &RootSchema();
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const KeywordSpec* spec = b->Lookup(path.substr(0, slash));
    if (spec == nullptr || spec->block == nullptr) return nullptr;
    b = spec->block;
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return b;
}

std::vector<std::string> Words(std::string_view s) {
  std::istringstream in{std::string(s)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// keepalived 2.2.7's keywords per block, in installation order (from
// tools/keywords/extract.py run on its source), build options included.
struct InventoryBlock {
  std::string_view path;
  std::string_view keywords;
};
constexpr InventoryBlock kInventory[] = {
    {"",
      "linkbeat_use_polling net_namespace net_namespace_ipvs namespace_with_ipsets "
      "use_pid_dir instance child_wait_time global_defs track_group static_ipaddress "
      "static_routes static_rules vrrp_sync_group garp_group linkbeat_interfaces "
      "vrrp_instance vrrp_script vrrp_track_process interface_up_down_delays SSL "
      "virtual_server_group virtual_server bfd_instance track_file vrrp_track_file "},
    {"global_defs",
      "process_names process_name vrrp_process_name checker_process_name "
      "lvs_process_name bfd_process_name router_id notification_email_from smtp_server "
      "smtp_helo_name smtp_connect_timeout notification_email smtp_alert startup_script "
      "startup_script_timeout shutdown_script shutdown_script_timeout max_auto_priority "
      "min_auto_priority_delay smtp_alert_vrrp smtp_alert_checker "
      "checker_log_all_failures dynamic_interfaces no_email_faults default_interface "
      "disable_local_igmp lvs_timeouts lvs_flush lvs_flush_on_stop lvs_flush_onstop "
      "lvs_sync_daemon vrrp_mcast_group4 vrrp_mcast_group6 vrrp_garp_master_delay "
      "vrrp_garp_master_repeat vrrp_garp_master_refresh vrrp_garp_master_refresh_repeat "
      "vrrp_garp_lower_prio_delay vrrp_garp_lower_prio_repeat vrrp_down_timer_adverts "
      "vrrp_garp_interval vrrp_gna_interval vrrp_min_garp vrrp_garp_extra_if "
      "vrrp_vmac_garp_intvl vrrp_lower_prio_no_advert vrrp_higher_prio_send_advert "
      "vrrp_version vrrp_iptables vrrp_ipsets nftables nftables_priority "
      "nftables_ifindex nftables_ipvs nftables_ipvs_priority nftables_ipvs_start_fwmark "
      "nftables_counters vrrp_check_unicast_src vrrp_skip_check_adv_addr vrrp_strict "
      "vrrp_priority vrrp_no_swap vrrp_rt_priority vrrp_cpu_affinity vrrp_rlimit_rttime "
      "vrrp_rlimit_rtime notify_fifo notify_fifo_script vrrp_notify_fifo "
      "vrrp_notify_fifo_script vrrp_notify_priority_changes "
      "fifo_write_vrrp_states_on_reload lvs_notify_fifo lvs_notify_fifo_script "
      "checker_priority checker_no_swap checker_rt_priority checker_cpu_affinity "
      "checker_rlimit_rttime checker_rlimit_rtime bfd_priority bfd_no_swap "
      "bfd_rt_priority bfd_cpu_affinity bfd_rlimit_rttime bfd_rlimit_rtime snmp_socket "
      "enable_traps enable_snmp_vrrp enable_snmp_keepalived enable_snmp_rfc "
      "enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_checker enable_dbus "
      "dbus_service_name script_user enable_script_security vrrp_netlink_cmd_rcv_bufs "
      "vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs "
      "vrrp_netlink_monitor_rcv_bufs_force process_monitor_rcv_bufs "
      "process_monitor_rcv_bufs_force lvs_netlink_cmd_rcv_bufs "
      "lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs "
      "lvs_netlink_monitor_rcv_bufs_force rs_init_notifies no_checker_emails "
      "vrrp_rx_bufs_policy vrrp_rx_bufs_multiplier vrrp_startup_delay log_unknown_vrids "
      "vmac_prefix vmac_addr_prefix umask random_seed reload_check_config "
      "reload_time_file reload_repeat reload_file include_check config_save_dir "
      "tmp_config_directory data_use_instance "},
    {"track_group",
      "group "},
    {"vrrp_sync_group",
      "group track_interface track_script track_file track_process track_bfd "
      "notify_backup notify_master notify_fault notify_stop notify smtp_alert "
      "global_tracking sync_group_tracking_weight notify_priority_changes "},
    {"garp_group",
      "garp_interval gna_interval interface interfaces "},
    {"vrrp_instance",
      "use_vmac use_vmac_addr vmac_xmit_base use_ipvlan unicast_peer "
      "unicast_fault_no_peer check_unicast_src old_unicast_checksum native_ipv6 state "
      "interface vrf dont_track_primary track_interface track_script track_file "
      "track_process track_bfd mcast_src_ip unicast_src_ip mcast_dst_ip track_src_ip "
      "virtual_router_id unicast_ttl version priority advert_int virtual_ipaddress "
      "virtual_ipaddress_excluded promote_secondaries linkbeat_use_polling "
      "virtual_routes virtual_rules accept no_accept skip_check_adv_addr strict_mode "
      "preempt nopreempt preempt_delay debug notify_backup notify_master notify_fault "
      "notify_stop notify_deleted notify notify_master_rx_lower_pri smtp_alert "
      "notify_priority_changes lvs_sync_daemon_interface garp_master_delay "
      "garp_master_refresh garp_master_repeat garp_master_refresh_repeat "
      "garp_lower_prio_delay garp_lower_prio_repeat down_timer_adverts garp_extra_if "
      "vmac_garp_intvl lower_prio_no_advert higher_prio_send_advert kernel_rx_buf_size "
      "authentication "},
    {"vrrp_instance/authentication",
      "auth_type auth_pass "},
    {"vrrp_script",
      "script interval timeout weight rise fall user init_fail "},
    {"vrrp_track_process",
      "process param_match weight quorum quorum_max delay terminate_delay fork_delay "
      "full_command "},
    {"SSL",
      "password ca certificate key "},
    {"virtual_server",
      "ip_family retry delay_before_retry warmup connect_timeout delay_loop "
      "inhibit_on_failure lb_algo lvs_sched hashed ops flag-1 flag-2 flag-3 sh-port "
      "sh-fallback mh-port mh-fallback lb_kind lvs_method persistence_engine "
      "persistence_timeout persistence_granularity protocol ha_suspend smtp_alert "
      "virtualhost snmp_name alpha omega quorum_up quorum_down quorum hysteresis weight "
      "sorry_server sorry_server_inhibit sorry_server_lvs_method real_server "},
    {"virtual_server/real_server",
      "weight lvs_method uthreshold lthreshold inhibit_on_failure notify_up notify_down "
      "alpha retry delay_before_retry warmup connect_timeout delay_loop smtp_alert "
      "virtualhost snmp_name MISC_CHECK SMTP_CHECK TCP_CHECK PING_CHECK UDP_CHECK "
      "HTTP_GET SSL_GET DNS_CHECK FILE_CHECK BFD_CHECK "},
    {"virtual_server/real_server/MISC_CHECK",
      "retry delay_before_retry warmup delay_loop alpha log_all_failures misc_path "
      "misc_timeout misc_dynamic user "},
    {"virtual_server/real_server/SMTP_CHECK",
      "helo_name connect_ip connect_port bindto bind_port bind_if connect_timeout "
      "fwmark retry delay_before_retry warmup delay_loop alpha log_all_failures host "},
    {"virtual_server/real_server/SMTP_CHECK/host",
      "connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry "
      "delay_before_retry warmup delay_loop alpha log_all_failures "},
    {"virtual_server/real_server/TCP_CHECK",
      "connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry "
      "delay_before_retry warmup delay_loop alpha log_all_failures "},
    {"virtual_server/real_server/PING_CHECK",
      "connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry "
      "delay_before_retry warmup delay_loop alpha log_all_failures "},
    {"virtual_server/real_server/UDP_CHECK",
      "connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry "
      "delay_before_retry warmup delay_loop alpha log_all_failures payload "
      "require_reply min_reply_length max_reply_length "},
    {"virtual_server/real_server/HTTP_GET",
      "connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry "
      "delay_before_retry warmup delay_loop alpha log_all_failures nb_get_retry "
      "virtualhost http_protocol enable_sni fast_recovery url "},
    {"virtual_server/real_server/HTTP_GET/url",
      "path digest status_code virtualhost regex regex_no_match regex_options "
      "regex_min_offset regex_max_offset regex_stack "},
    {"virtual_server/real_server/SSL_GET",
      "connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry "
      "delay_before_retry warmup delay_loop alpha log_all_failures nb_get_retry "
      "virtualhost http_protocol enable_sni fast_recovery url "},
    {"virtual_server/real_server/SSL_GET/url",
      "path digest status_code virtualhost regex regex_no_match regex_options "
      "regex_min_offset regex_max_offset regex_stack "},
    {"virtual_server/real_server/DNS_CHECK",
      "connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry "
      "delay_before_retry warmup delay_loop alpha log_all_failures type name "},
    {"virtual_server/real_server/FILE_CHECK",
      "track_file weight "},
    {"virtual_server/real_server/BFD_CHECK",
      "name alpha "},
    {"bfd_instance",
      "source_ip neighbor_ip neighbour_ip min_rx min_tx idle_tx multiplier passive ttl "
      "hoplimit max_hops weight vrrp checker "},
    {"track_file",
      "file weight init_file "},
    {"vrrp_track_file",
      "file weight init_file "},
};

// The keywords keepalived v2.4.3 (the newest release) installs beyond 2.2.7's, per block
// (tools/keywords/extract.py --tag v2.4.3), then those of keepalived's master after it.
constexpr InventoryBlock kInventory243[] = {
    {"global_defs",
      "use_symlink_paths v3_checksum_as_v2 snmp_vs_stats_update_interval "
      "snmp_rs_stats_update_interval dbus_no_interface_name vrrp_delay_after_boot "
      "vrrp_owner_ignore_adverts json_version iproute_usr_dir iproute_etc_dir "
      "state_dump_file stats_dump_file json_dump_file "},
    {"vrrp_instance",
      "no_virtual_ipaddress v3_checksum_as_v2 timer_expired_backup thread_timer_expired "
      "owner_ignore_adverts auth_hmac "},
    {"vrrp_instance/auth_hmac",
      "key active_key time_window anti_replay mode "},
    {"virtual_server/real_server/SSL_GET",
      "tls_compliant "},
    {"virtual_server/real_server/SSL_GET/url",
      "tls_compliant "},
    {"bfd_instance",
      "multihop "},
};
constexpr InventoryBlock kInventoryMaster[] = {
    {"global_defs", "set_supplementary_groups "},
    {"virtual_server/real_server/HTTP_GET", "sni_name "},
    {"virtual_server/real_server/SSL_GET", "sni_name "},
};

size_t CountResolved(std::span<const InventoryBlock> inventory) {
  size_t total = 0;
  for (const InventoryBlock& block : inventory) {
    SCOPED_TRACE(std::string(block.path));
    const BlockSchema* b = Resolve(block.path);
    EXPECT_NE(b, nullptr);
    if (b == nullptr) continue;
    for (const std::string& kw : Words(block.keywords)) {
      EXPECT_NE(b->Lookup(kw), nullptr) << kw;
      ++total;
    }
  }
  return total;
}

// Returns the keywords `inventory` adds to the block at `path`.
std::vector<std::string> Added(std::span<const InventoryBlock> inventory, std::string_view path) {
  std::vector<std::string> out;
  for (const InventoryBlock& block : inventory)
    if (block.path == path)
      for (std::string& w : Words(block.keywords)) out.push_back(std::move(w));
  return out;
}

TEST(SchemaTest, EveryKeepalivedKeywordResolvesInItsBlock) {
  EXPECT_EQ(CountResolved(kInventory), 501u);
}

TEST(SchemaTest, EveryKeywordOfTheNewestReleaseResolvesInItsBlock) {
  EXPECT_EQ(CountResolved(kInventory243), 27u);  // 501 + 27 = extract.py's 528 for v2.4.3
  EXPECT_EQ(CountResolved(kInventoryMaster), 3u);
}

TEST(SchemaTest, BlocksHoldExactlyTheInventoryPlusVigilKeywords) {
  for (const InventoryBlock& block : kInventory) {
    SCOPED_TRACE(std::string(block.path));
    const BlockSchema* b = Resolve(block.path);
    ASSERT_NE(b, nullptr);
    std::vector<std::string> expected = Words(block.keywords);
    // Then the newer releases' keywords; HTTP_GET's sni_name comes after its url block.
    for (std::span<const InventoryBlock> inv : {std::span<const InventoryBlock>(kInventory243),
                                                std::span<const InventoryBlock>(kInventoryMaster)})
      for (std::string& w : Added(inv, block.path)) expected.push_back(std::move(w));
    if (block.path == "global_defs") {
      expected.push_back("vigil_lb_backend");
      expected.push_back("vigil_control_socket");
      expected.push_back("vigil_control_group");
      expected.push_back("vigil_metrics_listen");
      expected.push_back("vigil_conntrackd");
      expected.push_back("vigil_announce_table");
    }
    if (block.path == "virtual_server") expected.push_back("vigil_announce_with");
    std::vector<std::string> actual;
    for (const KeywordSpec& s : b->keywords()) actual.emplace_back(s.name);
    EXPECT_EQ(actual, expected);
  }
}

TEST(SchemaTest, SampleBlockSizes) {
  EXPECT_EQ(RootSchema().size(), 25u);
  EXPECT_EQ(Resolve("global_defs")->size(), 146u);
  EXPECT_EQ(Resolve("vrrp_instance")->size(), 70u);
  EXPECT_EQ(Resolve("vrrp_sync_group")->size(), 15u);
  EXPECT_EQ(Resolve("vrrp_script")->size(), 8u);
  EXPECT_EQ(Resolve("virtual_server")->size(), 40u);
  EXPECT_EQ(Resolve("virtual_server/real_server")->size(), 26u);
  EXPECT_EQ(Resolve("virtual_server/real_server/HTTP_GET")->size(), 20u);
  EXPECT_EQ(Resolve("virtual_server/real_server/SSL_GET")->size(), 21u);
  EXPECT_EQ(Resolve("virtual_server/real_server/SSL_GET/url")->size(), 11u);
  EXPECT_EQ(Resolve("virtual_server/real_server/HTTP_GET/url")->size(), 10u);
  EXPECT_EQ(Resolve("virtual_server/real_server/TCP_CHECK")->size(), 13u);
  EXPECT_EQ(Resolve("virtual_server/real_server/MISC_CHECK")->size(), 10u);
  EXPECT_EQ(Resolve("bfd_instance")->size(), 15u);
}

TEST(SchemaTest, NoBlockListsAKeywordTwice) {
  ForEachKeyword(RootSchema(), [](std::string_view path, const KeywordSpec&) {
    const BlockSchema* b = Resolve(path);
    ASSERT_NE(b, nullptr) << path;
    std::set<std::string_view> seen;
    for (const KeywordSpec& s : b->keywords())
      EXPECT_TRUE(seen.insert(s.name).second) << path << " " << s.name;
  });
}

TEST(SchemaTest, BlockPointersMatchKinds) {
  size_t count = 0;
  ForEachKeyword(RootSchema(), [&](std::string_view path, const KeywordSpec& s) {
    ++count;
    EXPECT_EQ(s.block != nullptr, s.kind == BlockKind::kKeywords) << path << " " << s.name;
    EXPECT_EQ(s.opens_block(), s.kind != BlockKind::kNone);
  });
  // 501 keepalived 2.2.7 keywords (vrrp_track_file shares track_file's), 27 of v2.4.3, 3 of
  // keepalived's master, 5 of vigil's.
  EXPECT_EQ(count, 538u);
}

TEST(SchemaTest, ListBlocks) {
  const std::pair<std::string_view, std::string_view> lists[] = {
      {"", "static_ipaddress"},
      {"", "static_routes"},
      {"", "static_rules"},
      {"", "linkbeat_interfaces"},
      {"", "interface_up_down_delays"},
      {"", "virtual_server_group"},
      {"global_defs", "notification_email"},
      {"track_group", "group"},
      {"garp_group", "interfaces"},
      {"vrrp_sync_group", "group"},
      {"vrrp_sync_group", "track_interface"},
      {"vrrp_sync_group", "track_script"},
      {"vrrp_sync_group", "track_file"},
      {"vrrp_sync_group", "track_process"},
      {"vrrp_sync_group", "track_bfd"},
      {"vrrp_instance", "virtual_ipaddress"},
      {"vrrp_instance", "virtual_ipaddress_excluded"},
      {"vrrp_instance", "virtual_routes"},
      {"vrrp_instance", "virtual_rules"},
      {"vrrp_instance", "unicast_peer"},
      {"vrrp_instance", "track_interface"},
      {"vrrp_instance", "track_script"},
      {"vrrp_instance", "track_file"},
      {"vrrp_instance", "track_process"},
      {"vrrp_instance", "track_bfd"},
  };
  size_t listed = 0;
  for (const auto& [path, kw] : lists) {
    const KeywordSpec* s = Resolve(path)->Lookup(kw);
    ASSERT_NE(s, nullptr) << path << " " << kw;
    EXPECT_TRUE(s->is_list()) << path << " " << kw;
  }
  ForEachKeyword(RootSchema(), [&](std::string_view, const KeywordSpec& s) {
    if (s.is_list()) ++listed;
  });
  EXPECT_EQ(listed, std::size(lists));
  // A track_file statement in FILE_CHECK names a file tracker; it has no block.
  EXPECT_EQ(Resolve("virtual_server/real_server/FILE_CHECK")->Lookup("track_file")->kind,
            BlockKind::kNone);
}

TEST(SchemaTest, DeprecatedAliases) {
  const struct {
    std::string_view path, name, means;
  } aliases[] = {
      {"", "vrrp_track_file", "track_file"},
      {"global_defs", "lvs_process_name", "checker_process_name"},
      {"global_defs", "lvs_flush_onstop", "lvs_flush_on_stop"},
      {"global_defs", "vrrp_vmac_garp_intvl", "vrrp_garp_extra_if"},
      {"global_defs", "vrrp_rlimit_rtime", "vrrp_rlimit_rttime"},
      {"global_defs", "checker_rlimit_rtime", "checker_rlimit_rttime"},
      {"global_defs", "bfd_rlimit_rtime", "bfd_rlimit_rttime"},
      {"global_defs", "enable_snmp_keepalived", "enable_snmp_vrrp"},
      {"vrrp_instance", "vmac_garp_intvl", "garp_extra_if"},
      {"virtual_server", "lb_algo", "lvs_sched"},
      {"virtual_server", "lb_kind", "lvs_method"},
      {"virtual_server/real_server/HTTP_GET", "nb_get_retry", "retry"},
      {"virtual_server/real_server/SSL_GET", "nb_get_retry", "retry"},
      {"bfd_instance", "neighbour_ip", "neighbor_ip"},
      {"bfd_instance", "hoplimit", "ttl"},
  };
  for (const auto& a : aliases) {
    const BlockSchema* b = Resolve(a.path);
    const KeywordSpec* s = b->Lookup(a.name);
    ASSERT_NE(s, nullptr) << a.name;
    EXPECT_TRUE(s->is_deprecated_alias()) << a.name;
    EXPECT_EQ(s->canonical(), a.means);
    const KeywordSpec* target = b->Lookup(a.means);
    ASSERT_NE(target, nullptr) << a.means;
    EXPECT_EQ(target->kind, s->kind) << a.name;
    EXPECT_EQ(target->block, s->block) << a.name;
    EXPECT_FALSE(target->is_deprecated_alias());
  }
  size_t n = 0;
  ForEachKeyword(RootSchema(), [&](std::string_view, const KeywordSpec& s) {
    if (s.is_deprecated_alias()) ++n;
  });
  EXPECT_EQ(n, std::size(aliases));
  EXPECT_EQ(Resolve("virtual_server")->Lookup("lvs_sched")->canonical(), "lvs_sched");
}

TEST(SchemaTest, LookupIsCaseSensitive) {
  const BlockSchema* rs = Resolve("virtual_server/real_server");
  EXPECT_NE(rs->Lookup("HTTP_GET"), nullptr);
  EXPECT_EQ(rs->Lookup("http_get"), nullptr);
  EXPECT_EQ(rs->Lookup("Tcp_Check"), nullptr);
  EXPECT_EQ(RootSchema().Lookup("ssl"), nullptr);
  EXPECT_NE(RootSchema().Lookup("SSL"), nullptr);
  EXPECT_EQ(RootSchema().Lookup(""), nullptr);
}

TEST(SchemaTest, ClosestSuggestsATypoFromTheSameBlock) {
  const BlockSchema& vi = *RootSchema().Lookup("vrrp_instance")->block;
  EXPECT_EQ(vi.Closest("advert_intt"), "advert_int");       // one insertion
  EXPECT_EQ(vi.Closest("virtual_ruoter_id"), "virtual_router_id");  // one swap
  EXPECT_EQ(vi.Closest("prority"), "priority");
  EXPECT_EQ(vi.Closest("Priority"), "priority");            // case only
  EXPECT_EQ(vi.Closest("router_id"), "");                   // global_defs only: too far here
  EXPECT_EQ(vi.Closest("zz"), "");
  EXPECT_EQ(RootSchema().Closest("vrrp_instnace"), "vrrp_instance");
}

TEST(SchemaTest, CheckersShareConnectionOptionsExceptMiscFileAndBfd) {
  for (std::string_view c : {"TCP_CHECK", "HTTP_GET", "SSL_GET", "SMTP_CHECK", "DNS_CHECK",
                             "UDP_CHECK", "PING_CHECK"}) {
    const BlockSchema* b = Resolve(std::string("virtual_server/real_server/") + std::string(c));
    ASSERT_NE(b, nullptr) << c;
    for (std::string_view kw : {"connect_ip", "connect_port", "bindto", "bind_port", "bind_if",
                                "connect_timeout", "fwmark", "retry", "delay_before_retry",
                                "warmup", "delay_loop", "alpha", "log_all_failures"})
      EXPECT_NE(b->Lookup(kw), nullptr) << c << " " << kw;
  }
  const BlockSchema* misc = Resolve("virtual_server/real_server/MISC_CHECK");
  EXPECT_EQ(misc->Lookup("connect_ip"), nullptr);
  EXPECT_NE(misc->Lookup("misc_path"), nullptr);
  EXPECT_NE(misc->Lookup("retry"), nullptr);
  EXPECT_EQ(Resolve("virtual_server/real_server/FILE_CHECK")->Lookup("retry"), nullptr);
}

TEST(SchemaTest, SupportFlags) {
  const struct {
    std::string_view path, name;
    Support support;
  } samples[] = {
      {"", "global_defs", Support::kActive},
      {"", "vrrp_instance", Support::kActive},
      {"", "virtual_server", Support::kActive},
      {"", "net_namespace", Support::kActive},
      {"", "net_namespace_ipvs", Support::kDiffers},
      {"", "bfd_instance", Support::kActive},
      {"", "vrrp_track_process", Support::kActive},
      {"global_defs", "router_id", Support::kActive},
      {"global_defs", "enable_snmp_vrrp", Support::kNotPlanned},
      {"global_defs", "enable_snmp_keepalived", Support::kNotPlanned},
      {"global_defs", "enable_dbus", Support::kNotPlanned},
      {"virtual_server", "snmp_name", Support::kNotPlanned},
      {"global_defs", "lvs_sync_daemon", Support::kDiffers},
      {"global_defs", "vrrp_iptables", Support::kDiffers},
      {"global_defs", "nftables", Support::kDiffers},
      {"global_defs", "nftables_priority", Support::kActive},
      {"global_defs", "nftables_ipvs", Support::kNotPlanned},
      {"global_defs", "vigil_lb_backend", Support::kActive},
      {"global_defs", "vigil_control_socket", Support::kActive},
      {"global_defs", "vigil_control_group", Support::kActive},
      {"global_defs", "vigil_metrics_listen", Support::kActive},
      {"global_defs", "vigil_conntrackd", Support::kActive},
      {"global_defs", "vigil_announce_table", Support::kActive},
      {"virtual_server", "vigil_announce_with", Support::kActive},
      {"vrrp_instance", "virtual_ipaddress", Support::kActive},
      {"vrrp_instance", "authentication", Support::kActive},
      {"vrrp_instance", "use_vmac", Support::kDiffers},
      {"vrrp_instance", "use_ipvlan", Support::kDiffers},
      {"vrrp_instance", "no_accept", Support::kActive},
      {"vrrp_instance", "track_bfd", Support::kActive},
      {"vrrp_sync_group", "track_bfd", Support::kActive},
      {"bfd_instance", "multihop", Support::kActive},
      {"virtual_server/real_server", "HTTP_GET", Support::kActive},
      {"virtual_server/real_server", "BFD_CHECK", Support::kActive},
  };
  for (const auto& s : samples) {
    const KeywordSpec* spec = Resolve(s.path)->Lookup(s.name);
    ASSERT_NE(spec, nullptr) << s.name;
    EXPECT_EQ(spec->support, s.support) << s.path << " " << s.name;
  }
}

TEST(SchemaTest, EveryKeywordThatDiffersOrIsNotPlannedSaysWhy) {
  ForEachKeyword(RootSchema(), [](std::string_view path, const KeywordSpec& s) {
    if (s.support == Support::kDiffers || s.support == Support::kNotPlanned) {
      EXPECT_FALSE(s.note.empty()) << path << " " << s.name;
    }
    if (s.support == Support::kActive) {
      EXPECT_TRUE(s.note.empty()) << path << " " << s.name;
    }
  });
}

TEST(SchemaTest, ActsOnlyForActiveAndDiffers) {
  EXPECT_TRUE(Acts(Support::kActive));
  EXPECT_TRUE(Acts(Support::kDiffers));
  EXPECT_FALSE(Acts(Support::kNotPlanned));
  EXPECT_FALSE(Acts(Support::kNotYet));
}

TEST(SchemaTest, ForEachKeywordVisitsDepthFirstWithPaths) {
  std::vector<std::string> url_paths;
  ForEachKeyword(RootSchema(), [&](std::string_view path, const KeywordSpec& s) {
    if (s.name == "url") url_paths.emplace_back(path);
  });
  EXPECT_EQ(url_paths, (std::vector<std::string>{"virtual_server/real_server/HTTP_GET",
                                                 "virtual_server/real_server/SSL_GET"}));
  std::vector<std::string> first;
  ForEachKeyword(*Resolve("vrrp_instance/authentication"),
                 [&](std::string_view path, const KeywordSpec& s) {
                   first.push_back(std::string(path) + ":" + std::string(s.name));
                 });
  EXPECT_EQ(first, (std::vector<std::string>{":auth_type", ":auth_pass"}));
}

}  // namespace
}  // namespace vigil::config
