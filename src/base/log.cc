#include "base/log.h"

#include <syslog.h>

#include <memory>
#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

namespace vigil::log {
namespace {

std::shared_ptr<spdlog::logger>& Logger() {
  static std::shared_ptr<spdlog::logger> logger;
  return logger;
}

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kNotice: return spdlog::level::info;
    case Level::kWarning: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void Setup(Sink sink, std::string_view ident, bool debug, int syslog_facility) {
  std::shared_ptr<spdlog::logger> logger;
  std::string name(ident);
  switch (sink) {
    case Sink::kConsole: {
      auto s = std::make_shared<spdlog::sinks::stderr_sink_mt>();
      logger = std::make_shared<spdlog::logger>(name, s);
      logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %n[%P]: %v");
      break;
    }
    case Sink::kSyslog: {
      int facility = syslog_facility < 0 ? LOG_DAEMON : syslog_facility;
      auto s = std::make_shared<spdlog::sinks::syslog_sink_mt>(name, LOG_PID, facility, true);
      logger = std::make_shared<spdlog::logger>(name, s);
      logger->set_pattern("%v");
      break;
    }
    case Sink::kNone:
      logger = std::make_shared<spdlog::logger>(name);
      break;
  }
  logger->set_level(debug ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::debug);
  Logger() = std::move(logger);
}

void Write(Level level, std::string_view message) {
  auto& logger = Logger();
  if (!logger) return;
  logger->log(ToSpd(level), "{}", message);
}

}  // namespace vigil::log
