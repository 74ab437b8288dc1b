# No-heap check: ilpd never allocates. Fails the build when a static library
# or an executable's object file of ours refers to an allocating function.
#
# Two modes:
#  - include()d by the top-level CMakeLists.txt: ilpd_add_noheap_check()
#    adds the target `check_noheap` (in ALL). It lists every static library
#    and executable the project defines, so new modules are checked without
#    registering them. Sanitizer builds (host-asan, fuzz) skip the check:
#    ASan/UBSan and libFuzzer instrument the code and bring their own
#    allocator hooks, and the plain builds already cover the same sources.
#  - run as a script (cmake -DNM=... -DINPUTS=<file> -P check-noheap.cmake):
#    INPUTS names one file (.a or .o) per line; `nm -A -u` lists what each
#    needs from elsewhere, and any banned symbol fails with object + symbol.
#
# Banned: the allocator itself and the libc calls that return or grow heap
# memory (strdup, asprintf, getline, open_memstream, ...), with glibc's
# internal aliases that <string.h>/<stdio.h> macros may expand to.
set(ILPD_NOHEAP_BANNED
  malloc calloc realloc reallocarray free
  strdup strndup __strdup __strndup wcsdup
  posix_memalign aligned_alloc memalign valloc pvalloc
  asprintf vasprintf __asprintf_chk __vasprintf_chk
  open_memstream open_wmemstream
  getline getdelim __getdelim
  canonicalize_file_name get_current_dir_name)

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.20)
  file(STRINGS "${INPUTS}" files)
  if(NOT files)
    message(FATAL_ERROR "check-noheap: no input files in ${INPUTS}")
  endif()
  execute_process(COMMAND ${NM} -A -u ${files}
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check-noheap: ${NM} failed (${rc}): ${err}")
  endif()
  string(REPLACE "\n" ";" lines "${out}")
  set(bad "")
  foreach(line IN LISTS lines)
    # "<archive>:<member>:   U sym" or "<object>:   U sym[@version]"
    if(line MATCHES "^(.*):[ \t]*U[ \t]+([A-Za-z0-9_.$]+)(@.*)?$")
      set(obj "${CMAKE_MATCH_1}")
      set(sym "${CMAKE_MATCH_2}")
      if(sym IN_LIST ILPD_NOHEAP_BANNED)
        list(APPEND bad "  ${obj}: ${sym}")
      endif()
    endif()
  endforeach()
  list(LENGTH files n)
  if(bad)
    list(JOIN bad "\n" text)
    message(FATAL_ERROR "check-noheap: FAILED. ilpd code must not use the heap; "
      "these objects call an allocating function:\n${text}\n"
      "Use a caller-owned buffer or a pool in firmware/pools.def instead.")
  endif()
  message(STATUS "check-noheap: ${n} libraries/objects, no heap use")
  return()
endif()

# Every target defined under `dir` and its subdirectories.
function(ilpd_collect_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(s ${subdirs})
    ilpd_collect_targets(${s} sub)
    list(APPEND targets ${sub})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

function(ilpd_add_noheap_check)
  if(ILPD_SANITIZE OR ILPD_FUZZ)
    message(STATUS "check-noheap: skipped in sanitizer/fuzz builds")
    return()
  endif()
  ilpd_collect_targets(${PROJECT_SOURCE_DIR} all)
  set(inputs "")
  set(deps "")
  foreach(t ${all})
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "STATIC_LIBRARY")
      list(APPEND inputs "$<TARGET_FILE:${t}>")
      list(APPEND deps ${t})
    elseif(type STREQUAL "EXECUTABLE")
      list(APPEND inputs "$<TARGET_OBJECTS:${t}>")
      list(APPEND deps ${t})
    endif()
  endforeach()
  set(list_file ${CMAKE_BINARY_DIR}/noheap-inputs.txt)
  file(GENERATE OUTPUT ${list_file} CONTENT "$<JOIN:${inputs},\n>\n")
  list(LENGTH deps n)
  add_custom_target(check_noheap ALL
    COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DINPUTS=${list_file}
      -P ${CMAKE_CURRENT_FUNCTION_LIST_FILE}
    COMMENT "No-heap check: nm -u on ${n} libraries and executables"
    VERBATIM)
  add_dependencies(check_noheap ${deps})
endfunction()
