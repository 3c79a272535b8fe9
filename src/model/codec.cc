#include "model/codec.h"

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace vigil::model {
namespace codec_detail {
// Converts to anything, in unevaluated checks only (never defined; outside the unnamed
// namespace so that its declarations need no definition).
struct AnyField {
  template <class T>
  operator T() const;  // NOLINT: implicit on purpose
};
}  // namespace codec_detail

namespace {
using codec_detail::AnyField;

// The format: kMagic, then the Config. Bump kVersion with any change of a Fields list.
constexpr std::string_view kMagic = "VGM";
constexpr uint8_t kVersion = 4;

// Returns how many fields aggregate T has: the most initializers T{...} takes from a value
// convertible to anything.
template <class T, size_t... I>
constexpr bool TakesInitializers(std::index_sequence<I...>) {
  return requires { T{(void(I), AnyField{})...}; };
}

template <class T, size_t N = 0>
constexpr size_t FieldCount() {
  if constexpr (TakesInitializers<T>(std::make_index_sequence<N + 1>()))
    return FieldCount<T, N + 1>();
  else
    return N;
}

// Each struct's fields, in declaration order (CheckSpec's and RealServer's in the order they
// had when the format was fixed; the structs have since been reordered to pack): the one
// description both the encoder and the decoder follow, so that no field is written but not
// read. VIGIL_FIELDS(T, fields...)
// defines Fields(v, x), which calls v(fields...); the build fails when the list does not
// name as many fields as T has (a field added to the model and not here).
#define VIGIL_FIELDS(T, ...)                                                             \
  template <class V>                                                                     \
  void Fields(V& v, T& x) {                                                              \
    static_assert(FieldCount<T>() == std::tuple_size_v<decltype(std::tie(__VA_ARGS__))>, \
                  #T ": the codec must list every field");                               \
    v(__VA_ARGS__);                                                                      \
  }
#define VIGIL_NO_FIELDS(T)                                                       \
  template <class V>                                                             \
  void Fields(V&, T&) {                                                          \
    static_assert(FieldCount<T>() == 0, #T ": the codec must list every field"); \
  }

VIGIL_FIELDS(SourceRef, x.file, x.line, x.column)
VIGIL_FIELDS(RawSetting, x.keyword, x.args, x.loc)
VIGIL_FIELDS(Script, x.command, x.user, x.group, x.program, x.real_program, x.loc)
VIGIL_FIELDS(NotifyFifo, x.path, x.script, x.user, x.group)
VIGIL_FIELDS(LvsSyncDaemon, x.interface, x.vrrp_instance, x.sync_id, x.maxlen, x.port, x.ttl,
             x.group, x.loc)
VIGIL_FIELDS(Conntrackd, x.config, x.follow, x.timeout, x.loc)
VIGIL_FIELDS(ProcessTuning, x.priority, x.no_swap, x.rt_priority, x.cpu_affinity, x.rlimit_rttime)
VIGIL_FIELDS(ReceiveBuffer, x.bytes, x.force)
VIGIL_FIELDS(
    Global, x.router_id, x.notification_email, x.notification_email_from, x.smtp_server,
    x.smtp_port, x.smtp_helo_name, x.smtp_connect_timeout, x.smtp_alert, x.smtp_alert_vrrp,
    x.smtp_alert_checker, x.checker_log_all_failures, x.enable_script_security,
    x.set_supplementary_groups, x.use_symlink_paths, x.script_user, x.script_group,
    x.script_user_loc, x.default_interface, x.dynamic_interfaces, x.vrrp_netlink_cmd_rcv_bufs,
    x.vrrp_netlink_monitor_rcv_bufs, x.process_monitor_rcv_bufs, x.lvs_netlink_cmd_rcv_bufs,
    x.lvs_netlink_monitor_rcv_bufs, x.vrrp_rx_bufs_policy, x.vrrp_rx_bufs_size,
    x.vrrp_rx_bufs_multiplier, x.vrrp_strict, x.vrrp_skip_check_adv_addr, x.vrrp_check_unicast_src,
    x.v3_checksum_as_v2, x.vrrp_version, x.vrrp_mcast_group4, x.vrrp_mcast_group6,
    x.vrrp_garp_interval, x.vrrp_gna_interval, x.vrrp_garp_master_delay, x.vrrp_garp_master_repeat,
    x.vrrp_garp_master_refresh, x.vrrp_garp_master_refresh_repeat, x.vrrp_garp_lower_prio_delay,
    x.vrrp_garp_lower_prio_repeat, x.vrrp_lower_prio_no_advert, x.vrrp_higher_prio_send_advert,
    x.vrrp_min_garp, x.vrrp_notify_priority_changes, x.vrrp_down_timer_adverts, x.vrrp_startup_delay, x.vrrp_delay_after_boot,
    x.vrrp_owner_ignore_adverts, x.iproute_etc_dir, x.iproute_usr_dir, x.disable_local_igmp,
    x.vrrp_iptables, x.nftables, x.nftables_priority, x.nftables_ifindex, x.nftables_counters,
    x.nftables_ipvs, x.nftables_ipvs_priority, x.nftables_ipvs_start_fwmark, x.vrrp_tuning,
    x.checker_tuning, x.max_auto_priority, x.min_auto_priority_delay, x.bfd_tuning, x.notify_fifo,
    x.vrrp_notify_fifo, x.lvs_notify_fifo, x.startup_script, x.startup_script_timeout,
    x.shutdown_script, x.shutdown_script_timeout, x.umask, x.process_name, x.vrrp_process_name,
    x.checker_process_name, x.bfd_process_name, x.random_seed, x.lvs_sync_daemon, x.lvs_timeout_tcp,
    x.lvs_timeout_tcpfin, x.lvs_timeout_udp, x.lvs_flush, x.lvs_flush_on_stop, x.conntrackd,
    x.announce_table, x.announce_vty_socket, x.announce_table_loc, x.enable_traps, x.enable_dbus,
    x.enable_snmp_vrrp, x.enable_snmp_checker, x.state_dump_file, x.stats_dump_file,
    x.json_dump_file, x.data_use_instance, x.json_version, x.other)
VIGIL_FIELDS(VrrpScript, x.name, x.command, x.interval, x.timeout, x.weight, x.weight_reverse,
             x.rise, x.fall, x.user, x.group, x.init_fail, x.program, x.real_program, x.missing,
             x.loc, x.command_loc)
VIGIL_FIELDS(TrackFile, x.name, x.path, x.weight, x.weight_reverse, x.init_value, x.init_file,
             x.init_overwrite, x.loc)
VIGIL_FIELDS(TrackProcess, x.name, x.process, x.parameters, x.param_match, x.weight,
             x.weight_reverse, x.quorum, x.quorum_max, x.fork_delay, x.terminate_delay,
             x.full_command, x.loc)
VIGIL_FIELDS(BfdInstance, x.name, x.neighbor_ip, x.source_ip, x.min_rx, x.min_tx, x.idle_tx,
             x.multiplier, x.passive, x.ttl, x.max_hops, x.multihop, x.weight, x.weight_reverse,
             x.vrrp, x.checker, x.loc)
VIGIL_FIELDS(TrackedInterface, x.name, x.weight, x.reverse, x.loc)
VIGIL_FIELDS(TrackedRef, x.name, x.weight, x.reverse, x.loc, x.noreverse)
VIGIL_FIELDS(HmacKey, x.id, x.secret, x.file, x.loc)
VIGIL_FIELDS(AuthHmac, x.keys, x.active_key, x.mode, x.anti_replay_time, x.time_window, x.loc)
VIGIL_FIELDS(VirtualAddress, x.prefix, x.broadcast, x.dev, x.scope, x.label, x.no_track,
             x.track_group, x.other, x.loc)
VIGIL_FIELDS(RouteOrRule, x.words, x.family, x.track_group, x.loc)
VIGIL_FIELDS(UnicastPeer, x.address, x.min_ttl, x.max_ttl, x.loc)
VIGIL_FIELDS(VrrpNotify, x.master, x.backup, x.fault, x.stop, x.deleted, x.master_rx_lower_pri,
             x.generic)
VIGIL_FIELDS(UseIpvlan, x.name, x.address, x.mode)
VIGIL_FIELDS(VrrpInstance, x.name, x.initial_state, x.interface, x.virtual_router_id, x.priority,
             x.advert_int, x.version, x.family, x.virtual_ipaddress, x.virtual_ipaddress_excluded,
             x.virtual_routes, x.virtual_rules, x.auth_type, x.auth_pass, x.auth_hmac, x.nopreempt,
             x.preempt_delay, x.accept, x.strict_mode, x.skip_check_adv_addr, x.dont_track_primary,
             x.promote_secondaries, x.no_virtual_ipaddress, x.owner_ignore_adverts,
             x.track_interface, x.track_script, x.track_file, x.track_process, x.track_bfd,
             x.mcast_src_ip, x.unicast_src_ip, x.mcast_dst_ip, x.track_src_ip, x.unicast_peer,
             x.unicast_ttl, x.unicast_fault_no_peer, x.check_unicast_src, x.old_unicast_checksum,
             x.v3_checksum_as_v2, x.use_vmac, x.vmac_mac, x.vmac_mac_vrid, x.vmac_group,
             x.vmac_xmit_base, x.use_vmac_addr, x.use_ipvlan, x.vrf, x.notify, x.smtp_alert,
             x.notify_priority_changes, x.garp_master_delay, x.garp_master_repeat,
             x.garp_master_refresh, x.garp_master_refresh_repeat, x.garp_lower_prio_delay,
             x.garp_lower_prio_repeat, x.lower_prio_no_advert, x.higher_prio_send_advert,
             x.down_timer_adverts, x.debug, x.kernel_rx_buf_size, x.timer_expired_backup, x.other,
             x.loc)
VIGIL_FIELDS(SyncGroup, x.name, x.members, x.track_interface, x.track_script, x.track_file,
             x.track_process, x.track_bfd, x.notify, x.smtp_alert, x.global_tracking,
             x.sync_group_tracking_weight, x.notify_priority_changes, x.loc)
VIGIL_FIELDS(StaticTrackGroup, x.name, x.members, x.loc)
VIGIL_FIELDS(UpDownDelay, x.interface, x.down, x.up, x.loc)
VIGIL_FIELDS(GarpGroup, x.garp_interval, x.gna_interval, x.interfaces, x.loc)
VIGIL_FIELDS(Forwarding, x.method, x.tunnel_type, x.tunnel_port, x.tunnel_checksum)
VIGIL_FIELDS(StatusRange, x.low, x.high)
VIGIL_FIELDS(Url, x.path, x.digest, x.status_codes, x.virtualhost, x.regex, x.regex_no_match,
             x.regex_options, x.regex_min_offset, x.regex_max_offset, x.regex_stack_start,
             x.regex_stack_max, x.tls_compliant, x.loc)
VIGIL_NO_FIELDS(TcpCheck)
VIGIL_FIELDS(HttpCheck, x.ssl, x.urls, x.http_protocol, x.virtualhost, x.enable_sni, x.sni_name,
             x.fast_recovery, x.tls_compliant)
VIGIL_FIELDS(MiscCheck, x.path, x.timeout, x.dynamic)
VIGIL_FIELDS(SmtpCheck, x.helo_name)
VIGIL_FIELDS(DnsCheck, x.type, x.name)
VIGIL_FIELDS(UdpCheck, x.payload, x.require_reply, x.reply, x.min_reply_length, x.max_reply_length)
VIGIL_NO_FIELDS(PingCheck)
VIGIL_FIELDS(FileCheck, x.track_file, x.weight, x.reverse)
VIGIL_FIELDS(BfdCheck, x.name, x.weight, x.reverse)
VIGIL_FIELDS(CheckSpec, x.connect_ip, x.connect_port, x.bindto, x.bind_if, x.bind_port, x.fwmark,
             x.connect_timeout, x.retry, x.delay_before_retry, x.delay_loop, x.warmup, x.alpha,
             x.log_all_failures, x.detail, x.loc)
VIGIL_FIELDS(RealServer, x.address, x.port, x.weight, x.forwarding, x.uthreshold, x.lthreshold,
             x.inhibit_on_failure, x.alpha, x.smtp_alert, x.connect_timeout, x.delay_loop, x.retry,
             x.delay_before_retry, x.warmup, x.virtualhost, x.notify_up, x.notify_down, x.checks,
             x.loc)
VIGIL_FIELDS(SorryServer, x.address, x.port, x.inhibit, x.forwarding, x.loc)
VIGIL_FIELDS(VsgEntry, x.address, x.range_end, x.port, x.fwmark, x.fwmark_family, x.loc)
VIGIL_FIELDS(VirtualServerGroup, x.name, x.entries, x.loc)
VIGIL_FIELDS(VirtualServer, x.address, x.port, x.fwmark, x.group, x.family, x.protocol, x.scheduler,
             x.forwarding, x.ops, x.hashed, x.sched_flag_1, x.sched_flag_2, x.sched_flag_3,
             x.persistence_timeout, x.persistence_granularity, x.persistence_engine, x.ha_suspend,
             x.smtp_alert, x.virtualhost, x.alpha, x.omega, x.quorum, x.hysteresis, x.quorum_up,
             x.quorum_down, x.weight, x.inhibit_on_failure, x.delay_loop, x.connect_timeout,
             x.retry, x.delay_before_retry, x.warmup, x.sorry_server, x.real_servers,
             x.announce_with, x.announce_with_loc, x.loc)
VIGIL_FIELDS(SslConfig, x.password, x.ca, x.certificate, x.key, x.loc)
VIGIL_FIELDS(Config, x.global, x.net_namespace, x.net_namespace_loc, x.net_namespace_ipvs,
             x.net_namespace_ipvs_loc, x.instance, x.use_pid_dir, x.child_wait_time,
             x.linkbeat_use_polling, x.vrrp_scripts, x.track_files, x.track_processes,
             x.bfd_instances, x.vrrp_instances, x.sync_groups, x.static_addresses, x.static_routes,
             x.static_rules, x.garp_groups, x.track_groups, x.interface_up_down_delays,
             x.linkbeat_interfaces, x.virtual_server_groups, x.virtual_servers, x.ssl)

#undef VIGIL_FIELDS
#undef VIGIL_NO_FIELDS

// The last value of each enum the model holds (they are contiguous from 0).
constexpr int Last(RxBufsPolicy) { return static_cast<int>(RxBufsPolicy::kSize); }
constexpr int Last(LvsFlushOnStop) { return static_cast<int>(LvsFlushOnStop::kVs); }
constexpr int Last(ParamMatch) { return static_cast<int>(ParamMatch::kInitial); }
constexpr int Last(VrrpState) { return static_cast<int>(VrrpState::kMaster); }
constexpr int Last(AuthType) { return static_cast<int>(AuthType::kAh); }
constexpr int Last(HmacMode) { return static_cast<int>(HmacMode::kReceiveOnly); }
constexpr int Last(OldUnicastChecksum) { return static_cast<int>(OldUnicastChecksum::kOld); }
constexpr int Last(IpvlanMode) { return static_cast<int>(IpvlanMode::kVepa); }
constexpr int Last(Protocol) { return static_cast<int>(Protocol::kSctp); }
constexpr int Last(LbKind) { return static_cast<int>(LbKind::kTun); }
constexpr int Last(TunnelType) { return static_cast<int>(TunnelType::kGre); }
constexpr int Last(TunnelChecksum) { return static_cast<int>(TunnelChecksum::kRemCsum); }
constexpr int Last(Scheduler) { return static_cast<int>(Scheduler::kTwos); }
constexpr int Last(HttpProtocol) { return static_cast<int>(HttpProtocol::k11); }

bool ValidFamily(uint64_t f) {
  return f == static_cast<uint64_t>(Family::kUnspec) || f == static_cast<uint64_t>(Family::kIpv4) ||
         f == static_cast<uint64_t>(Family::kIpv6);
}

template <class T>
concept Described = std::is_class_v<T> && requires(T& x, int& v) {
  Fields(v, x);
};

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsOptional<HeapOptional<T>> : std::true_type {};

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

class Writer {
 public:
  // Appends to `out`; the bytes are there once the writer is gone (it writes into room
  // it reserves ahead, a chunk at a time, and trims the room it did not use at the end).
  explicit Writer(std::string& out) : out_(out), used_(out.size()) {}
  ~Writer() { out_.resize(used_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  template <class... T>
  void operator()(T&... fields) {
    (Put(fields), ...);
  }

  void Put(bool b) {
    Room(1);
    out_[used_++] = b ? 1 : 0;
  }
  template <std::unsigned_integral T>
  void Put(T v) {
    Varint(v);
  }
  template <std::signed_integral T>
  void Put(T v) {
    Varint(ZigZag(v));
  }
  template <class E>
  requires std::is_enum_v<E>
  void Put(E e) { Varint(static_cast<uint64_t>(e)); }
  void Put(Duration d) { Put(static_cast<int64_t>(d.count())); }
  void Put(const std::string& s) { Bytes(s.data(), s.size()); }
  void Put(const std::vector<uint8_t>& b) { Bytes(b.data(), b.size()); }
  void Put(const std::array<uint8_t, 6>& a) { Raw(a.data(), a.size()); }
  void Put(const IpAddress& a) {
    Put(a.family());
    if (!a.is_unspec()) Raw(a.bytes().data(), a.is_v4() ? 4 : 16);
  }
  void Put(const IpPrefix& p) { (*this)(p.address, p.length); }
  template <class T>
  requires IsOptional<T>::value void Put(const T& o) {
    Put(o.has_value());
    if (o.has_value()) Put(*o);
  }
  template <class T>
  void Put(const std::vector<T>& v) {
    Varint(v.size());
    for (const T& x : v) Put(x);
  }
  template <class... T>
  void Put(const std::variant<T...>& v) {
    Varint(v.index());
    std::visit([this](const auto& x) { this->Put(x); }, v);
  }
  void Put(const CheckDetail& d) {
    Varint(d.index());
    d.visit([this](const auto& x) { this->Put(x); });
  }
  // The visit only reads: Fields takes its struct mutable for the decoder's sake.
  template <Described T>
  void Put(const T& x) {
    Fields(*this, const_cast<T&>(x));
  }

 private:
  // A byte at a time into std::string (push_back, a call each) was half of the encoding's
  // time at 37,000 real servers.
  static constexpr size_t kChunk = 64 * 1024;

  // Makes room for `n` more bytes after used_.
  void Room(size_t n) {
    if (out_.size() - used_ >= n) return;
    out_.resize(std::max(out_.size() * 2, used_ + n + kChunk));
  }
  // Inlined: millions of calls a large model, a call each cost as much as the work.
  [[gnu::always_inline]] void Varint(uint64_t v) {
    Room(10);
    char* p = out_.data() + used_;
    while (v >= 0x80) {
      *p++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<char>(v);
    used_ = static_cast<size_t>(p - out_.data());
  }
  void Raw(const void* data, size_t n) {
    Room(n);
    if (n != 0) std::memcpy(out_.data() + used_, data, n);
    used_ += n;
  }
  void Bytes(const void* data, size_t n) {
    Varint(n);
    Raw(data, n);
  }

  std::string& out_;
  size_t used_;  // bytes written; out_ beyond them is room
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool failed() const { return failed_; }
  size_t left() const { return in_.size() - pos_; }
  const std::string& why() const { return why_; }

  template <class... T>
  void operator()(T&... fields) {
    (Get(fields), ...);
  }

  void Get(bool& b) {
    uint64_t v = Varint();
    if (v > 1) return Fail("a bool is neither 0 nor 1");
    b = v == 1;
  }
  template <std::unsigned_integral T>
  void Get(T& x) {
    uint64_t v = Varint();
    if (v > std::numeric_limits<T>::max()) return Fail("an integer is out of its range");
    x = static_cast<T>(v);
  }
  template <std::signed_integral T>
  void Get(T& x) {
    int64_t v = UnZigZag(Varint());
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
      return Fail("an integer is out of its range");
    x = static_cast<T>(v);
  }
  void Get(Family& f) {
    uint64_t v = Varint();
    if (!ValidFamily(v)) return Fail("an address family is unknown");
    f = static_cast<Family>(v);
  }
  template <class E>
  requires std::is_enum_v<E>
  void Get(E& e) {
    uint64_t v = Varint();
    if (v > static_cast<uint64_t>(Last(E{}))) return Fail("an enum value is out of range");
    e = static_cast<E>(v);
  }
  void Get(Duration& d) {
    int64_t v = 0;
    Get(v);
    d = Duration(v);
  }
  void Get(std::string& s) {
    size_t n = Length(1);
    if (failed_) return;
    s.assign(in_.data() + pos_, n);
    pos_ += n;
  }
  void Get(std::vector<uint8_t>& b) {
    size_t n = Length(1);
    if (failed_) return;
    b.assign(in_.data() + pos_, in_.data() + pos_ + n);
    pos_ += n;
  }
  void Get(std::array<uint8_t, 6>& a) { Raw(a.data(), a.size()); }
  void Get(IpAddress& a) {
    Family f = Family::kUnspec;
    Get(f);
    if (failed_) return;
    std::array<uint8_t, 16> bytes{};
    if (f == Family::kIpv4) {
      Raw(bytes.data(), 4);
      a = IpAddress::V4(uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 |
                        uint32_t{bytes[2]} << 8 | bytes[3]);
    } else if (f == Family::kIpv6) {
      Raw(bytes.data(), 16);
      a = IpAddress::V6(bytes);
    } else {
      a = IpAddress();
    }
  }
  void Get(IpPrefix& p) {
    (*this)(p.address, p.length);
    if (!failed_ && p.length > IpPrefix::MaxLength(p.address.family()))
      Fail("a prefix length is out of range");
  }
  template <class T>
  void Get(std::optional<T>& o) {
    bool present = false;
    Get(present);
    if (failed_ || !present) return o.reset();
    Get(o.emplace());
  }
  template <class T>
  void Get(HeapOptional<T>& o) {
    std::optional<T> value;
    Get(value);
    o = std::move(value);
  }
  template <class T>
  void Get(std::vector<T>& v) {
    // Every element takes a byte at least: a count beyond what is left is corrupt, and
    // never reserved.
    size_t n = Length(1);
    v.clear();
    if (failed_) return;
    v.reserve(n);
    for (size_t i = 0; i < n && !failed_; ++i) Get(v.emplace_back());
  }
  template <class... T>
  void Get(std::variant<T...>& v) {
    uint64_t index = Varint();
    if (failed_) return;
    if (index >= sizeof...(T)) return Fail("a variant's alternative is unknown");
    EmplaceAt(v, index, std::index_sequence_for<T...>());
    std::visit([this](auto& x) { this->Get(x); }, v);
  }
  void Get(CheckDetail& d) {
    uint64_t index = Varint();
    if (failed_) return;
    if (index >= std::tuple_size_v<CheckDetail::Kinds>)
      return Fail("a variant's alternative is unknown");
    GetKindAt(d, index, std::make_index_sequence<std::tuple_size_v<CheckDetail::Kinds>>());
  }
  template <Described T>
  void Get(T& x) {
    if (!failed_) Fields(*this, x);
  }

 private:
  template <size_t... I>
  void GetKindAt(CheckDetail& d, uint64_t index, std::index_sequence<I...>) {
    ((index == I ? (GetKind<std::tuple_element_t<I, CheckDetail::Kinds>>(d), 0) : 0), ...);
  }
  template <class K>
  void GetKind(CheckDetail& d) {
    K kind;
    Get(kind);
    d = std::move(kind);
  }
  template <class V, size_t... I>
  static void EmplaceAt(V& v, uint64_t index, std::index_sequence<I...>) {
    ((index == I ? (v.template emplace<I>(), 0) : 0), ...);
  }

  void Fail(const char* why) {
    if (!failed_) why_ = why;
    failed_ = true;
    pos_ = in_.size();  // nothing more is read
  }
  [[gnu::always_inline]] uint64_t Varint() {
    if (pos_ < in_.size() && !(static_cast<uint8_t>(in_[pos_]) & 0x80))  // one byte: most
      return static_cast<uint8_t>(in_[pos_++]);
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) {
        Fail("truncated");
        return 0;
      }
      const auto byte = static_cast<uint8_t>(in_[pos_++]);
      if (shift == 63 && byte > 1) break;
      v |= uint64_t{byte & 0x7fu} << shift;
      if (!(byte & 0x80)) return v;
    }
    Fail("a varint is too long");
    return 0;
  }
  // Returns a count of items of at least `unit` bytes each, if that many bytes are left.
  size_t Length(size_t unit) {
    uint64_t n = Varint();
    if (failed_) return 0;
    if (n > left() / unit) {
      Fail("a length runs past the end");
      return 0;
    }
    return static_cast<size_t>(n);
  }
  void Raw(uint8_t* out, size_t n) {
    if (failed_) return;
    if (left() < n) return Fail("truncated");
    std::copy_n(in_.data() + pos_, n, out);
    pos_ += n;
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool failed_ = false;
  std::string why_;
};

}  // namespace

std::string EncodeConfig(const Config& config) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(kVersion));
  {
    Writer w(out);
    w.Put(config);
  }
  return out;
}

Result<Config> DecodeConfig(std::string_view bytes) {
  if (bytes.size() < kMagic.size() + 1 || bytes.substr(0, kMagic.size()) != kMagic)
    return Fail(ErrorCode::kParse, "not an encoded model");
  if (static_cast<uint8_t>(bytes[kMagic.size()]) != kVersion)
    return Fail(ErrorCode::kParse, "an encoded model of another version");
  Reader r(bytes.substr(kMagic.size() + 1));
  Config config;
  r.Get(config);
  if (r.failed()) return Fail(ErrorCode::kParse, "encoded model: " + r.why());
  if (r.left() != 0) return Fail(ErrorCode::kParse, "encoded model: trailing bytes");
  return config;
}

}  // namespace vigil::model
