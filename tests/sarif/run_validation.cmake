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

# Reinstall when the lock file changes.
file(SHA256 "${SARIF_DIR}/package-lock.json" lock_hash)
set(stamp "${npm_dir}/installed-${lock_hash}")
if(NOT EXISTS "${stamp}")
  file(REMOVE_RECURSE "${npm_dir}/node_modules")
  file(GLOB old_stamps "${npm_dir}/installed-*")
  if(old_stamps)
    file(REMOVE ${old_stamps})
  endif()
  configure_file("${SARIF_DIR}/package.json" "${npm_dir}/package.json" COPYONLY)
  configure_file("${SARIF_DIR}/package-lock.json" "${npm_dir}/package-lock.json" COPYONLY)
  execute_process(COMMAND "${NPM}" ci --ignore-scripts --no-audit --no-fund
                  WORKING_DIRECTORY "${npm_dir}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "npm ci failed in ${npm_dir}: ${rc}")
  endif()
  file(TOUCH "${stamp}")
endif()

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
