# CTest driver of the VS Code extension tests (tests/editors/CMakeLists.txt), by MODE:
# - package: editors/vscode/package.sh builds the .vsix under WORK_DIR (npm ci of the extension's
#   lock file in WORK_DIR/stage, never in the source tree), check_vsix.py checks its content and
#   unpacks it, and activate.test.js runs on the unpacked extension (its real node_modules).
# - lsp_client: vscode-jsonrpc installed under WORK_DIR/npm (crmx_npm_install, once per lock
#   file), then lsp_client.test.js drives CRMXC's `crmxc lsp`.
# Inputs: MODE NODE NPM PYTHON CRMXC SRC_DIR (tests/editors/vscode) EXT_DIR (editors/vscode) WORK_DIR.
foreach(tool NODE NPM)
  if(NOT ${tool} OR NOT EXISTS "${${tool}}")
    message(FATAL_ERROR "the VS Code extension tests need ${tool} (found: '${${tool}}')")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed: ${rc}")
  endif()
endfunction()

if(MODE STREQUAL "package")
  if(NOT PYTHON OR NOT EXISTS "${PYTHON}")
    message(FATAL_ERROR "editors_vscode_package needs python3 (found: '${PYTHON}')")
  endif()
  file(READ "${EXT_DIR}/package.json" manifest)
  string(JSON version GET "${manifest}" version)
  set(vsix "${WORK_DIR}/out/crmx-${version}.vsix")
  file(REMOVE "${vsix}")
  run("check_vsix.py --self-test" "${PYTHON}" "${SRC_DIR}/check_vsix.py" --self-test)
  run("package.sh" sh "${EXT_DIR}/package.sh" "${WORK_DIR}/out" "${WORK_DIR}/stage")
  if(NOT EXISTS "${vsix}")
    message(FATAL_ERROR "package.sh did not write ${vsix}")
  endif()
  run("check_vsix.py" "${PYTHON}" "${SRC_DIR}/check_vsix.py" "${vsix}" --extract "${WORK_DIR}/unpacked")
  run("activate.test.js on the package" "${NODE}" "${SRC_DIR}/activate.test.js" "${WORK_DIR}/unpacked/extension" "${CRMXC}")
elseif(MODE STREQUAL "lsp_client")
  include("${CMAKE_CURRENT_LIST_DIR}/../../../cmake/CrmxNpmInstall.cmake")
  crmx_npm_install("${SRC_DIR}" "${WORK_DIR}/npm" "${NPM}")
  run("lsp_client.test.js" "${NODE}" "${SRC_DIR}/lsp_client.test.js" --crmxc "${CRMXC}" --modules "${WORK_DIR}/npm"
      --extension-lock "${EXT_DIR}/package-lock.json")
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
