// HeapOptional<T>: an optional value kept on the heap, for a large member that is nearly
// always absent — one pointer when empty where std::optional<T> takes sizeof(T). Copies
// copy the value and == compares values, as std::optional's do.
#ifndef VIGIL_MODEL_HEAP_OPTIONAL_H_
#define VIGIL_MODEL_HEAP_OPTIONAL_H_

#include <memory>
#include <optional>
#include <utility>

namespace vigil::model {

template <typename T>
class HeapOptional {
 public:
  HeapOptional() = default;
  HeapOptional(std::nullopt_t) {}  // NOLINT: implicit, as std::optional's
  HeapOptional(T value) : value_(std::make_unique<T>(std::move(value))) {}  // NOLINT
  HeapOptional(std::optional<T> value) {  // NOLINT: implicit, as std::optional's
    if (value) value_ = std::make_unique<T>(std::move(*value));
  }
  HeapOptional(const HeapOptional& o) : value_(o ? std::make_unique<T>(*o) : nullptr) {}
  HeapOptional(HeapOptional&&) noexcept = default;
  HeapOptional& operator=(const HeapOptional& o) {
    if (this != &o) value_ = o ? std::make_unique<T>(*o) : nullptr;
    return *this;
  }
  HeapOptional& operator=(HeapOptional&&) noexcept = default;

  bool has_value() const { return value_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  const T& operator*() const { return *value_; }
  T& operator*() { return *value_; }
  const T* operator->() const { return value_.get(); }
  T* operator->() { return value_.get(); }
  void reset() { value_.reset(); }
  template <typename U>
  T value_or(U&& fallback) const {
    return value_ ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

  friend bool operator==(const HeapOptional& a, const HeapOptional& b) {
    return a && b ? *a == *b : a.has_value() == b.has_value();
  }

 private:
  std::unique_ptr<T> value_;
};

}  // namespace vigil::model

#endif  // VIGIL_MODEL_HEAP_OPTIONAL_H_
