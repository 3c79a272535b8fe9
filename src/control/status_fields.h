// The fields of the status structs as JSON names them: the one list that both the writer
// (ToJson, status_json.cc) and the reader (FromJson, status_read.cc) walk. Each struct's
// fields are listed sorted by name, the order nlohmann::json's std::map gave them and in
// which they are written (checked at compile time below).
#ifndef VIGIL_CONTROL_STATUS_FIELDS_H_
#define VIGIL_CONTROL_STATUS_FIELDS_H_

#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "control/status.h"

namespace vigil::control {

// One member of T, as JSON names it.
template <typename T, typename M>
struct Field {
  std::string_view name;
  M T::*member;
};
// (Spelled out for clang 16, the fuzz build's, which deduces no aggregate's arguments.)
template <typename T, typename M>
Field(std::string_view, M T::*) -> Field<T, M>;

// FieldsOf<T>::kList: the tuple of T's Fields, sorted by name.
template <typename T>
struct FieldsOf;

template <>
struct FieldsOf<InstanceStatus> {
  using T = InstanceStatus;
  static constexpr std::tuple kList{
      Field{"advert_interval_s", &T::advert_interval_s},
      Field{"adverts_received", &T::adverts_received},
      Field{"adverts_sent", &T::adverts_sent},
      Field{"base_priority", &T::base_priority},
      Field{"became_master", &T::became_master},
      Field{"debug", &T::debug},
      Field{"effective_priority", &T::effective_priority},
      Field{"family", &T::family},
      Field{"fault_reason", &T::fault_reason},
      Field{"hold", &T::hold},
      Field{"interface", &T::interface},
      Field{"master_address", &T::master_address},
      Field{"name", &T::name},
      Field{"priority_zero_received", &T::priority_zero_received},
      Field{"priority_zero_sent", &T::priority_zero_sent},
      Field{"rejected", &T::rejected},
      Field{"runtime_priority", &T::runtime_priority},
      Field{"state", &T::state},
      Field{"transitions", &T::transitions},
      Field{"version", &T::version},
      Field{"vips", &T::vips},
      Field{"vrid", &T::vrid},
  };
};

template <>
struct FieldsOf<RealServerStatus> {
  using T = RealServerStatus;
  static constexpr std::tuple kList{
      Field{"address", &T::address},
      Field{"admin", &T::admin},
      Field{"admin_weight", &T::admin_weight},
      Field{"check_running_s", &T::check_running_s},
      Field{"checks_failed", &T::checks_failed},
      Field{"checks_ok", &T::checks_ok},
      Field{"config_weight", &T::config_weight},
      Field{"drain_left_s", &T::drain_left_s},
      Field{"last_check_latency_s", &T::last_check_latency_s},
      Field{"up", &T::up},
      Field{"weight", &T::weight},
  };
};

template <>
struct FieldsOf<VirtualServerStatus> {
  using T = VirtualServerStatus;
  static constexpr std::tuple kList{
      Field{"checkers_suspended", &T::checkers_suspended},
      Field{"live_weight", &T::live_weight}, Field{"name", &T::name},
      Field{"quorum_up", &T::quorum_up},     Field{"real_servers", &T::real_servers},
      Field{"scheduler", &T::scheduler},     Field{"sorry_server_active", &T::sorry_server_active},
  };
};

template <>
struct FieldsOf<BfdSessionStatus> {
  using T = BfdSessionStatus;
  static constexpr std::tuple kList{
      Field{"detection_time_s", &T::detection_time_s},
      Field{"diag", &T::diag},
      Field{"down_transitions", &T::down_transitions},
      Field{"local_discriminator", &T::local_discriminator},
      Field{"multihop", &T::multihop},
      Field{"name", &T::name},
      Field{"neighbor", &T::neighbor},
      Field{"packets_received", &T::packets_received},
      Field{"packets_sent", &T::packets_sent},
      Field{"remote_discriminator", &T::remote_discriminator},
      Field{"remote_state", &T::remote_state},
      Field{"source", &T::source},
      Field{"state", &T::state},
      Field{"tx_interval_s", &T::tx_interval_s},
      Field{"up_transitions", &T::up_transitions},
  };
};

template <>
struct FieldsOf<FrrPeerStatus> {
  using T = FrrPeerStatus;
  static constexpr std::tuple kList{
      Field{"address", &T::address},
      Field{"advertised", &T::advertised},
      Field{"bfd", &T::bfd},
      Field{"prefixes_received", &T::prefixes_received},
      Field{"remote_as", &T::remote_as},
      Field{"state", &T::state},
  };
};

template <>
struct FieldsOf<AnnounceStatus> {
  using T = AnnounceStatus;
  static constexpr std::tuple kList{
      Field{"announced", &T::announced}, Field{"error", &T::error}, Field{"frr", &T::frr},
      Field{"frr_peers", &T::frr_peers}, Field{"held", &T::held},   Field{"table", &T::table},
  };
};

template <>
struct FieldsOf<ListenerStatus> {
  using T = ListenerStatus;
  static constexpr std::tuple kList{
      Field{"accept_errors", &T::accept_errors},
      Field{"accepted", &T::accepted},
      Field{"max_connections", &T::max_connections},
      Field{"name", &T::name},
      Field{"open", &T::open},
      Field{"refused", &T::refused},
      Field{"timed_out", &T::timed_out},
      Field{"watching", &T::watching},
  };
};

template <>
struct FieldsOf<EngineStatus> {
  using T = EngineStatus;
  static constexpr std::tuple kList{
      Field{"last_error", &T::last_error},
      Field{"name", &T::name},
      Field{"pid", &T::pid},
      Field{"retry_in_s", &T::retry_in_s},
      Field{"running", &T::running},
      Field{"start_failures", &T::start_failures},
      Field{"starts", &T::starts},
  };
};

template <>
struct FieldsOf<Status> {
  using T = Status;
  static constexpr std::tuple kList{
      Field{"announce", &T::announce},
      Field{"bfd_dropped", &T::bfd_dropped},
      Field{"bfd_sessions", &T::bfd_sessions},
      Field{"config_file", &T::config_file},
      Field{"conntrackd_commands", &T::conntrackd_commands},
      Field{"engines", &T::engines},
      Field{"events", &T::events},
      Field{"instances", &T::instances},
      Field{"last_reload_ok", &T::last_reload_ok},
      Field{"lb_backend", &T::lb_backend},
      Field{"lb_restorations", &T::lb_restorations},
      Field{"listeners", &T::listeners},
      Field{"maintenance", &T::maintenance},
      Field{"pid", &T::pid},
      Field{"reload_failures", &T::reload_failures},
      Field{"reloads", &T::reloads},
      Field{"uptime_s", &T::uptime_s},
      Field{"version", &T::version},
      Field{"virtual_servers", &T::virtual_servers},
  };
};

// A status struct (one with a field list).
template <typename T>
concept StatusRecord = requires {
  FieldsOf<T>::kList;
};

// The number of T's fields, and their names in order.
template <StatusRecord T>
constexpr size_t kFieldCount = std::tuple_size_v<std::remove_const_t<decltype(FieldsOf<T>::kList)>>;

template <StatusRecord T>
constexpr auto FieldNames() {
  return std::apply(
      [](const auto&... f) { return std::array<std::string_view, sizeof...(f)>{f.name...}; },
      FieldsOf<T>::kList);
}

template <StatusRecord T>
constexpr bool SortedByName() {
  constexpr auto names = FieldNames<T>();
  for (size_t i = 1; i < names.size(); ++i)
    if (!(names[i - 1] < names[i])) return false;
  return true;
}

// The number of T's members (an aggregate's initializers), so that a member added to a
// struct without its field here fails to compile.
struct AnyMember {
  template <typename U>
  operator U() const;  // never called
};
template <typename T, typename... A>
constexpr size_t MemberCount() {
  if constexpr (requires { T{A{}..., AnyMember{}}; })
    return MemberCount<T, A..., AnyMember>();
  else
    return sizeof...(A);
}

template <StatusRecord T>
constexpr bool Complete() {
  return SortedByName<T>() && kFieldCount<T> == MemberCount<T>();
}

static_assert(Complete<InstanceStatus>() && Complete<RealServerStatus>() &&
              Complete<VirtualServerStatus>() && Complete<BfdSessionStatus>() &&
              Complete<FrrPeerStatus>() && Complete<AnnounceStatus>() &&
              Complete<ListenerStatus>() && Complete<EngineStatus>() && Complete<Status>());

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_STATUS_FIELDS_H_
