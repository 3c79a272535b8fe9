#include "daemon/reload_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/fd.h"
#include "daemon/settings.h"

namespace vigil::daemon {
namespace {

Result<void> WriteAll(const std::string& path, int flags, const std::string& text) {
  UniqueFd fd = fd::Open(path.c_str(), flags, 0644);
  if (!fd) return FailErrno(path);
  for (size_t done = 0; done < text.size();) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return FailErrno(path);
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

ReloadSettings GetReloadSettings(const model::Config& config) {
  ReloadSettings s;
  auto arg = [](const model::RawSetting* r) {
    return r && !r->args.empty() ? r->args[0] : std::string();
  };
  if (const model::RawSetting* r = FindGlobal(config, "reload_check_config")) {
    s.check_config = true;
    s.check_log = arg(r);
  }
  if (const model::RawSetting* r = FindGlobal(config, "reload_file")) {
    s.reload_file = arg(r);
    if (s.reload_file.empty()) {
      s.reload_file = DefaultPidFile("", config);
      s.reload_file.replace(s.reload_file.size() - 4, 4, ".reload");
    }
  }
  s.time_file = arg(FindGlobal(config, "reload_time_file"));
  s.repeat = FindGlobal(config, "reload_repeat") != nullptr;
  s.save_dir = arg(FindGlobal(config, "config_save_dir"));
  return s;
}

Result<void> WriteCheckLog(const std::string& path, const std::string& text) {
  return WriteAll(path, O_WRONLY | O_CREAT | O_TRUNC, text);
}

Result<void> CreateReloadFile(const std::string& path) {
  return WriteAll(path, O_WRONLY | O_CREAT | O_TRUNC, "");
}

void RemoveReloadFile(const std::string& path) { (void)unlink(path.c_str()); }

std::string ConfigCopyText(const config::SourceFiles& files) {
  std::string out;
  for (uint32_t i = 0; i < files.size(); ++i) {
    out += "# " + std::string(files.Path(i)) + "\n";
    out += files.Text(i);
    if (!out.empty() && out.back() != '\n') out += '\n';
  }
  return out;
}

Result<std::string> SaveConfigCopy(const std::string& dir, const config::SourceFiles& files,
                                   pid_t pid, unsigned n) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || mkdir(dir.c_str(), 0700) != 0)
      return FailErrno("config_save_dir " + dir);
  } else if (!S_ISDIR(st.st_mode)) {
    return Fail(ErrorCode::kInvalidArgument,
                "config_save_dir " + dir + " exists and is not a directory");
  }
  const std::string path = dir + "/vigild.conf." + std::to_string(pid) + "." + std::to_string(n);
  if (auto r = fd::ReplaceFile(path, ConfigCopyText(files), 0600); !r)
    return std::unexpected(r.error());
  return path;
}

}  // namespace vigil::daemon
