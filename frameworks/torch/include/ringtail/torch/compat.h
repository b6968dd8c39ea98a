#pragma once
// The one place that papers over differences between Debian's LibTorch 1.13 and
// LibTorch 2.x. Code in the adapter uses these names, never the versioned ones.
// docs/integration.md ("LibTorch versions") lists every LibTorch API the
// adapter uses and what differs between the two.

#include <torch/version.h>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define RINGTAIL_TORCH_HAS_STD_OPTIONAL 1
#include <optional>
#else
#define RINGTAIL_TORCH_HAS_STD_OPTIONAL 0
#include <c10/util/Optional.h>
#endif

namespace ringtail::torch::compat {

// The optional type of LibTorch's interfaces (Sampler::reset and next). In 1.13
// c10::optional is a class of its own, not std::optional; from 2.4 on the
// interfaces take std::optional and c10::optional is only a deprecated alias
// that builds with C10_NODEPRECATED do not have.
#if RINGTAIL_TORCH_HAS_STD_OPTIONAL
template <typename T>
using optional = std::optional<T>;
inline constexpr std::nullopt_t nullopt = std::nullopt;
#else
template <typename T>
using optional = c10::optional<T>;
inline constexpr c10::nullopt_t nullopt = c10::nullopt;
#endif

}  // namespace ringtail::torch::compat
