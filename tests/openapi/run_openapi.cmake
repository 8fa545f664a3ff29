# CTest driver for openapi_conformance (README.md): the self-test of prepare_specs.mjs, the pinned
# Prism installed (npm ci, cached under the build tree, reinstalled when package-lock.json
# changes), the vendors' documents prepared, then openapi_conformance.py.
# Inputs: NODE NPM PYTHON CRMXC CRMX_RUN CRMX_EMULATE SRC_DIR REAL_DIR WORK_DIR.
foreach(tool NODE NPM PYTHON)
  if(NOT ${tool} OR NOT EXISTS "${${tool}}")
    message(FATAL_ERROR "openapi_conformance needs ${tool} (found: '${${tool}}')")
  endif()
endforeach()
execute_process(COMMAND "${NODE}" "${SRC_DIR}/prepare_specs.mjs" --self-test RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "prepare_specs.mjs --self-test failed: ${rc}")
endif()
if(NOT EXISTS "${REAL_DIR}")
  message(STATUS "SKIPPED: ${REAL_DIR} not found: the OpenAPI conformance test did not run")
  return()
endif()

set(npm_dir "${WORK_DIR}/npm")
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/CrmxNpmInstall.cmake")
crmx_npm_install("${SRC_DIR}" "${npm_dir}" "${NPM}")

set(specs "${WORK_DIR}/specs")
foreach(vendor hubspot xero quickbooks sap)
  execute_process(COMMAND "${NODE}" "${SRC_DIR}/prepare_specs.mjs" --real "${REAL_DIR}" --vendor ${vendor}
                          --out "${specs}" --modules "${npm_dir}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "prepare_specs.mjs --vendor ${vendor} failed: ${rc}")
  endif()
endforeach()

execute_process(COMMAND "${PYTHON}" "${SRC_DIR}/openapi_conformance.py" "${CRMXC}" "${CRMX_RUN}" "${CRMX_EMULATE}"
                        --prism "${npm_dir}/node_modules/.bin/prism" --specs "${specs}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "OpenAPI conformance failed (${rc})")
endif()
