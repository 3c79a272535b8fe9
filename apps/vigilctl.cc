// vigilctl: asks a running vigild for its state over the control socket.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "control/client.h"

int main(int argc, char** argv) {
  CLI::App app{"vigilctl: query and control a running vigild"};
  std::string socket_path = vigil::control::kDefaultControlSocket;
  bool json_out = false;
  int timeout_ms = 10000;
  std::string command = "status";
  app.add_option("-s,--socket", socket_path, "control socket of vigild")->capture_default_str();
  app.add_flag("-j,--json", json_out, "print the JSON answer as it came");
  app.add_option("-t,--timeout", timeout_ms, "milliseconds to wait for an answer")
      ->capture_default_str();
  app.add_option("command", command, "status | instances | servers | stats | reload")
      ->check(CLI::IsMember({"status", "instances", "servers", "stats", "reload"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto reply = vigil::control::Request(socket_path,
                                       nlohmann::json{{"command", command}}.dump(), timeout_ms);
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
