#include "check/body_check.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <openssl/evp.h>
#include <pcre2.h>

#include <cstdio>

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
