# CTest driver for console_browser (CMakeLists.txt): installs the pinned puppeteer-core (npm ci,
# cached under the build tree, reinstalled when package-lock.json changes; --ignore-scripts: no
# browser download, Debian's chromium is used) and runs browser_test.py.
# Inputs: NODE NPM PYTHON CRMXC CRMX_RUN CRMX_EMULATE SRC_DIR WORK_DIR SHOTS.
foreach(tool NODE NPM PYTHON)
  if(NOT ${tool} OR NOT EXISTS "${${tool}}")
    message(FATAL_ERROR "console_browser needs ${tool} (found: '${${tool}}')")
  endif()
endforeach()
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/CrmxNpmInstall.cmake")
crmx_npm_install("${SRC_DIR}" "${WORK_DIR}/npm" "${NPM}")
execute_process(COMMAND "${PYTHON}" "${SRC_DIR}/browser_test.py" "${CRMXC}" "${CRMX_RUN}" "${CRMX_EMULATE}" "${NODE}"
                        "${WORK_DIR}/npm/node_modules" "${SHOTS}"
                RESULT_VARIABLE rc)
if(rc EQUAL 77)
  # CRMX_SKIP_BROWSER=1 and no Chromium: the skip CTest reports (SKIP_REGULAR_EXPRESSION).
  message("CONSOLE BROWSER TEST SKIPPED")
elseif(NOT rc EQUAL 0)
  message(FATAL_ERROR "the console's browser test failed (${rc})")
endif()
