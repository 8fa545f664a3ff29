# crmx_npm_install(SRC_DIR NPM_DIR NPM): installs the pinned npm packages of a test folder
# (its package.json, package-lock.json and, when present, .npmrc) into NPM_DIR with `npm ci`,
# once per lock file: a stamp named after the lock file's hash says what is installed, so the
# packages are reinstalled only when the lock file changes. For CTest driver scripts (cmake -P).
function(crmx_npm_install src_dir npm_dir npm)
  file(MAKE_DIRECTORY "${npm_dir}")
  file(SHA256 "${src_dir}/package-lock.json" lock_hash)
  set(stamp "${npm_dir}/installed-${lock_hash}")
  if(EXISTS "${stamp}")
    return()
  endif()
  file(REMOVE_RECURSE "${npm_dir}/node_modules")
  file(GLOB old_stamps "${npm_dir}/installed-*")
  if(old_stamps)
    file(REMOVE ${old_stamps})
  endif()
  foreach(f package.json package-lock.json .npmrc)
    if(EXISTS "${src_dir}/${f}")
      configure_file("${src_dir}/${f}" "${npm_dir}/${f}" COPYONLY)
    endif()
  endforeach()
  execute_process(COMMAND "${npm}" ci --ignore-scripts --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY "${npm_dir}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "npm ci failed in ${npm_dir}: ${rc}")
  endif()
  file(TOUCH "${stamp}")
endfunction()
