#include "net/nft_runner.h"

#include <nftables/libnftables.h>

#include <vector>

#include "base/fd.h"

namespace vigil::net {

std::string NftTableName(std::string_view base, const std::optional<std::string>& config_id) {
  std::string name(base);
  if (!config_id || config_id->empty()) return name;
  name += '_';
  for (char ch : config_id->substr(0, 200)) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' || ch == '/';
    name += ok ? ch : '_';
  }
  return name;
}

LibNftablesRunner::LibNftablesRunner() {
  // libnftables opens its netlink socket here, without close-on-exec.
  const std::vector<int> before = fd::OpenFds();
  ctx_ = nft_ctx_new(NFT_CTX_DEFAULT);
  fd::CloexecSince(before);
  if (ctx_ != nullptr) {
    nft_ctx_buffer_output(ctx_);
    nft_ctx_buffer_error(ctx_);
  }
}

LibNftablesRunner::~LibNftablesRunner() {
  if (ctx_ != nullptr) nft_ctx_free(ctx_);
}

Result<std::string> LibNftablesRunner::Run(std::string_view commands, bool json) {
  if (ctx_ == nullptr) return Fail(ErrorCode::kInternal, "nftables: nft_ctx_new failed");
  nft_ctx_output_set_flags(ctx_, json ? NFT_CTX_OUTPUT_JSON : 0);
  std::string buffer(commands);
  int rc = nft_run_cmd_from_buffer(ctx_, buffer.c_str());
  // Reading a buffer also resets it for the next command.
  std::string output = nft_ctx_get_output_buffer(ctx_);
  std::string error = nft_ctx_get_error_buffer(ctx_);
  if (rc != 0) {
    while (!error.empty() && error.back() == '\n') error.pop_back();
    ErrorCode code = error.find("No such file or directory") != std::string::npos
                         ? ErrorCode::kNotFound
                         : ErrorCode::kIo;
    if (error.find("Operation not permitted") != std::string::npos) code = ErrorCode::kPermission;
    return Fail(code, "nftables: " + (error.empty() ? std::string("command failed") : error));
  }
  return output;
}

}  // namespace vigil::net
