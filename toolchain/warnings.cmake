# Warnings for ilpd's own code: every target that is ours calls
# ilpd_warnings(<target>). Third-party headers come in as SYSTEM includes.
set(ILPD_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wshadow -Wundef -Wvla -Wconversion -Wsign-conversion
  -Wstrict-prototypes -Wmissing-prototypes -Wcast-qual -Wpointer-arith
  -Wwrite-strings -Wformat=2 -Wnull-dereference -Wdouble-promotion
  -Wimplicit-fallthrough -Wswitch-enum)
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  list(APPEND ILPD_WARNING_FLAGS -Wlogical-op -Wduplicated-cond -Wjump-misses-init
    -Wstack-usage=16384)
endif()
if(ILPD_WERROR)
  list(APPEND ILPD_WARNING_FLAGS -Werror)
endif()

function(ilpd_warnings target)
  target_compile_options(${target} PRIVATE ${ILPD_WARNING_FLAGS})
endfunction()
