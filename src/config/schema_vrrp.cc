// VRRP blocks: vrrp_sync_group, vrrp_instance, vrrp_script, vrrp_track_process, bfd_instance.
// Tables list keywords in the order keepalived 2.2.7 installs them.
#include "config/schema.h"

namespace vigil::config {
namespace schema_internal {

constexpr KeywordSpec kVrrpSyncGroupKeywords[] = {
    List("group"),
    List("track_interface"),
    List("track_script"),
    List("track_file"),
    List("track_process"),
    List("track_bfd"),
    Kw("notify_backup"),
    Kw("notify_master"),
    Kw("notify_fault"),
    Kw("notify_stop"),
    Kw("notify"),
    Kw("smtp_alert"),
    Kw("global_tracking"),
    Kw("sync_group_tracking_weight"),
    Kw("notify_priority_changes"),
};
constexpr BlockSchema kVrrpSyncGroupBlock("vrrp_sync_group", kVrrpSyncGroupKeywords);

constexpr KeywordSpec kAuthenticationKeywords[] = {
    Kw("auth_type"),
    Kw("auth_pass"),
};
constexpr BlockSchema kAuthenticationBlock("vrrp_instance/authentication", kAuthenticationKeywords);

constexpr KeywordSpec kAuthHmacKeywords[] = {
    Kw("key"),
    Kw("active_key"),
    Kw("time_window"),
    Kw("anti_replay"),
    Kw("mode"),
};
constexpr BlockSchema kAuthHmacBlock("vrrp_instance/auth_hmac", kAuthHmacKeywords);

constexpr KeywordSpec kVrrpInstanceKeywords[] = {
    Kw("use_vmac",
       Differs("as newer keepalived (name, MAC, netlink_notify_msg, group); a group name that "
               "iproute2's group file lacks is logged when vigild creates the VMAC, not "
               "reported by -t, and the VMAC gets its parent's group; `use_vmac` on a "
               "virtual_ipaddress line puts that address on a VMAC of its own, as "
               "keepalived 2.2.7 (named as use_vmac_addr's, with its difference)")),
    Kw("use_vmac_addr",
       Differs("as keepalived 2.2.7 (VMACs named vmac_addr_prefix.VRID, or PREFIXN.VRID "
               "when another VMAC has that name), but an interface that has the name "
               "already is used as it is")),
    Kw("vmac_xmit_base"),
    Kw("use_ipvlan",
       Differs("as newer keepalived; a group name that iproute2's group file lacks is logged "
               "when vigild creates the ipvlan, not reported by -t, and the ipvlan gets its "
               "parent's group")),
    List("unicast_peer"),
    Kw("unicast_fault_no_peer"),
    Kw("check_unicast_src"),
    Kw("old_unicast_checksum"),
    Kw("native_ipv6"),
    Kw("state"),
    Kw("interface"),
    Kw("vrf"),
    Kw("dont_track_primary"),
    List("track_interface"),
    List("track_script"),
    List("track_file"),
    List("track_process"),
    List("track_bfd"),
    Kw("mcast_src_ip"),
    Kw("unicast_src_ip"),
    Kw("mcast_dst_ip"),
    Kw("track_src_ip"),
    Kw("virtual_router_id"),
    Kw("unicast_ttl"),
    Kw("version"),
    Kw("priority"),
    Kw("advert_int"),
    List("virtual_ipaddress"),
    List("virtual_ipaddress_excluded"),
    Kw("promote_secondaries"),
    Kw("linkbeat_use_polling", kLinkbeatNotPlanned),
    List("virtual_routes"),
    List("virtual_rules"),
    Kw("accept"),
    Kw("no_accept"),
    Kw("skip_check_adv_addr"),
    Kw("strict_mode"),
    Kw("preempt"),
    Kw("nopreempt"),
    Kw("preempt_delay"),
    Kw("debug"),
    Kw("notify_backup"),
    Kw("notify_master"),
    Kw("notify_fault"),
    Kw("notify_stop"),
    Kw("notify_deleted"),
    Kw("notify"),
    Kw("notify_master_rx_lower_pri"),
    Kw("smtp_alert"),
    Kw("notify_priority_changes"),
    Kw("lvs_sync_daemon_interface",
       Differs("the old form of lvs_sync_daemon IF INSTANCE with sync id 0 (-t reports it "
               "deprecated, as keepalived); daemons as lvs_sync_daemon's")),
    Kw("garp_master_delay"),
    Kw("garp_master_refresh"),
    Kw("garp_master_repeat"),
    Kw("garp_master_refresh_repeat"),
    Kw("garp_lower_prio_delay"),
    Kw("garp_lower_prio_repeat"),
    Kw("down_timer_adverts"),
    Kw("garp_extra_if"),
    Alias("vmac_garp_intvl", "garp_extra_if"),
    Kw("lower_prio_no_advert"),
    Kw("higher_prio_send_advert"),
    Kw("kernel_rx_buf_size"),
    Block("authentication", kAuthenticationBlock),
    // Added by keepalived 2.3/2.4.
    Kw("no_virtual_ipaddress"),
    Kw("v3_checksum_as_v2"),
    Kw("timer_expired_backup"),
    Kw("thread_timer_expired"),
    Kw("owner_ignore_adverts",
       Differs("an explicit `owner_ignore_adverts false` on an owner is kept unless in strict "
               "mode; keepalived 2.4.3 reports an error and sets it in any mode")),
    Block("auth_hmac", kAuthHmacBlock,
          Differs("as keepalived 2.4: the same 28-byte trailer, HMAC-SHA256 and replay rules "
                  "(vigil_vrrp_packets_rejected_total counts auth_missing, auth_malformed, "
                  "auth_unknown_key, auth_bad_hmac, auth_stale, auth_replay). keepalived "
                  "2.2.7 does not know auth_hmac (its -t reports an unknown keyword and loses "
                  "the rest of the instance) and refuses signed adverts as too long: a vigil "
                  "that signs cannot share a VRID with it; mode receive-only (nothing "
                  "signed) can")),
};
constexpr BlockSchema kVrrpInstanceBlock("vrrp_instance", kVrrpInstanceKeywords);

constexpr KeywordSpec kVrrpScriptKeywords[] = {
    Kw("script"),
    Kw("interval"),
    Kw("timeout"),
    Kw("weight"),
    Kw("rise"),
    Kw("fall"),
    Kw("user"),
    Kw("init_fail"),
};
constexpr BlockSchema kVrrpScriptBlock("vrrp_script", kVrrpScriptKeywords);

constexpr KeywordSpec kVrrpTrackProcessKeywords[] = {
    Kw("process"),
    Kw("param_match"),
    Kw("weight"),
    Kw("quorum"),
    Kw("quorum_max"),
    Kw("delay"),
    Kw("terminate_delay"),
    Kw("fork_delay"),
    Kw("full_command"),
};
constexpr BlockSchema kVrrpTrackProcessBlock("vrrp_track_process", kVrrpTrackProcessKeywords);

constexpr KeywordSpec kBfdInstanceKeywords[] = {
    Kw("source_ip"),
    Kw("neighbor_ip"),
    Alias("neighbour_ip", "neighbor_ip"),
    Kw("min_rx"),
    Kw("min_tx"),
    Kw("idle_tx"),
    Kw("multiplier"),
    Kw("passive"),
    Kw("ttl"),
    Alias("hoplimit", "ttl"),
    Kw("max_hops"),
    Kw("weight"),
    Kw("vrrp"),
    Kw("checker"),
    Kw("multihop"),  // added by keepalived 2.4
};
constexpr BlockSchema kBfdInstanceBlock("bfd_instance", kBfdInstanceKeywords);

}  // namespace schema_internal
}  // namespace vigil::config
