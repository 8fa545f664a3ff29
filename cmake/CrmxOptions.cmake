# Build options for crmx. Each option is documented here and in README.md.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

option(CRMX_WERROR "Treat compiler warnings as errors (on in CI)" OFF)
option(CRMX_BUILD_TESTS "Build the test suites" ON)
option(CRMX_BUILD_BENCH "Build the benchmarks in bench/" ON)
option(CRMX_FUZZ "Build libFuzzer targets (needs clang)" OFF)
option(CRMX_SANITIZE "Build with AddressSanitizer and UBSan" OFF)
option(CRMX_JIT "Build the optional LLVM 14 JIT of the expression VM (runtime/jit; needs llvm-14-dev)" OFF)

if(CRMX_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
# Fuzzing: the whole tree gets coverage instrumentation and sanitizers; only the fuzz targets
# (tests/fuzz) link libFuzzer's main.
if(CRMX_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  include(${CMAKE_CURRENT_LIST_DIR}/../tests/fuzz/antlr4_clang_compat.cmake)
endif()
