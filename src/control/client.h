// The client side of the control protocol, and the human-readable rendering vigilctl prints.
#ifndef VIGIL_CONTROL_CLIENT_H_
#define VIGIL_CONTROL_CLIENT_H_

#include <functional>
#include <string>

#include "base/error.h"

namespace vigil::control {

// The control socket path when neither the command line nor global_defs names one.
inline constexpr char kDefaultControlSocket[] = "/run/vigild.ctl";

// Sends one request line to the control socket at `path` and returns the response line.
// Gives up after `timeout_ms` milliseconds.
Result<std::string> Request(const std::string& path, const std::string& request_line,
                            int timeout_ms);

// Sends a watch request line to the control socket at `path`, then passes each line that
// comes back (the answer first, then events) to `on_line` without its newline, until vigild
// closes the connection. Gives up when the answer takes more than `timeout_ms`
// milliseconds; events may take as long as they take.
Result<void> Watch(const std::string& path, const std::string& request_line, int timeout_ms,
                   const std::function<void(const std::string&)>& on_line);

// Renders one line of a watch stream readably: "SEQ TIME TYPE key=value ...", or the text
// of a lost or overflow line after "-- ".
std::string RenderEvent(const std::string& line);

// Renders a response of `command` as readable tables. Returns the text and whether the
// response said ok.
struct Rendered {
  std::string text;
  bool ok = false;
};
Rendered RenderResponse(const std::string& command, const std::string& response_line);

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_CLIENT_H_
