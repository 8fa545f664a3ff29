# CTest driver for diagnostics_schemas: writes sample reports with diag_render_samples,
# installs the pinned validators (npm ci, cached under the build tree), and validates the
# SARIF against the official SARIF 2.1.0 schema and the JSON against
# docs/diagnostics-json.schema.json.
# Inputs: NODE NPM SAMPLES SARIF_DIR JSON_SCHEMA WORK_DIR.
set(out "${WORK_DIR}/out")
set(npm_dir "${WORK_DIR}/npm")
file(MAKE_DIRECTORY "${out}" "${npm_dir}")

execute_process(COMMAND "${SAMPLES}" "${out}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "diag_render_samples failed: ${rc}")
endif()

include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/CrmxNpmInstall.cmake")
crmx_npm_install("${SARIF_DIR}" "${npm_dir}" "${NPM}")

execute_process(
  COMMAND "${NODE}" "${SARIF_DIR}/validate.mjs" --modules "${npm_dir}"
    --schema "${npm_dir}/node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json" --draft 2020
      "${out}/sample.sarif" "${out}/sample-docs-uri.sarif" "${out}/empty.sarif"
    --schema "${JSON_SCHEMA}" --draft 7
      "${out}/sample.json" "${out}/empty.json"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "schema validation failed")
endif()
