// Boxed<T>: a value that is always present, kept on the heap — one pointer where T is large,
// for a std::variant alternative that would otherwise make every alternative as large as
// itself. Copies copy the value and == compares values. A moved-from Boxed holds nothing and
// may only be assigned to or destroyed.
#ifndef VIGIL_MODEL_BOXED_H_
#define VIGIL_MODEL_BOXED_H_

#include <memory>
#include <utility>

namespace vigil::model {

template <typename T>
class Boxed {
 public:
  Boxed(T value) : value_(std::make_unique<T>(std::move(value))) {}  // NOLINT: implicit
  Boxed(const Boxed& o) : value_(o.value_ ? std::make_unique<T>(*o.value_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o) value_ = o.value_ ? std::make_unique<T>(*o.value_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;

  const T& operator*() const { return *value_; }
  T& operator*() { return *value_; }
  const T* operator->() const { return value_.get(); }
  T* operator->() { return value_.get(); }

  friend bool operator==(const Boxed& a, const Boxed& b) { return *a == *b; }

 private:
  std::unique_ptr<T> value_;
};

}  // namespace vigil::model

#endif  // VIGIL_MODEL_BOXED_H_
