# CTest driver for cel_conformance_jit: run_conformance.cmake (same tier, same known failures,
# same floor) with `crmxc eval --engine jit`, through a wrapper that puts the option after the
# subcommand and keeps crmxc's stderr in a log; then the JIT's own count from that log: every
# program the tier gave it compiled, none left on the VM.
# Inputs: those of run_conformance.cmake.
file(MAKE_DIRECTORY "${WORK_DIR}")
set(log "${WORK_DIR}/jit-stderr.log")
file(REMOVE "${log}")
set(wrapper "${WORK_DIR}/crmxc-jit")
file(WRITE "${wrapper}" "#!/bin/sh\ncmd=\"$1\"; shift\nexec \"${CRMXC}\" \"$cmd\" --engine jit \"$@\" 2>>\"${log}\"\n")
file(CHMOD "${wrapper}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                                    WORLD_EXECUTE)
set(CRMXC "${wrapper}")
include("${CMAKE_CURRENT_LIST_DIR}/run_conformance.cmake")

file(STRINGS "${log}" summaries REGEX "^jit: ")
if(NOT summaries)
  message(FATAL_ERROR "cel_conformance_jit: crmxc printed no `jit:` count (${log})")
endif()
foreach(line IN LISTS summaries)
  message(STATUS "${line}")
  if(line MATCHES " [1-9][0-9]* on the VM" OR NOT line MATCHES "jit: [1-9][0-9]* of [0-9]+ programs compiled")
    message(FATAL_ERROR "cel_conformance_jit: programs left on the VM: ${line}")
  endif()
endforeach()
