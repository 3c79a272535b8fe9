#include "lb/nftables_backend.h"

#include <nftables/libnftables.h>

#include <utility>

namespace vigil::lb {

LibNftablesRunner::LibNftablesRunner() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
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

NftablesBackend::NftablesBackend(std::unique_ptr<NftRunner> runner, nft::Options options)
    : runner_(std::move(runner)), options_(options) {}

Result<void> NftablesBackend::Validate(const State& desired) const {
  return nft::Validate(desired);
}

Result<State> NftablesBackend::Read() {
  auto out = runner_->Run("list table " + std::string(nft::kTable), /*json=*/true);
  if (!out) {
    if (out.error().code() != ErrorCode::kNotFound) return std::unexpected(out.error());
    table_ = TableState::kAbsent;
    return State{};
  }
  if (table_ == TableState::kUnknown || table_ == TableState::kAbsent) {
    table_ = TableState::kPresent;
  }
  return nft::ParseTable(*out);
}

Result<void> NftablesBackend::Apply(const std::vector<Op>& ops, const State& desired,
                                    const State& actual) {
  auto rendered = nft::RenderOps(ops, desired, actual, options_);
  if (!rendered) return std::unexpected(rendered.error());
  if (table_ == TableState::kUnknown) {
    if (auto r = Read(); !r) return std::unexpected(r.error());
  }
  std::string text;
  if (table_ == TableState::kAbsent) text += nft::RenderSkeleton();
  if (table_ == TableState::kPresent) text += nft::RenderMasqueradeResync(actual, options_);
  text += *rendered;
  if (text.empty()) return {};
  if (auto r = runner_->Run(text, /*json=*/false); !r) return std::unexpected(r.error());
  table_ = TableState::kSynced;
  return {};
}

Result<void> NftablesBackend::Teardown() {
  auto r = runner_->Run(nft::RenderTeardown(), /*json=*/false);
  if (!r && r.error().code() != ErrorCode::kNotFound) return std::unexpected(r.error());
  table_ = TableState::kAbsent;
  return {};
}

}  // namespace vigil::lb
