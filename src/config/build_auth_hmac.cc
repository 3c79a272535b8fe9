// vrrp_instance { auth_hmac { } }: keys, active_key, time_window, anti_replay, mode, and
// what keepalived settles at the end of the instance.
#include <algorithm>

#include "config/build.h"
#include "config/hmac_keys.h"
#include "config/values.h"

namespace vigil::config::build_internal {
namespace {

constexpr uint32_t kWindowMin = 1;
constexpr uint32_t kWindowMax = 300;
constexpr uint32_t kWindowFloor = 5;  // of a window derived from advert_int

void ParseKey(const Node& c, model::AuthHmac& h, Diagnostics& diags) {
  const Token* id_tok = Arg(c, 0);
  const Token* value = Arg(c, 1);
  if (id_tok == nullptr || value == nullptr) {
    diags.Error(c.keyword.loc, "auth_hmac key needs an id and a value");
    return;
  }
  const auto id = ParseInteger(*id_tok, "auth_hmac key id", 1, 255, diags);
  if (!id) return;
  model::HmacKey key;
  key.id = static_cast<uint8_t>(*id);
  key.loc = ToRef(value->loc);
  constexpr std::string_view kFile = "file:";
  if (value->text.starts_with(kFile)) {
    key.file = value->text.substr(kFile.size());  // read by the system pass
  } else {
    key.secret = DecodeHmacKey(value->text);
    if (key.secret.size() < kHmacKeyMinBytes || key.secret.size() > kHmacKeyMaxBytes) {
      diags.Error(value->loc, "auth_hmac key " + std::to_string(key.id) + ": length " +
                                  std::to_string(key.secret.size()) +
                                  " not in range [32, 64]; key ignored");
      return;
    }
  }
  if (h.Key(key.id) != nullptr) {
    diags.Error(id_tok->loc, "auth_hmac key id " + std::to_string(key.id) +
                                 " is already defined; this one is ignored");
    return;
  }
  h.keys.push_back(std::move(key));
}

}  // namespace

void ParseAuthHmac(const Node& n, std::optional<model::AuthHmac>& out, Diagnostics& diags) {
  // A second auth_hmac block adds to the first, as keepalived's handlers do.
  if (!out) {
    out.emplace();
    out->loc = RefOf(n);
  }
  model::AuthHmac& h = *out;
  for (const Node& c : n.children) {
    const std::string& kw = c.name();
    if (kw == "key") {
      ParseKey(c, h, diags);
      continue;
    }
    const Token* t = RequireArg(c, 0, diags);
    if (t == nullptr) continue;
    if (kw == "active_key") {
      if (auto id = ParseInteger(*t, "auth_hmac active_key", 1, 255, diags))
        h.active_key = static_cast<uint8_t>(*id);
    } else if (kw == "time_window") {
      if (auto w = ParseInteger(*t, "auth_hmac time_window", kWindowMin, kWindowMax, diags))
        h.time_window = static_cast<uint32_t>(*w);
    } else if (kw == "anti_replay") {
      if (t->text == "time") h.anti_replay_time = true;
      else if (t->text == "monotonic") h.anti_replay_time = false;
      else diags.Error(t->loc, "auth_hmac anti_replay: '" + t->text + "' must be time or monotonic");
    } else if (kw == "mode") {
      if (t->text == "enforce") h.mode = model::HmacMode::kEnforce;
      else if (t->text == "permissive") h.mode = model::HmacMode::kPermissive;
      else if (t->text == "receive-only") h.mode = model::HmacMode::kReceiveOnly;
      else
        diags.Error(t->loc, "auth_hmac mode: '" + t->text +
                                "' must be enforce, permissive or receive-only");
    }
  }
}

void FinishAuthHmac(model::VrrpInstance& v, Diagnostics& diags) {
  if (!v.auth_hmac) return;
  model::AuthHmac& h = *v.auth_hmac;
  const SourceLoc at{h.loc.file, h.loc.line, h.loc.column};
  const std::string who = "vrrp_instance " + v.name + ": ";
  if (v.auth_type != model::AuthType::kNone) {
    diags.Error(at, who + "auth_hmac cannot be combined with authentication; authentication dropped");
    v.auth_type = model::AuthType::kNone;
    v.auth_pass.clear();
  }
  if (h.Key(h.active_key) == nullptr) {
    diags.Error(at, who + "auth_hmac active_key " + std::to_string(h.active_key) +
                        " is not defined; auth_hmac disabled");
    v.auth_hmac.reset();
    return;
  }
  if (v.strict_mode && h.mode != model::HmacMode::kEnforce) {
    diags.Error(at, who + "strict mode requires auth_hmac mode enforce; using enforce");
    h.mode = model::HmacMode::kEnforce;
  }
  if (h.anti_replay_time && h.time_window == 0) {
    const auto whole_seconds = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(v.advert_int).count());
    h.time_window = std::clamp(3 * whole_seconds, kWindowFloor, kWindowMax);
  }
}

}  // namespace vigil::config::build_internal
