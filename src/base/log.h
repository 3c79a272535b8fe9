// A thin logging facade, so that no module header pulls in spdlog or fmt.
// The daemon configures the sink (console or syslog); libraries log only at debug.
#ifndef VIGIL_BASE_LOG_H_
#define VIGIL_BASE_LOG_H_

#include <string>
#include <string_view>

namespace vigil::log {

enum class Level { kDebug, kInfo, kNotice, kWarning, kError };

enum class Sink { kConsole, kSyslog, kNone };

// Configures the process-wide sink. `ident` names the process in syslog.
// `syslog_facility` is a LOG_* facility value (LOG_DAEMON by default).
void Setup(Sink sink, std::string_view ident, bool debug, int syslog_facility = -1);

// Writes one line at `level`.
void Write(Level level, std::string_view message);

inline void Debug(std::string_view m) { Write(Level::kDebug, m); }
inline void Info(std::string_view m) { Write(Level::kInfo, m); }
inline void Notice(std::string_view m) { Write(Level::kNotice, m); }
inline void Warning(std::string_view m) { Write(Level::kWarning, m); }
inline void Error(std::string_view m) { Write(Level::kError, m); }

}  // namespace vigil::log

#endif  // VIGIL_BASE_LOG_H_
