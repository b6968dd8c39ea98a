#pragma once
// The one place that papers over differences between Debian's LibTorch 1.13 and
// LibTorch 2.x. Code in the adapter uses these names, never the versioned ones.

#include <c10/util/Optional.h>

namespace ringtail::torch::compat {

// LibTorch 1.13's interfaces (samplers, autograd hooks) take c10::optional,
// a separate type; in 2.x c10::optional is an alias of std::optional. Spelling
// it c10::optional compiles against both.
template <typename T>
using optional = c10::optional<T>;
inline constexpr auto nullopt = c10::nullopt;

}  // namespace ringtail::torch::compat
