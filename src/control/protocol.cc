#include "control/protocol.h"

#include <nlohmann/json.hpp>

namespace vigil::control {
namespace {

// Returns `j` as compact JSON; names may hold any byte, so an invalid UTF-8 sequence becomes
// U+FFFD instead of throwing.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ErrorReply(const std::string& message) {
  return Dump(nlohmann::json{{"ok", false}, {"error", message}});
}

// The reply to one of the status commands, from `current`: written as the text of the
// tree {"ok": true, KEY: ...} would be (keys sorted), without parsing the status's own text
// (8 MB at 37,000 real servers).
std::string StatusReply(const std::string& command, const Status& current) {
  if (command == "status") return "{\"ok\":true,\"status\":" + ToJson(current) + "}";
  if (command == "instances")
    return "{\"instances\":" + ToJson(current.instances) + ",\"ok\":true}";
  if (command == "servers")
    return "{\"ok\":true,\"virtual_servers\":" + ToJson(current.virtual_servers) + "}";
  // stats: the counters without the lists' configuration
  nlohmann::json stats = nlohmann::json::array();
  for (const InstanceStatus& i : current.instances) {
    stats.push_back({{"instance", i.name},
                     {"adverts_sent", i.adverts_sent},
                     {"adverts_received", i.adverts_received},
                     {"transitions", i.transitions},
                     {"became_master", i.became_master},
                     {"priority_zero_sent", i.priority_zero_sent},
                     {"priority_zero_received", i.priority_zero_received},
                     {"rejected", i.rejected}});
  }
  nlohmann::json r{{"ok", true}};
  r["stats"] = {{"instances", stats},
                {"reloads", current.reloads},
                {"reload_failures", current.reload_failures}};
  return Dump(r);
}

}  // namespace

bool IsVrrpOperation(const std::string& command) {
  return command == "maintenance" || command == "failover" || command == "priority";
}

bool IsOperation(const std::string& command) {
  return command == "enable" || command == "disable" || command == "drain" ||
         command == "weight" || IsVrrpOperation(command);
}

std::string Describe(const Operation& op) {
  if (op.command == "maintenance") return std::string("maintenance ") + (op.on ? "on" : "off");
  if (op.command == "failover") return "failover " + op.instance;
  if (op.command == "priority")
    return "priority " + op.instance + " " +
           (op.priority == 0 ? std::string("reset") : std::to_string(op.priority));
  return op.command + " " + op.virtual_server + " " + op.real_server +
         (op.command == "weight" ? " " + std::to_string(op.weight) : "");
}

std::string ToJson(const Operation& op) {
  nlohmann::json j{{"command", op.command}};
  if (op.command == "maintenance") {
    j["on"] = op.on;
  } else if (op.command == "failover") {
    j["instance"] = op.instance;
  } else if (op.command == "priority") {
    j["instance"] = op.instance;
    if (op.priority == 0) j["priority"] = "reset";
    else j["priority"] = op.priority;
  } else {
    j["virtual_server"] = op.virtual_server;
    j["real_server"] = op.real_server;
  }
  if (op.command == "weight") j["weight"] = op.weight;
  if (op.command == "drain" && op.timeout_s > 0) j["timeout"] = op.timeout_s;
  return Dump(j);
}

Result<Operation> OperationFromJson(const std::string& line) {
  auto bad = [](const std::string& why) { return Fail(ErrorCode::kInvalidArgument, why); };
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("request is not a JSON object");
  Operation op;
  auto string_field = [&](const char* key, std::string& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
      return false;
    out = it->get<std::string>();
    return true;
  };
  if (!string_field("command", op.command) || !IsOperation(op.command))
    return bad("request has no operation \"command\" (enable, disable, drain, weight, "
               "maintenance, failover or priority)");
  if (op.command == "maintenance") {
    auto it = j.find("on");
    if (it == j.end() || !it->is_boolean()) return bad("maintenance needs \"on\": true or false");
    op.on = it->get<bool>();
    return op;
  }
  if (op.command == "failover" || op.command == "priority") {
    if (!string_field("instance", op.instance))
      return bad(op.command + " needs an \"instance\" string");
    if (op.command == "failover") return op;
    auto it = j.find("priority");
    if (it != j.end() && it->is_string() && it->get_ref<const std::string&>() == "reset")
      return op;  // priority 0: back to the configured one
    if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 1 ||
        it->get<int64_t>() > kMaxRuntimePriority)
      return bad("priority needs a \"priority\" from 1 to 254, or \"reset\"");
    op.priority = static_cast<int>(it->get<int64_t>());
    return op;
  }
  if (!string_field("virtual_server", op.virtual_server))
    return bad(op.command + " needs a \"virtual_server\" string");
  if (!string_field("real_server", op.real_server))
    return bad(op.command + " needs a \"real_server\" string");
  if (op.command == "weight") {
    auto it = j.find("weight");
    if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0 ||
        it->get<int64_t>() > kMaxOperationWeight)
      return bad("weight needs a \"weight\" from 0 to " + std::to_string(kMaxOperationWeight));
    op.weight = it->get<int64_t>();
  }
  if (op.command == "drain") {
    if (auto it = j.find("timeout"); it != j.end()) {
      if (!it->is_number() || !(it->get<double>() > 0) || it->get<double>() > kMaxDrainTimeout)
        return bad("drain's \"timeout\" must be seconds above 0, at most 86400");
      op.timeout_s = it->get<double>();
    }
  }
  return op;
}

bool IsWatchRequest(const std::string& line) {
  nlohmann::json req = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded() || !req.is_object()) return false;
  auto it = req.find("command");
  return it != req.end() && it->is_string() && it->get_ref<const std::string&>() == "watch";
}

void HandleRequest(const std::string& line, ControlTarget& target,
                   std::function<void(std::string)> reply) {
  nlohmann::json req = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded() || !req.is_object()) {
    reply(ErrorReply("request is not a JSON object"));
    return;
  }
  auto it = req.find("command");
  if (it == req.end() || !it->is_string()) {
    reply(ErrorReply("request has no \"command\" string"));
    return;
  }
  const std::string command = it->get<std::string>();
  if (command == "reload") {
    target.Reload([reply](bool ok, std::string message) {
      nlohmann::json r{{"ok", ok}};
      if (ok) r["message"] = message;
      else r["error"] = message;
      reply(Dump(r));
    });
    return;
  }
  if (IsOperation(command)) {
    auto op = OperationFromJson(line);
    if (!op) {
      reply(ErrorReply(op.error().context()));
      return;
    }
    target.Operate(*op, [reply](bool ok, std::string message) {
      nlohmann::json r{{"ok", ok}};
      if (ok) r["message"] = message;
      else r["error"] = message;
      reply(Dump(r));
    });
    return;
  }
  if (command == "watch") {
    reply(ErrorReply("watch streams events on the control socket only"));
    return;
  }
  if (command != "status" && command != "instances" && command != "servers" &&
      command != "stats") {
    reply(ErrorReply("unknown command '" + command +
                     "' (expected status, instances, servers, stats, reload, enable, disable, "
                     "drain, weight, maintenance, failover, priority or watch)"));
    return;
  }
  target.Refresh([&target, command, reply] { reply(StatusReply(command, target.CurrentStatus())); });
}

}  // namespace vigil::control
