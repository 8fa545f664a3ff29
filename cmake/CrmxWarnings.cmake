# crmx_warnings(TARGET): the project's warning set, applied to our own code only
# (generated ANTLR code gets no -Werror: it is not ours to fix).
function(crmx_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wimplicit-fallthrough -Wno-unused-parameter)
  if(CRMX_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
