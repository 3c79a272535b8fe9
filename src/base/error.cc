#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace vigil {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kExists: return "exists";
    case ErrorCode::kPermission: return "permission";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

Error Error::FromErrno(int sys_errno, std::string context) {
  ErrorCode code = ErrorCode::kIo;
  switch (sys_errno) {
    case ENOENT: case ENODEV: case ESRCH: case ENXIO: code = ErrorCode::kNotFound; break;
    case EEXIST: code = ErrorCode::kExists; break;
    case EACCES: case EPERM: code = ErrorCode::kPermission; break;
    case EINVAL: code = ErrorCode::kInvalidArgument; break;
    case ETIMEDOUT: code = ErrorCode::kTimeout; break;
    case EOPNOTSUPP: case EPROTONOSUPPORT: case EAFNOSUPPORT: code = ErrorCode::kUnsupported; break;
    default: break;
  }
  return Error(code, std::move(context), sys_errno);
}

std::string Error::ToString() const {
  if (errno_ == 0) return context_;
  return context_ + ": " + std::strerror(errno_);
}

std::unexpected<Error> FailErrno(std::string context) {
  return std::unexpected<Error>(Error::FromErrno(errno, std::move(context)));
}

}  // namespace vigil
