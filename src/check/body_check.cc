#include "check/body_check.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <openssl/evp.h>
#include <pcre2.h>

#include <cstdio>
#include <utility>

namespace vigil::check {

struct Md5::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Md5::Md5() : impl_(std::make_unique<Impl>()) { EVP_DigestInit_ex(impl_->ctx, EVP_md5(), nullptr); }
Md5::~Md5() = default;

void Md5::Update(std::string_view data) {
  if (!data.empty()) EVP_DigestUpdate(impl_->ctx, data.data(), data.size());
}

std::string Md5::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, digest, &len);
  EVP_DigestInit_ex(impl_->ctx, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

uint32_t RegexOptionBits(const std::vector<std::string>& names) {
  static constexpr std::pair<std::string_view, uint32_t> kOptions[] = {
      {"allow_empty_class", PCRE2_ALLOW_EMPTY_CLASS},
      {"alt_bsux", PCRE2_ALT_BSUX},
      {"auto_callout", PCRE2_AUTO_CALLOUT},
      {"caseless", PCRE2_CASELESS},
      {"dollar_endonly", PCRE2_DOLLAR_ENDONLY},
      {"dotall", PCRE2_DOTALL},
      {"dupnames", PCRE2_DUPNAMES},
      {"extended", PCRE2_EXTENDED},
      {"firstline", PCRE2_FIRSTLINE},
      {"match_unset_backref", PCRE2_MATCH_UNSET_BACKREF},
      {"multiline", PCRE2_MULTILINE},
      {"never_ucp", PCRE2_NEVER_UCP},
      {"never_utf", PCRE2_NEVER_UTF},
      {"no_auto_capture", PCRE2_NO_AUTO_CAPTURE},
      {"no_auto_possess", PCRE2_NO_AUTO_POSSESS},
      {"no_dotstar_anchor", PCRE2_NO_DOTSTAR_ANCHOR},
      {"no_start_optimize", PCRE2_NO_START_OPTIMIZE},
      {"ucp", PCRE2_UCP},
      {"ungreedy", PCRE2_UNGREEDY},
      {"utf", PCRE2_UTF},
      {"never_backslash_c", PCRE2_NEVER_BACKSLASH_C},
      {"alt_circumflex", PCRE2_ALT_CIRCUMFLEX},
      {"alt_verbnames", PCRE2_ALT_VERBNAMES},
      {"use_offset_limit", PCRE2_USE_OFFSET_LIMIT},
  };
  uint32_t bits = 0;
  for (const std::string& n : names)
    for (const auto& [name, bit] : kOptions)
      if (n == name) bits |= bit;
  return bits;
}

struct Regex::Impl {
  pcre2_code* code = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  pcre2_match_context* context = nullptr;  // with jit_stack; null: PCRE2's own stack
  ~Impl() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(jit_stack);
    pcre2_code_free(code);
  }
};

Regex::Regex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

Result<Regex> Regex::Compile(const std::string& pattern, uint32_t options, JitStackSize stack) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(),
                                   options, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(error, msg, sizeof(msg));
    return Fail(ErrorCode::kInvalidArgument,
                "invalid regex '" + pattern + "' at offset " + std::to_string(offset) + ": " +
                    reinterpret_cast<char*>(msg));
  }
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // best effort; falls back to the interpreter
  auto impl = std::make_unique<Impl>();
  impl->code = code;
  if (stack.max != 0) {
    impl->jit_stack = pcre2_jit_stack_create(stack.start, stack.max, nullptr);
    impl->context = pcre2_match_context_create(nullptr);
    if (impl->jit_stack == nullptr || impl->context == nullptr)
      return Fail(ErrorCode::kInternal, "regex '" + pattern + "': no JIT stack of " +
                                            std::to_string(stack.max) + " bytes");
    pcre2_jit_stack_assign(impl->context, nullptr, impl->jit_stack);
  }
  return Regex(std::move(impl));
}

bool Regex::Matches(std::string_view subject, size_t min_offset,
                    std::optional<size_t> max_offset) const {
  if (min_offset > subject.size()) return false;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                       min_offset, 0, md, impl_->context);
  bool ok = rc >= 0;
  if (ok && max_offset) ok = pcre2_get_ovector_pointer(md)[0] <= *max_offset;
  pcre2_match_data_free(md);
  return ok;
}

}  // namespace vigil::check
