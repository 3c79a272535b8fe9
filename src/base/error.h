// Error values and Result<T>: the one way vigil reports a failure at run time.
#ifndef VIGIL_BASE_ERROR_H_
#define VIGIL_BASE_ERROR_H_

#include "base/expected.h"
#include <string>
#include <string_view>
#include <utility>

namespace vigil {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kExists,
  kPermission,
  kIo,
  kTimeout,
  kParse,
  kUnsupported,
  kInternal,
};

// Returns a stable lower-case name for `code` ("io", "not_found", ...).
std::string_view ErrorCodeName(ErrorCode code);

// A failure: what kind, the errno behind it (0 if none) and where it happened.
class Error {
 public:
  Error(ErrorCode code, std::string context, int sys_errno = 0)
      : code_(code), errno_(sys_errno), context_(std::move(context)) {}

  // Returns an Error for a failed system call, mapping `sys_errno` to a code.
  static Error FromErrno(int sys_errno, std::string context);

  ErrorCode code() const { return code_; }
  int sys_errno() const { return errno_; }
  const std::string& context() const { return context_; }

  // Returns "context: strerror(errno)" or just the context.
  std::string ToString() const;

 private:
  ErrorCode code_;
  int errno_;
  std::string context_;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for returning a failure: `return Fail(ErrorCode::kParse, "bad value");`
inline std::unexpected<Error> Fail(ErrorCode code, std::string context, int sys_errno = 0) {
  return std::unexpected<Error>(Error(code, std::move(context), sys_errno));
}

// Returns the failure of the last system call (errno) as an unexpected Error.
std::unexpected<Error> FailErrno(std::string context);

}  // namespace vigil

#endif  // VIGIL_BASE_ERROR_H_
