// vigilctl: asks a running vigild for its state over the control socket, and carries out
// the runtime operations on real servers and VRRP instances.
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "control/client.h"
#include "control/protocol.h"

int main(int argc, char** argv) {
  CLI::App app{"vigilctl: query and control a running vigild"};
  std::string socket_path = vigil::control::kDefaultControlSocket;
  bool json_out = false;
  int timeout_ms = 10000;
  std::string command = "status";
  std::vector<std::string> args;
  std::optional<uint64_t> from;
  std::optional<std::string> run;
  app.add_option("-s,--socket", socket_path, "control socket of vigild")->capture_default_str();
  app.add_flag("-j,--json", json_out, "print the JSON answer as it came");
  app.add_option("-t,--timeout", timeout_ms, "milliseconds to wait for an answer")
      ->capture_default_str();
  app.add_option("command", command,
                 "status | instances | servers | stats | reload | enable VS RS | disable VS RS "
                 "| drain VS RS [SECONDS] | weight VS RS N | maintenance on|off | failover "
                 "INSTANCE | priority INSTANCE N|reset | watch [--from SEQ [--run RUN]]")
      ->check(CLI::IsMember({"status", "instances", "servers", "stats", "reload", "enable",
                             "disable", "drain", "weight", "maintenance", "failover",
                             "priority", "watch"}))
      ->capture_default_str();
  app.add_option("args", args, "the operation's arguments (virtual server, real server, "
                              "instance, value)");
  app.add_option("--from", from, "watch: begin with the event numbered SEQ (0: every event "
                                 "vigild still keeps); without it, the events from now on");
  app.add_option("--run", run, "watch --from: the run SEQ belongs to (the events' \"run\"); "
                               "if vigild has restarted since, every event of its new run");
  CLI11_PARSE(app, argc, argv);
  if ((from || run) && command != "watch") {
    std::cerr << "vigilctl: --from and --run are for watch only\n";
    return 2;
  }
  if (run && !from) {
    std::cerr << "vigilctl: --run needs --from\n";
    return 2;
  }

  nlohmann::json request{{"command", command}};
  auto usage = [&](const std::string& text) {
    std::cerr << "vigilctl: usage: vigilctl " << command << " " << text << "\n";
    return 2;
  };
  if (command == "maintenance") {
    if (args.size() != 1 || (args[0] != "on" && args[0] != "off")) return usage("on|off");
    request["on"] = args[0] == "on";
  } else if (command == "failover") {
    if (args.size() != 1) return usage("INSTANCE");
    request["instance"] = args[0];
  } else if (command == "priority") {
    if (args.size() != 2) return usage("INSTANCE PRIORITY|reset");
    request["instance"] = args[0];
    if (args[1] == "reset") {
      request["priority"] = "reset";
    } else {
      try {
        size_t used = 0;
        request["priority"] = std::stoll(args[1], &used);
        if (used != args[1].size()) throw std::invalid_argument(args[1]);
      } catch (const std::exception&) {
        std::cerr << "vigilctl: not a priority (1 to 254, or reset): " << args[1] << "\n";
        return 2;
      }
    }
  } else if (vigil::control::IsOperation(command)) {
    const size_t want = command == "weight" ? 3 : 2;
    const size_t most = command == "drain" ? 3 : want;
    if (args.size() < want || args.size() > most) {
      std::cerr << "vigilctl: usage: vigilctl " << command << " VIRTUAL_SERVER REAL_SERVER"
                << (command == "weight" ? " WEIGHT" : command == "drain" ? " [SECONDS]" : "")
                << "\n";
      return 2;
    }
    request["virtual_server"] = args[0];
    request["real_server"] = args[1];
    try {
      if (command == "weight") request["weight"] = std::stoll(args[2]);
      if (command == "drain" && args.size() == 3) request["timeout"] = std::stod(args[2]);
    } catch (const std::exception&) {
      std::cerr << "vigilctl: not a number: " << args[2] << "\n";
      return 2;
    }
  } else if (!args.empty()) {
    std::cerr << "vigilctl: " << command << " takes no arguments\n";
    return 2;
  }

  if (command == "watch") {
    if (from) request["from"] = *from;
    if (run) request["run"] = *run;
    // Each line as it comes (flushed: a pipe reader sees it at once); an answer that
    // refuses the watch goes to stderr.
    bool answered = false;
    bool refused = false;
    bool overflow = false;
    auto watched = vigil::control::Watch(
        socket_path, request.dump(), timeout_ms, [&](const std::string& line) {
          if (!answered) {
            answered = true;
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_discarded() || !j.value("ok", false)) {
              refused = true;
              std::cerr << vigil::control::RenderResponse("watch", line).text << std::flush;
            }
            return;
          }
          if (refused) return;
          auto j = nlohmann::json::parse(line, nullptr, false);
          if (!j.is_discarded() && j.is_object() && j.value("type", "") == "overflow")
            overflow = true;
          std::cout << (json_out ? line : vigil::control::RenderEvent(line)) << std::endl;
        });
    if (!watched) {
      std::cerr << "vigilctl: " << watched.error().ToString() << "\n";
      return 2;
    }
    if (refused) return 1;
    if (overflow) return 3;
    std::cerr << "vigilctl: vigild closed the watch\n";
    return 1;
  }

  auto reply = vigil::control::Request(socket_path, request.dump(), timeout_ms);
  if (!reply) {
    std::cerr << "vigilctl: " << reply.error().ToString() << "\n";
    return 2;
  }
  if (json_out) {
    std::cout << *reply << "\n";
    auto j = nlohmann::json::parse(*reply, nullptr, false);
    return (!j.is_discarded() && j.value("ok", false)) ? 0 : 1;
  }
  auto rendered = vigil::control::RenderResponse(command, *reply);
  (rendered.ok ? std::cout : std::cerr) << rendered.text;
  return rendered.ok ? 0 : 1;
}
