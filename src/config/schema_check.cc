// Load-balancing blocks: SSL, virtual_server, real_server and the checkers.
// Tables list keywords in the order keepalived 2.2.7 installs them.
#include "config/schema.h"

namespace vigil::config {
namespace schema_internal {
namespace {

constexpr Status kSnmpName = NotPlanned(
    "a name for SNMP, which vigil does not offer: its Prometheus metrics and vigilctl "
    "name virtual and real servers by address");

}  // namespace

constexpr KeywordSpec kSslKeywords[] = {
    Kw("password"),
    Kw("ca"),
    Kw("certificate"),
    Kw("key"),
};
constexpr BlockSchema kSslBlock("SSL", kSslKeywords);

constexpr KeywordSpec kMiscCheckKeywords[] = {
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("delay_loop"),
    Kw("alpha"),
    Kw("log_all_failures"),
    Kw("misc_path"),
    Kw("misc_timeout"),
    Kw("misc_dynamic"),
    Kw("user"),
};
constexpr BlockSchema kMiscCheckBlock("virtual_server/real_server/MISC_CHECK", kMiscCheckKeywords);

constexpr KeywordSpec kSmtpCheckHostKeywords[] = {
    Kw("connect_ip"),
    Kw("connect_port"),
    Kw("bindto"),
    Kw("bind_port"),
    Kw("bind_if"),
    Kw("connect_timeout"),
    Kw("fwmark"),
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("delay_loop"),
    Kw("alpha"),
    Kw("log_all_failures"),
};
constexpr BlockSchema kSmtpCheckHostBlock("virtual_server/real_server/SMTP_CHECK/host", kSmtpCheckHostKeywords);

constexpr KeywordSpec kSmtpCheckKeywords[] = {
    Kw("helo_name"),
    Kw("connect_ip"),
    Kw("connect_port"),
    Kw("bindto"),
    Kw("bind_port"),
    Kw("bind_if"),
    Kw("connect_timeout"),
    Kw("fwmark"),
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("delay_loop"),
    Kw("alpha"),
    Kw("log_all_failures"),
    Block("host", kSmtpCheckHostBlock),
};
constexpr BlockSchema kSmtpCheckBlock("virtual_server/real_server/SMTP_CHECK", kSmtpCheckKeywords);

constexpr KeywordSpec kTcpCheckKeywords[] = {
    Kw("connect_ip"),
    Kw("connect_port"),
    Kw("bindto"),
    Kw("bind_port"),
    Kw("bind_if"),
    Kw("connect_timeout"),
    Kw("fwmark"),
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("delay_loop"),
    Kw("alpha"),
    Kw("log_all_failures"),
};
constexpr BlockSchema kTcpCheckBlock("virtual_server/real_server/TCP_CHECK", kTcpCheckKeywords);

constexpr KeywordSpec kPingCheckKeywords[] = {
    Kw("connect_ip"),
    Kw("connect_port"),
    Kw("bindto"),
    Kw("bind_port"),
    Kw("bind_if"),
    Kw("connect_timeout"),
    Kw("fwmark"),
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("delay_loop"),
    Kw("alpha"),
    Kw("log_all_failures"),
};
constexpr BlockSchema kPingCheckBlock("virtual_server/real_server/PING_CHECK", kPingCheckKeywords);

constexpr KeywordSpec kUdpCheckKeywords[] = {
    Kw("connect_ip"),
    Kw("connect_port"),
    Kw("bindto"),
    Kw("bind_port"),
    Kw("bind_if"),
    Kw("connect_timeout"),
    Kw("fwmark"),
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("delay_loop"),
    Kw("alpha"),
    Kw("log_all_failures"),
    Kw("payload"),
    Kw("require_reply"),
    Kw("min_reply_length"),
    Kw("max_reply_length"),
};
constexpr BlockSchema kUdpCheckBlock("virtual_server/real_server/UDP_CHECK", kUdpCheckKeywords);

constexpr KeywordSpec kHttpGetUrlKeywords[] = {
    Kw("path"),
    Kw("digest"),
    Kw("status_code"),
    Kw("virtualhost"),
    Kw("regex"),
    Kw("regex_no_match"),
    Kw("regex_options"),
    Kw("regex_min_offset"),
    Kw("regex_max_offset"),
    Kw("regex_stack"),
};
constexpr BlockSchema kHttpGetUrlBlock("virtual_server/real_server/HTTP_GET/url", kHttpGetUrlKeywords);

constexpr KeywordSpec kHttpGetKeywords[] = {
    Kw("connect_ip"),
    Kw("connect_port"),
    Kw("bindto"),
    Kw("bind_port"),
    Kw("bind_if"),
    Kw("connect_timeout"),
    Kw("fwmark"),
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("delay_loop"),
    Kw("alpha"),
    Kw("log_all_failures"),
    Alias("nb_get_retry", "retry"),
    Kw("virtualhost"),
    Kw("http_protocol"),
    Kw("enable_sni"),
    Kw("fast_recovery"),
    Block("url", kHttpGetUrlBlock),
    Kw("sni_name"),  // keepalived's master after v2.4.3
};
constexpr BlockSchema kHttpGetBlock("virtual_server/real_server/HTTP_GET", kHttpGetKeywords);

// SSL_GET's url{} takes HTTP_GET's keywords and tls_compliant (keepalived 2.4).
constexpr KeywordSpec kSslGetUrlKeywords[] = {
    Kw("path"),
    Kw("digest"),
    Kw("status_code"),
    Kw("virtualhost"),
    Kw("regex"),
    Kw("regex_no_match"),
    Kw("regex_options"),
    Kw("regex_min_offset"),
    Kw("regex_max_offset"),
    Kw("regex_stack"),
    Kw("tls_compliant"),
};
constexpr BlockSchema kSslGetUrlBlock("virtual_server/real_server/SSL_GET/url", kSslGetUrlKeywords);

constexpr KeywordSpec kSslGetKeywords[] = {
    Kw("connect_ip"),
    Kw("connect_port"),
    Kw("bindto"),
    Kw("bind_port"),
    Kw("bind_if"),
    Kw("connect_timeout"),
    Kw("fwmark"),
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("delay_loop"),
    Kw("alpha"),
    Kw("log_all_failures"),
    Alias("nb_get_retry", "retry"),
    Kw("virtualhost"),
    Kw("http_protocol"),
    Kw("enable_sni"),
    Kw("fast_recovery"),
    Block("url", kSslGetUrlBlock),
    Kw("tls_compliant"),  // keepalived 2.4
    Kw("sni_name"),       // keepalived's master after v2.4.3
};
constexpr BlockSchema kSslGetBlock("virtual_server/real_server/SSL_GET", kSslGetKeywords);

constexpr KeywordSpec kDnsCheckKeywords[] = {
    Kw("connect_ip"),
    Kw("connect_port"),
    Kw("bindto"),
    Kw("bind_port"),
    Kw("bind_if"),
    Kw("connect_timeout"),
    Kw("fwmark"),
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("delay_loop"),
    Kw("alpha"),
    Kw("log_all_failures"),
    Kw("type"),
    Kw("name"),
};
constexpr BlockSchema kDnsCheckBlock("virtual_server/real_server/DNS_CHECK", kDnsCheckKeywords);

constexpr KeywordSpec kFileCheckKeywords[] = {
    Kw("track_file"),
    Kw("weight"),
};
constexpr BlockSchema kFileCheckBlock("virtual_server/real_server/FILE_CHECK", kFileCheckKeywords);

constexpr KeywordSpec kBfdCheckKeywords[] = {
    Kw("name"),
    Kw("alpha"),
};
constexpr BlockSchema kBfdCheckBlock("virtual_server/real_server/BFD_CHECK", kBfdCheckKeywords);

constexpr KeywordSpec kRealServerKeywords[] = {
    Kw("weight"),
    Kw("lvs_method"),
    Kw("uthreshold"),
    Kw("lthreshold"),
    Kw("inhibit_on_failure"),
    Kw("notify_up"),
    Kw("notify_down"),
    Kw("alpha"),
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("connect_timeout"),
    Kw("delay_loop"),
    Kw("smtp_alert"),
    Kw("virtualhost"),
    Kw("snmp_name", kSnmpName),
    Block("MISC_CHECK", kMiscCheckBlock),
    Block("SMTP_CHECK", kSmtpCheckBlock),
    Block("TCP_CHECK", kTcpCheckBlock),
    Block("PING_CHECK", kPingCheckBlock),
    Block("UDP_CHECK", kUdpCheckBlock),
    Block("HTTP_GET", kHttpGetBlock),
    Block("SSL_GET", kSslGetBlock),
    Block("DNS_CHECK", kDnsCheckBlock),
    Block("FILE_CHECK", kFileCheckBlock),
    Block("BFD_CHECK", kBfdCheckBlock),
};
constexpr BlockSchema kRealServerBlock("virtual_server/real_server", kRealServerKeywords);

constexpr KeywordSpec kVirtualServerKeywords[] = {
    Kw("ip_family"),
    Kw("retry"),
    Kw("delay_before_retry"),
    Kw("warmup"),
    Kw("connect_timeout"),
    Kw("delay_loop"),
    Kw("inhibit_on_failure"),
    Alias("lb_algo", "lvs_sched"),
    Kw("lvs_sched"),
    Kw("hashed"),
    Kw("ops"),
    Kw("flag-1"),
    Kw("flag-2"),
    Kw("flag-3"),
    Kw("sh-port"),
    Kw("sh-fallback"),
    Kw("mh-port"),
    Kw("mh-fallback", Differs("with the nftables backend it has nothing to do: the Maglev "
                              "table holds only real servers with a weight, and connection "
                              "thresholds are refused, so no lookup finds one unavailable")),
    Alias("lb_kind", "lvs_method"),
    Kw("lvs_method"),
    Kw("persistence_engine", Differs("IPVS backend only: the nftables backend refuses a "
                                     "virtual server that names one")),
    Kw("persistence_timeout"),
    Kw("persistence_granularity"),
    Kw("protocol"),
    Kw("ha_suspend", Differs("a virtual server of a virtual_server_group is suspended while "
                             "none of the group's addresses or address ranges is local "
                             "(keepalived 2.2.7 never finds them and suspends its checkers for "
                             "ever); one a reload adds starts from the addresses local then "
                             "(keepalived's from none); an address announced again (IPv6 "
                             "once duplicate address detection ends) counts once, where "
                             "keepalived counts every announcement and its checkers stay "
                             "active once it is gone); the result of a check under way when "
                             "the suspension comes is dropped (keepalived applies it)")),
    Kw("smtp_alert"),
    Kw("virtualhost"),
    Kw("snmp_name", kSnmpName),
    Kw("alpha"),
    Kw("omega"),
    Kw("quorum_up"),
    Kw("quorum_down"),
    Kw("quorum"),
    Kw("hysteresis"),
    Kw("weight"),
    Kw("sorry_server"),
    Kw("sorry_server_inhibit"),
    Kw("sorry_server_lvs_method"),
    Block("real_server", kRealServerBlock),
    // vigil's own (keepalived does not know it).
    Kw("vigil_announce_with"),  // VRRP_INSTANCE: announce only while it is MASTER
};
constexpr BlockSchema kVirtualServerBlock("virtual_server", kVirtualServerKeywords);

}  // namespace schema_internal
}  // namespace vigil::config
