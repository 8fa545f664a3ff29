# Lets clang compile against Debian's ANTLR 4.9 runtime headers (used by CRMX_FUZZ builds).
#
# clang 14 rejects /usr/include/antlr4-runtime/misc/InterpreterDataReader.h: its
# `InterpreterData() {}` default-constructs a dfa::Vocabulary, whose defaulted constructor clang
# deletes (const std::vector member without initializer); gcc accepts it. crmx never uses
# InterpreterDataReader, so this writes a copy of antlr4-runtime.h without that one include into
# the build tree and puts it first on the include path. The other runtime headers are still
# found in /usr/include/antlr4-runtime through the normal -isystem path.
find_path(CRMX_ANTLR4_UMBRELLA_DIR antlr4-runtime.h PATH_SUFFIXES antlr4-runtime REQUIRED)
file(READ ${CRMX_ANTLR4_UMBRELLA_DIR}/antlr4-runtime.h crmx_antlr4_umbrella)
string(REPLACE "#include \"misc/InterpreterDataReader.h\"" "" crmx_antlr4_umbrella "${crmx_antlr4_umbrella}")
file(WRITE ${CMAKE_BINARY_DIR}/antlr4-clang-compat/antlr4-runtime.h "${crmx_antlr4_umbrella}")
include_directories(BEFORE SYSTEM ${CMAKE_BINARY_DIR}/antlr4-clang-compat)
