// The configuration test's view of the load balancer: which virtual servers the backend
// vigil would pick here (IPVS or nftables) cannot express, so `vigild -t` reports them
// before the checker engine refuses to start.
#ifndef VIGIL_CHECK_BACKEND_CHECK_H_
#define VIGIL_CHECK_BACKEND_CHECK_H_

#include <string>
#include <vector>

#include "lb/select.h"
#include "model/config.h"

namespace vigil::check {

struct BackendProblem {
  model::SourceRef loc;   // the virtual_server
  std::string message;    // the backend's words, naming the service and what it lacks
  // true when global_defs chose the backend (an error); false when it follows from this
  // host having no IPVS (a system finding: a warning).
  bool configured = false;
};

// Returns one problem per virtual server the selected backend cannot express.
std::vector<BackendProblem> CheckBackendSupport(const model::Config& config,
                                                const std::string& ipvs_proc_path = lb::kIpvsProcPath);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_BACKEND_CHECK_H_
