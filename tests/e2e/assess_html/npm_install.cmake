# Installs check_report.js's pinned npm packages (puppeteer-core, package-lock.json) into NPM_DIR
# with crmx_npm_install (cmake/CrmxNpmInstall.cmake: `npm ci`, once per lock file). Called by
# run.sh as `cmake -DSRC_DIR=... -DNPM_DIR=... -DNPM=... -P npm_install.cmake`.
include("${CMAKE_CURRENT_LIST_DIR}/../../../cmake/CrmxNpmInstall.cmake")
if(NOT NPM OR NOT EXISTS "${NPM}")
  message(FATAL_ERROR "the assess HTML tests need npm (found: '${NPM}')")
endif()
crmx_npm_install("${SRC_DIR}" "${NPM_DIR}" "${NPM}")
