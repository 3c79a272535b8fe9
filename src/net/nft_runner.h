// The seam to libnftables, shared by every owner of an nftables table (the load
// balancer's, the VRRP accept-mode filter's): nft command text in, nft's output out.
#ifndef VIGIL_NET_NFT_RUNNER_H_
#define VIGIL_NET_NFT_RUNNER_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

struct nft_ctx;

namespace vigil::net {

// Returns the name of one of vigil's nftables tables for a daemon instance: `base` for the
// default instance, `base`_ID for the one started with config id ID (-i), where characters
// nft names do not allow become '_'. Two vigilds in one network namespace never share a table.
std::string NftTableName(std::string_view base, const std::optional<std::string>& config_id);

// Runs nft command text. Tests substitute a recording fake.
class NftRunner {
 public:
  virtual ~NftRunner() = default;
  // Runs `commands` (one or more lines) as one transaction and returns nft's output, as
  // JSON if `json`. A missing object is kNotFound; other failures carry nft's error text.
  virtual Result<std::string> Run(std::string_view commands, bool json) = 0;
};

// NftRunner over libnftables (nft_ctx_new / nft_run_cmd_from_buffer) with buffered output
// and error text. Acts on the network namespace the calling thread is in.
class LibNftablesRunner final : public NftRunner {
 public:
  LibNftablesRunner();
  ~LibNftablesRunner() override;
  LibNftablesRunner(const LibNftablesRunner&) = delete;
  LibNftablesRunner& operator=(const LibNftablesRunner&) = delete;

  Result<std::string> Run(std::string_view commands, bool json) override;

 private:
  nft_ctx* ctx_ = nullptr;
};

}  // namespace vigil::net

#endif  // VIGIL_NET_NFT_RUNNER_H_
