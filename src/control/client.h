// The client side of the control protocol, and the human-readable rendering vigilctl prints.
#ifndef VIGIL_CONTROL_CLIENT_H_
#define VIGIL_CONTROL_CLIENT_H_

#include <string>

#include "base/error.h"

namespace vigil::control {

// The control socket path when neither the command line nor global_defs names one.
inline constexpr char kDefaultControlSocket[] = "/run/vigild.ctl";

// Sends one request line to the control socket at `path` and returns the response line.
// Gives up after `timeout_ms` milliseconds.
Result<std::string> Request(const std::string& path, const std::string& request_line,
                            int timeout_ms);

// Renders a response of `command` as readable tables. Returns the text and whether the
// response said ok.
struct Rendered {
  std::string text;
  bool ok = false;
};
Rendered RenderResponse(const std::string& command, const std::string& response_line);

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_CLIENT_H_
