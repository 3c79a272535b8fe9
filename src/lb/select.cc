#include "lb/select.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "base/subprocess.h"

namespace vigil::lb {
namespace {

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

}  // namespace

std::string_view BackendKindName(BackendKind kind) {
  return kind == BackendKind::kIpvs ? "ipvs" : "nftables";
}

bool ModprobeModule(std::string_view name) {
  std::string program;
  if (std::ifstream in("/proc/sys/kernel/modprobe"); in) std::getline(in, program);
  if (program.empty() || access(program.c_str(), X_OK) != 0) program = "/sbin/modprobe";
  SpawnSpec spec;
  spec.argv = {program, "-q", std::string(name)};
  auto pid = ForkExec(spec);
  if (!pid) return false;
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Result<BackendSelection> SelectBackend(std::string_view choice, const std::string& ipvs_proc_path,
                                       const ModuleLoader& load_module) {
  const bool automatic = choice == "auto" || choice.empty();
  if (choice == "nftables") {
    return BackendSelection{BackendKind::kNftables, "configured (vigil_lb_backend nftables)"};
  }
  if (choice != "ipvs" && !automatic) {
    return Fail(ErrorCode::kInvalidArgument, "load balancer backend '" + std::string(choice) +
                                                 "' is not one of ipvs, nftables or auto");
  }
  std::string how;
  if (Exists(ipvs_proc_path)) {
    how = "the kernel has IPVS (" + ipvs_proc_path + ")";
  } else if (load_module) {
    const bool loaded = load_module(kIpvsModule);
    if (loaded && Exists(ipvs_proc_path)) {
      how = "loaded the " + std::string(kIpvsModule) + " module";
    } else {
      how = "no IPVS in this kernel (" + ipvs_proc_path + " is missing" +
            (loaded ? " after" : " and") + " modprobe " + kIpvsModule +
            (loaded ? ")" : " failed)");
    }
  } else {
    how = "no IPVS in this kernel (" + ipvs_proc_path + " is missing)";
  }
  if (!automatic) return BackendSelection{BackendKind::kIpvs, "configured (vigil_lb_backend ipvs); " + how};
  const bool ipvs = Exists(ipvs_proc_path);
  return BackendSelection{ipvs ? BackendKind::kIpvs : BackendKind::kNftables, "auto: " + how};
}

}  // namespace vigil::lb
