// Temporary: registers nothing until cmd_schema.cpp lands (removed in the same change series).
#include "compiler/driver/commands.h"

namespace crmx::driver {
void RegisterSchema(CLI::App&, int&) {}
}  // namespace crmx::driver
