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

// The reply to one of the status commands, from `current`.
std::string StatusReply(const std::string& command, const Status& current) {
  nlohmann::json status = nlohmann::json::parse(ToJson(current));
  nlohmann::json r{{"ok", true}};
  if (command == "status") {
    r["status"] = status;
  } else if (command == "instances") {
    r["instances"] = status["instances"];
  } else if (command == "servers") {
    r["virtual_servers"] = status["virtual_servers"];
  } else {  // stats: the counters without the lists' configuration
    nlohmann::json stats = nlohmann::json::array();
    for (const auto& i : status["instances"]) {
      stats.push_back({{"instance", i["name"]},
                       {"adverts_sent", i["adverts_sent"]},
                       {"adverts_received", i["adverts_received"]},
                       {"transitions", i["transitions"]},
                       {"became_master", i["became_master"]},
                       {"priority_zero_sent", i["priority_zero_sent"]},
                       {"priority_zero_received", i["priority_zero_received"]},
                       {"rejected", i["rejected"]}});
    }
    r["stats"] = {{"instances", stats},
                  {"reloads", status["reloads"]},
                  {"reload_failures", status["reload_failures"]}};
  }
  return Dump(r);
}

}  // namespace

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
  if (command != "status" && command != "instances" && command != "servers" &&
      command != "stats") {
    reply(ErrorReply("unknown command '" + command +
                     "' (expected status, instances, servers, stats or reload)"));
    return;
  }
  target.Refresh([&target, command, reply] { reply(StatusReply(command, target.CurrentStatus())); });
}

}  // namespace vigil::control
