// Defines the crmx version, shared by the compiler and (later) the plan format.
#pragma once

namespace crmx {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace crmx
