// vigilctl: asks a running vigild for its state over the control socket, and carries out
// the runtime operations on real servers.
#include <iostream>
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
  app.add_option("-s,--socket", socket_path, "control socket of vigild")->capture_default_str();
  app.add_flag("-j,--json", json_out, "print the JSON answer as it came");
  app.add_option("-t,--timeout", timeout_ms, "milliseconds to wait for an answer")
      ->capture_default_str();
  app.add_option("command", command,
                 "status | instances | servers | stats | reload | enable VS RS | disable VS RS "
                 "| drain VS RS [SECONDS] | weight VS RS N")
      ->check(CLI::IsMember({"status", "instances", "servers", "stats", "reload", "enable",
                             "disable", "drain", "weight"}))
      ->capture_default_str();
  app.add_option("args", args, "the operation's virtual server, real server and value");
  CLI11_PARSE(app, argc, argv);

  nlohmann::json request{{"command", command}};
  if (vigil::control::IsOperation(command)) {
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
