// The global_defs block.
// Keywords are listed in the order keepalived 2.2.7 installs them, then vigil's own.
#include "config/schema.h"

namespace vigil::config {
namespace schema_internal {
namespace {

constexpr Status kSnmp = NotPlanned(
    "SNMP is not planned: vigil exports its state as Prometheus metrics "
    "(vigil_metrics_listen) and through the control socket (vigilctl --json)");
constexpr Status kDumpFileDiffers = Differs(
    "keepalived 2.4.3 reads it but writes its dump to $TMPDIR whatever it says; vigil "
    "places the dump as keepalived's manual says, by state_dump_file's rule (a directory "
    "when ending in '/', a relative name in $TMPDIR), data_use_instance included");
constexpr Status kIpvsNftables = NotPlanned(
    "keepalived then serves each virtual_server_group as one IPVS fwmark service, its "
    "addresses, ranges and ports marked by nftables rules in table keepalived_ipvs (marks "
    "from nftables_ipvs_start_fwmark, 1000 by default); vigil serves each address and "
    "fwmark of a group as a service of its own, as keepalived does without nftables_ipvs "
    "(the same real servers take the same traffic; persistence is kept per address, not "
    "across the group); values are checked as keepalived checks them");
constexpr Status kDbus = NotPlanned(
    "DBus is not planned: the control socket (vigilctl) reads the state and reloads");

}  // namespace

// keepalived's checker sizes its rtnetlink sockets with the lvs_netlink_* keywords; vigil's
// checker has none, so they size its load balancer's netlink sockets.
constexpr Status kLvsCmdBuffer = Differs(
    "sizes the checker's load-balancer command socket (IPVS generic netlink, or the nftables "
    "batch socket) as keepalived sizes its checker's rtnetlink command socket, which vigil's "
    "checker does not have; set when the socket opens (at start), as keepalived");
constexpr Status kLvsMonitorBuffer = Differs(
    "sizes the checker's rtnetlink address monitor as keepalived, but vigil's opens only for "
    "ha_suspend (sized when it opens); also sizes the nftables event monitor (IPVS has no "
    "events), at start and again at each reload, as keepalived its address monitor");

constexpr KeywordSpec kGlobalDefsKeywords[] = {
    Kw("process_names"),
    Kw("process_name"),
    Kw("vrrp_process_name"),
    Kw("checker_process_name"),
    Alias("lvs_process_name", "checker_process_name"),
    Kw("bfd_process_name"),
    Kw("router_id"),
    Kw("notification_email_from"),
    Kw("smtp_server"),
    Kw("smtp_helo_name"),
    Kw("smtp_connect_timeout"),
    List("notification_email"),
    Kw("smtp_alert"),
    Kw("startup_script"),
    Kw("startup_script_timeout"),
    Kw("shutdown_script"),
    Kw("shutdown_script_timeout"),
    Kw("max_auto_priority"),
    Kw("min_auto_priority_delay"),
    Kw("smtp_alert_vrrp"),
    Kw("smtp_alert_checker"),
    Kw("checker_log_all_failures"),
    Kw("dynamic_interfaces"),
    Kw("no_email_faults"),
    Kw("default_interface"),
    Kw("disable_local_igmp"),
    Kw("lvs_timeouts", Differs("sets IPVS's timeouts; the nftables backend leaves "
                               "conntrack's (net.netfilter.nf_conntrack_*_timeout) alone")),
    Kw("lvs_flush"),
    Kw("lvs_flush_on_stop", Differs("with the nftables backend it changes nothing: vigil's "
                                    "table is its own and is removed at stop anyway")),
    Alias("lvs_flush_onstop", "lvs_flush_on_stop"),
    Kw("lvs_sync_daemon", Differs("with an instance, its backup daemon runs in every state, "
                                  "also while MASTER (keepalived stops it then), and its "
                                  "master daemon while MASTER: a master still takes the "
                                  "connections another master sends")),
    Kw("vrrp_mcast_group4"),
    Kw("vrrp_mcast_group6"),
    Kw("vrrp_garp_master_delay"),
    Kw("vrrp_garp_master_repeat"),
    Kw("vrrp_garp_master_refresh"),
    Kw("vrrp_garp_master_refresh_repeat"),
    Kw("vrrp_garp_lower_prio_delay"),
    Kw("vrrp_garp_lower_prio_repeat"),
    Kw("vrrp_down_timer_adverts"),
    Kw("vrrp_garp_interval"),
    Kw("vrrp_gna_interval"),
    Kw("vrrp_min_garp"),
    Kw("vrrp_garp_extra_if"),
    Alias("vrrp_vmac_garp_intvl", "vrrp_garp_extra_if"),
    Kw("vrrp_lower_prio_no_advert"),
    Kw("vrrp_higher_prio_send_advert"),
    Kw("vrrp_version"),
    Kw("vrrp_iptables", Differs("vigil has no iptables backend: the VIPs are filtered with "
                                "nftables instead, as keepalived built without iptables "
                                "(Debian's 2.2.7) does, and -t reports it as that keepalived "
                                "does")),
    // Debian's 2.2.7 is built without ipset support.
    Kw("vrrp_ipsets", Differs("ignored: vigil has no ipset backend, the VIPs go in nftables "
                              "sets; -t reports it as an error, as Debian's keepalived 2.2.7 "
                              "(no ipset support) does")),
    Kw("nftables", Differs("the tables are keepalived 2.2.7's (ip and ip6 NAME, same sets, "
                           "chains and rules; keepalived 2.3 and later also give every ip6 "
                           "table a set parent_link_local and a rule dropping neighbour "
                           "advertisements that leave a VMAC from its parent's link-local "
                           "address, which vigil does not); without NAME they are vigil's "
                           "own vigil_vrrp (vigil_vrrp_ID with -i), not keepalived's "
                           "'keepalived', so that vigil and keepalived, or two vigilds, can "
                           "share a network namespace; NAME must be one nft's command "
                           "language reads")),
    Kw("nftables_priority"),
    Kw("nftables_ifindex"),
    Kw("nftables_ipvs", kIpvsNftables),
    Kw("nftables_ipvs_priority", kIpvsNftables),
    Kw("nftables_ipvs_start_fwmark", kIpvsNftables),
    Kw("nftables_counters"),
    Kw("vrrp_check_unicast_src"),
    Kw("vrrp_skip_check_adv_addr"),
    Kw("vrrp_strict"),
    Kw("vrrp_priority"),
    Kw("vrrp_no_swap"),
    Kw("vrrp_rt_priority"),
    Kw("vrrp_cpu_affinity"),
    Kw("vrrp_rlimit_rttime"),
    Alias("vrrp_rlimit_rtime", "vrrp_rlimit_rttime"),
    Kw("notify_fifo"),
    Kw("notify_fifo_script"),
    Kw("vrrp_notify_fifo"),
    Kw("vrrp_notify_fifo_script"),
    Kw("vrrp_notify_priority_changes"),
    Kw("fifo_write_vrrp_states_on_reload"),
    Kw("lvs_notify_fifo"),
    Kw("lvs_notify_fifo_script"),
    Kw("checker_priority"),
    Kw("checker_no_swap"),
    Kw("checker_rt_priority"),
    Kw("checker_cpu_affinity"),
    Kw("checker_rlimit_rttime"),
    Alias("checker_rlimit_rtime", "checker_rlimit_rttime"),
    Kw("bfd_priority"),
    Kw("bfd_no_swap"),
    Kw("bfd_rt_priority"),
    Kw("bfd_cpu_affinity"),
    Kw("bfd_rlimit_rttime"),
    Alias("bfd_rlimit_rtime", "bfd_rlimit_rttime"),
    Kw("snmp_socket", kSnmp),
    Kw("enable_traps", kSnmp),
    Kw("enable_snmp_vrrp", kSnmp),
    Alias("enable_snmp_keepalived", "enable_snmp_vrrp", kSnmp),
    Kw("enable_snmp_rfc", kSnmp),
    Kw("enable_snmp_rfcv2", kSnmp),
    Kw("enable_snmp_rfcv3", kSnmp),
    Kw("enable_snmp_checker", kSnmp),
    Kw("enable_dbus", kDbus),
    Kw("dbus_service_name", kDbus),
    Kw("script_user"),
    Kw("enable_script_security"),
    Kw("vrrp_netlink_cmd_rcv_bufs"),
    Kw("vrrp_netlink_cmd_rcv_bufs_force"),
    Kw("vrrp_netlink_monitor_rcv_bufs"),
    Kw("vrrp_netlink_monitor_rcv_bufs_force"),
    Kw("process_monitor_rcv_bufs"),
    Kw("process_monitor_rcv_bufs_force"),
    Kw("lvs_netlink_cmd_rcv_bufs", kLvsCmdBuffer),
    Kw("lvs_netlink_cmd_rcv_bufs_force", kLvsCmdBuffer),
    Kw("lvs_netlink_monitor_rcv_bufs", kLvsMonitorBuffer),
    Kw("lvs_netlink_monitor_rcv_bufs_force", kLvsMonitorBuffer),
    Kw("rs_init_notifies"),
    Kw("no_checker_emails"),
    Kw("vrrp_rx_bufs_policy"),
    Kw("vrrp_rx_bufs_multiplier"),
    Kw("vrrp_startup_delay"),
    Kw("log_unknown_vrids"),
    Kw("vmac_prefix"),
    Kw("vmac_addr_prefix"),
    Kw("umask"),
    Kw("random_seed", Differs("seeds ${_RANDOM} from its line on, so the values after it "
                              "repeat from run to run; they are not the numbers the C "
                              "library's random() gives keepalived, and keepalived 2.4.3 "
                              "resets the seed before every read, so there it has no "
                              "effect")),
    Kw("reload_check_config",
       Differs("vigild checks every new configuration before a reload and refuses one with "
               "errors, with or without this keyword; its LOG_FILE receives the check's "
               "diagnostics, replaced at each reload (none written without LOG_FILE)")),
    Kw("reload_time_file"),
    Kw("reload_repeat"),
    Kw("reload_file", Differs("there from the start of a reload until every engine has read "
                              "the new configuration; the default file is vigild.reload "
                              "beside vigild's pid file")),
    Kw("include_check"),
    Kw("config_save_dir",
       Differs("keeps each configuration loaded (at start and every reload) as "
               "DIR/vigild.conf.PID.N: the files as read, each after a line '# PATH'; "
               "keepalived saves its preprocessed copy and state dumps around each reload")),
    Kw("tmp_config_directory",
       NotPlanned("vigil writes no temporary copy of the configuration (each vigild "
                  "process reads the files itself), so there is nothing to place")),
    Kw("data_use_instance"),
    // Added by keepalived 2.3/2.4 (v2.4.3 installs them in this block).
    Kw("use_symlink_paths"),
    Kw("v3_checksum_as_v2"),
    Kw("snmp_vs_stats_update_interval", kSnmp),
    Kw("snmp_rs_stats_update_interval", kSnmp),
    Kw("dbus_no_interface_name", kDbus),
    Kw("vrrp_delay_after_boot"),
    Kw("vrrp_owner_ignore_adverts"),
    Kw("json_version",
       Differs("the SIGRTMIN+2 dump has keepalived's layout (version 1: an array of "
               "{data, stats} per VRRP instance; 2: that array as \"vrrp\" of an object) with "
               "the fields vigil keeps: data has iname, ifp_ifname, vrid, base_priority, "
               "effective_priority, adver_int, state, version and vips (ADDR/LEN), stats all "
               "of keepalived's counters but release_master and addr_list_err; version 2's "
               "track_process list is not written")),
    Kw("iproute_usr_dir"),
    Kw("iproute_etc_dir"),
    Kw("state_dump_file"),
    Kw("stats_dump_file", kDumpFileDiffers),
    Kw("json_dump_file", kDumpFileDiffers),
    // Added on keepalived's master after v2.4.3.
    Kw("set_supplementary_groups"),
    // vigil's own keywords (keepalived does not know them).
    Kw("vigil_lb_backend"),      // auto | ipvs | nftables
    Kw("vigil_control_socket"),  // PATH
    Kw("vigil_control_group"),   // GROUP: its members may use the control socket
    Kw("vigil_metrics_listen"),  // ADDR:PORT
    Kw("vigil_conntrackd"),      // CONFIG_FILE SYNC_GROUP|VRRP_INSTANCE [timeout SECONDS]
    Kw("vigil_announce_table"),  // N: host routes of the services that are up (for FRR)
};
constexpr BlockSchema kGlobalDefsBlock("global_defs", kGlobalDefsKeywords);

}  // namespace schema_internal
}  // namespace vigil::config
