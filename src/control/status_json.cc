// ToJson: a Status written as JSON text field by field (JsonText), in the order of the keys,
// as nlohmann::json's tree ordered them.
#include <nlohmann/json.hpp>

#include "control/json_text.h"
#include "control/status.h"

namespace vigil::control {
namespace {

void Write(JsonText& w, const InstanceStatus& x);
void Write(JsonText& w, const RealServerStatus& x);
void Write(JsonText& w, const VirtualServerStatus& x);
void Write(JsonText& w, const BfdSessionStatus& x);
void Write(JsonText& w, const FrrPeerStatus& x);
void Write(JsonText& w, const AnnounceStatus& x);
void Write(JsonText& w, const ListenerStatus& x);
void Write(JsonText& w, const EngineStatus& x);

template <typename T>
void WriteAll(JsonText& w, const std::vector<T>& v) {
  w.Put('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) w.Put(',');
    Write(w, v[i]);
  }
  w.Put(']');
}

void Write(JsonText& w, const InstanceStatus& x) {
  w.First("advert_interval_s"); w.Double(x.advert_interval_s);
  w.Next("adverts_received"); w.Number(x.adverts_received);
  w.Next("adverts_sent"); w.Number(x.adverts_sent);
  w.Next("base_priority"); w.Number(x.base_priority);
  w.Next("became_master"); w.Number(x.became_master);
  w.Next("debug"); w.Number(x.debug);
  w.Next("effective_priority"); w.Number(x.effective_priority);
  w.Next("family"); w.String(x.family);
  w.Next("hold"); w.String(x.hold);
  w.Next("interface"); w.String(x.interface);
  w.Next("master_address"); w.String(x.master_address);
  w.Next("name"); w.String(x.name);
  w.Next("priority_zero_received"); w.Number(x.priority_zero_received);
  w.Next("priority_zero_sent"); w.Number(x.priority_zero_sent);
  w.Next("rejected"); w.Numbers(x.rejected);
  w.Next("runtime_priority"); w.Number(x.runtime_priority);
  w.Next("state"); w.String(x.state);
  w.Next("transitions"); w.Number(x.transitions);
  w.Next("version"); w.Number(x.version);
  w.Next("vips"); w.Strings(x.vips);
  w.Next("vrid"); w.Number(x.vrid);
  w.Put('}');
}

void Write(JsonText& w, const RealServerStatus& x) {
  w.First("address"); w.String(x.address);
  w.Next("admin"); w.String(x.admin);
  w.Next("admin_weight"); w.Number(x.admin_weight);
  w.Next("check_running_s"); w.Double(x.check_running_s);
  w.Next("checks_failed"); w.Number(x.checks_failed);
  w.Next("checks_ok"); w.Number(x.checks_ok);
  w.Next("config_weight"); w.Number(x.config_weight);
  w.Next("drain_left_s"); w.Double(x.drain_left_s);
  w.Next("last_check_latency_s"); w.Double(x.last_check_latency_s);
  w.Next("up"); w.Bool(x.up);
  w.Next("weight"); w.Number(x.weight);
  w.Put('}');
}

void Write(JsonText& w, const VirtualServerStatus& x) {
  w.First("live_weight"); w.Number(x.live_weight);
  w.Next("name"); w.String(x.name);
  w.Next("quorum_up"); w.Bool(x.quorum_up);
  w.Next("real_servers"); WriteAll(w, x.real_servers);
  w.Next("scheduler"); w.String(x.scheduler);
  w.Next("sorry_server_active"); w.Bool(x.sorry_server_active);
  w.Put('}');
}

void Write(JsonText& w, const BfdSessionStatus& x) {
  w.First("detection_time_s"); w.Double(x.detection_time_s);
  w.Next("diag"); w.String(x.diag);
  w.Next("down_transitions"); w.Number(x.down_transitions);
  w.Next("local_discriminator"); w.Number(x.local_discriminator);
  w.Next("multihop"); w.Bool(x.multihop);
  w.Next("name"); w.String(x.name);
  w.Next("neighbor"); w.String(x.neighbor);
  w.Next("packets_received"); w.Number(x.packets_received);
  w.Next("packets_sent"); w.Number(x.packets_sent);
  w.Next("remote_discriminator"); w.Number(x.remote_discriminator);
  w.Next("remote_state"); w.String(x.remote_state);
  w.Next("source"); w.String(x.source);
  w.Next("state"); w.String(x.state);
  w.Next("tx_interval_s"); w.Double(x.tx_interval_s);
  w.Next("up_transitions"); w.Number(x.up_transitions);
  w.Put('}');
}

void Write(JsonText& w, const FrrPeerStatus& x) {
  w.First("address"); w.String(x.address);
  w.Next("advertised"); w.Strings(x.advertised);
  w.Next("bfd"); w.String(x.bfd);
  w.Next("prefixes_received"); w.Number(x.prefixes_received);
  w.Next("remote_as"); w.Number(x.remote_as);
  w.Next("state"); w.String(x.state);
  w.Put('}');
}

void Write(JsonText& w, const AnnounceStatus& x) {
  w.First("announced"); w.Strings(x.announced);
  w.Next("error"); w.String(x.error);
  w.Next("frr"); w.Bool(x.frr);
  w.Next("frr_peers"); WriteAll(w, x.frr_peers);
  w.Next("held"); w.StringMap(x.held);
  w.Next("table"); w.Number(x.table);
  w.Put('}');
}

void Write(JsonText& w, const ListenerStatus& x) {
  w.First("accept_errors"); w.Number(x.accept_errors);
  w.Next("accepted"); w.Number(x.accepted);
  w.Next("max_connections"); w.Number(x.max_connections);
  w.Next("name"); w.String(x.name);
  w.Next("open"); w.Number(x.open);
  w.Next("refused"); w.Number(x.refused);
  w.Next("timed_out"); w.Number(x.timed_out);
  w.Next("watching"); w.Number(x.watching);
  w.Put('}');
}

void Write(JsonText& w, const EngineStatus& x) {
  w.First("last_error"); w.String(x.last_error);
  w.Next("name"); w.String(x.name);
  w.Next("pid"); w.Number(x.pid);
  w.Next("retry_in_s"); w.Double(x.retry_in_s);
  w.Next("running"); w.Bool(x.running);
  w.Next("start_failures"); w.Number(x.start_failures);
  w.Next("starts"); w.Number(x.starts);
  w.Put('}');
}

void Write(JsonText& w, const Status& x) {
  w.First("announce"); Write(w, x.announce);
  w.Next("bfd_dropped"); w.Numbers(x.bfd_dropped);
  w.Next("bfd_sessions"); WriteAll(w, x.bfd_sessions);
  w.Next("config_file"); w.String(x.config_file);
  w.Next("conntrackd_commands"); w.NumberMaps(x.conntrackd_commands);
  w.Next("engines"); WriteAll(w, x.engines);
  w.Next("events"); w.Number(x.events);
  w.Next("instances"); WriteAll(w, x.instances);
  w.Next("last_reload_ok"); w.Bool(x.last_reload_ok);
  w.Next("lb_backend"); w.String(x.lb_backend);
  w.Next("lb_restorations"); w.Numbers(x.lb_restorations);
  w.Next("listeners"); WriteAll(w, x.listeners);
  w.Next("maintenance"); w.Bool(x.maintenance);
  w.Next("pid"); w.Number(x.pid);
  w.Next("reload_failures"); w.Number(x.reload_failures);
  w.Next("reloads"); w.Number(x.reloads);
  w.Next("uptime_s"); w.Double(x.uptime_s);
  w.Next("version"); w.String(x.version);
  w.Next("virtual_servers"); WriteAll(w, x.virtual_servers);
  w.Put('}');
}

// About what one real server takes, so that the text of a large report grows once or twice.
constexpr size_t kBytesPerRealServer = 240;

}  // namespace

std::string ToJson(const Status& status, int indent) {
  JsonText w;
  size_t servers = 0;
  for (const VirtualServerStatus& v : status.virtual_servers) servers += v.real_servers.size();
  w.Reserve(4096 + servers * kBytesPerRealServer);
  Write(w, status);
  if (indent < 0) return w.Take();
  return nlohmann::json::parse(w.Take()).dump(indent, ' ', false,
                                              nlohmann::json::error_handler_t::replace);
}

}  // namespace vigil::control
