#include "config/hmac_keys.h"

#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "config/system_check.h"

namespace vigil::config {
namespace {

constexpr uint8_t kNotHex = 0xff;

uint8_t HexValue(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<uint8_t>(c - 'A' + 10);
  return kNotHex;
}

SourceLoc LocOf(const model::SourceRef& r) { return {r.file, r.line, r.column}; }

}  // namespace

std::vector<uint8_t> DecodeHmacKey(std::string_view text) {
  constexpr std::string_view kHex = "hex:";
  if (!text.starts_with(kHex)) {
    text = text.substr(0, text.find('\0'));
    return {text.begin(), text.end()};
  }
  text.remove_prefix(kHex.size());
  text = text.substr(0, text.find('\0'));
  std::vector<uint8_t> out;
  size_t i = 0;
  while (true) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i == text.size()) break;
    uint8_t v = HexValue(text[i++]);
    if (v == kNotHex) return {};
    if (i < text.size() && text[i] != ' ') {
      const uint8_t low = HexValue(text[i++]);
      if (low == kNotHex) return {};
      v = static_cast<uint8_t>(v << 4 | low);
    }
    out.push_back(v);
  }
  return out;
}

void LoadHmacKeyFiles(model::Config& config, const SystemInfo& system, Diagnostics& diags) {
  for (model::VrrpInstance& v : config.vrrp_instances) {
    if (!v.auth_hmac) continue;
    const std::string who = "vrrp_instance " + v.name + ": auth_hmac key ";
    bool active_dropped = false;
    std::erase_if(v.auth_hmac->keys, [&](model::HmacKey& k) {
      if (!k.file) return false;
      const std::string& path = *k.file;
      const std::string id = std::to_string(k.id);
      auto drop = [&](const std::string& why) {
        diags.Error(LocOf(k.loc), who + id + ": file '" + path + "' " + why + "; key ignored");
        if (k.id == v.auth_hmac->active_key) active_dropped = true;
        return true;
      };
      auto file = system.ReadSecretFile(path, kHmacKeyFileTooLarge - 1);
      if (!file) return drop("cannot be opened");
      if (file->mode & (S_IRWXG | S_IRWXO)) {
        diags.Warning(LocOf(k.loc),
                      who + id + ": file '" + path + "' is readable by group or others",
                      Grade::kSecurity);
      }
      if (!file->complete) return drop("is too large");
      std::string text = std::move(file->head);
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      k.secret = DecodeHmacKey(text);
      if (k.secret.size() < kHmacKeyMinBytes || k.secret.size() > kHmacKeyMaxBytes) {
        return drop("holds a key of " + std::to_string(k.secret.size()) +
                    " bytes, not in range [32, 64]");
      }
      return false;
    });
    if (active_dropped) {
      diags.Error(LocOf(v.auth_hmac->loc), "vrrp_instance " + v.name + ": auth_hmac active_key " +
                                               std::to_string(v.auth_hmac->active_key) +
                                               " is not defined; auth_hmac disabled");
      v.auth_hmac.reset();
    }
  }
}

}  // namespace vigil::config
