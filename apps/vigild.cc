// vigild: flags → wiring → run. No logic here.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bfd/engine.h"
#include "check/backend_check.h"
#include "check/engine.h"
#include "daemon/config_commands.h"
#include "daemon/options.h"
#include "daemon/supervisor.h"
#include "vrrp/engine.h"
#include "vrrp/route_check.h"

namespace {

constexpr const char kVersion[] = "vigild 0.1.0 (reads keepalived 2.2.7 configurations)";

// What the engines would refuse here, as diagnostics of `vigild -t`: virtual servers the
// checker's backend cannot express, route and rule lines the VRRP engine cannot read.
void CheckEngines(const vigil::model::Config& config, vigil::config::Diagnostics& diags) {
  for (const auto& p : vigil::check::CheckBackendSupport(config)) {
    vigil::config::SourceLoc at{p.loc.file, p.loc.line, p.loc.column};
    if (p.configured) diags.Error(at, p.message);
    else diags.Warning(at, p.message);
  }
  for (const auto& p : vigil::vrrp::CheckRouteLines(config))
    diags.Error(vigil::config::SourceLoc{p.loc.file, p.loc.line, p.loc.column}, p.message);
}

}  // namespace

int main(int argc, char** argv) {
  using vigil::daemon::Mode;
  std::vector<std::string> args(argv, argv + argc);
  auto parsed = vigil::daemon::ParseOptions(args);
  if (!parsed) {
    std::cerr << "vigild: " << parsed.error().ToString() << "\n"
              << "Try 'vigild --help' for more information.\n";
    return 2;
  }
  const vigil::daemon::Options& options = *parsed;
  switch (options.mode) {
    case Mode::kHelp:
      std::cout << vigil::daemon::UsageText();
      return 0;
    case Mode::kVersion:
      std::cout << kVersion << "\n";
      return 0;
    case Mode::kSignum: {
      auto n = vigil::daemon::SignalNumber(options.signum_name);
      if (!n) {
        std::cerr << "vigild: unknown signal name '" << options.signum_name << "'\n";
        return 2;
      }
      std::cout << *n << "\n";
      return 0;
    }
    case Mode::kConfigTest: {
      if (options.config_test_log) {
        std::ofstream log(*options.config_test_log, std::ios::app);
        if (!log) {
          std::cerr << "vigild: cannot open '" << *options.config_test_log << "'\n";
          return 2;
        }
        return vigil::daemon::RunConfigTest(options, log, CheckEngines);
      }
      return vigil::daemon::RunConfigTest(options, std::cerr, CheckEngines);
    }
    case Mode::kDumpConfig:
      return vigil::daemon::RunDumpConfig(options, std::cout, std::cerr);
    case Mode::kRun:
      break;
  }
  vigil::daemon::EngineFactories factories;
  factories.vrrp = [](asio::io_context& io, const vigil::daemon::Options& o) {
    return vigil::vrrp::MakeEngine(io, {.dont_release_vips = o.dont_release_vrrp, .config_id = o.config_id});
  };
  factories.check = [](asio::io_context& io, const vigil::daemon::Options& o) {
    return vigil::check::MakeEngine(
        io, {.dont_release_lb = o.dont_release_lb, .config_id = o.config_id});
  };
  factories.bfd = [](asio::io_context& io, const vigil::daemon::Options&) {
    return vigil::bfd::MakeEngine(io);
  };
  return vigil::daemon::RunDaemon(options, factories);
}
