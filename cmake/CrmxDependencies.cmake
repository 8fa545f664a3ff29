# Finds the Debian packages crmx builds against (installed by scripts/setup.sh).
# Why each one was chosen: docs/dependencies.md.
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(PkgConfig REQUIRED)

# ANTLR4: the tool (Debian's antlr4 4.7.2, a Java program) generates C++ at build time;
# the runtime library is libantlr4-runtime-dev 4.9.
find_program(ANTLR4_TOOL antlr4 REQUIRED)
find_path(ANTLR4_INCLUDE_DIR antlr4-runtime.h PATH_SUFFIXES antlr4-runtime REQUIRED)
find_library(ANTLR4_RUNTIME_LIB antlr4-runtime REQUIRED)
add_library(crmx_antlr4_runtime INTERFACE)
target_include_directories(crmx_antlr4_runtime SYSTEM INTERFACE ${ANTLR4_INCLUDE_DIR})
target_link_libraries(crmx_antlr4_runtime INTERFACE ${ANTLR4_RUNTIME_LIB})

# CLI11 and doctest are header-only.
find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
add_library(crmx_cli11 INTERFACE)
target_include_directories(crmx_cli11 SYSTEM INTERFACE ${CLI11_INCLUDE_DIR})
find_path(DOCTEST_INCLUDE_DIR doctest/doctest.h REQUIRED)
add_library(crmx_doctest INTERFACE)
target_include_directories(crmx_doctest SYSTEM INTERFACE ${DOCTEST_INCLUDE_DIR})
