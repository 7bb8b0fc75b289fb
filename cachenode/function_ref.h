// FunctionRef: a non-owning reference to a callable, for callbacks that run before the call
// that takes them returns (no allocation, unlike std::function). The callable must outlive
// the call.
#ifndef MCSCALE_CACHENODE_FUNCTION_REF_H_
#define MCSCALE_CACHENODE_FUNCTION_REF_H_

#include <memory>
#include <type_traits>
#include <utility>

namespace mcscale {

template <typename Fn>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT: implicit by design
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* obj, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(obj))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(obj_, std::forward<Args>(args)...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

}  // namespace mcscale

#endif  // MCSCALE_CACHENODE_FUNCTION_REF_H_
