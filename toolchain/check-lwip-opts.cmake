# check-lwip-opts.cmake - every translation unit that includes lwIP's
# headers must see the same values as lwipopts.h for the options that size
# or shape lwIP's structures. Run as a script:
#
#   cmake -DCC_JSON=<build>/compile_commands.json -DLWIP_INCLUDE=<lwip>/src/include
#         -DWORK=<dir> [-DEXCLUDE=<path prefix>] [-DONLY=<source>] [-DSTAMP=<file>]
#         -P check-lwip-opts.cmake
#
# Why: lwIP's options are macros, so a TU that includes a header redefining
# one of them after lwIP's (glibc's <netinet/tcp.h> has "#define TCP_MSS
# 512"; being a system header, the compiler says nothing) silently builds a
# different lwIP. In Debian's liblwip that made memp.c size PBUF_POOL
# buffers for 512-byte segments while pbuf.c filled them with 1460: a heap
# overflow on every full-size frame (shared/reference/cross-and-qemu.md 3.4).
#
# How, for each TU of compile_commands.json whose command names
# LWIP_INCLUDE (all of lwIP's sources, hal/lwip/*.c, memmap with lwIP):
#  1. the TU's own command (the target compiler and every flag), with
#     -o/-c/-M* removed, run as `-E -dM`: the macros as they stand at the
#     end of the TU;
#  2. the same command on a probe that includes only lwip/opt.h (which reads
#     the TU's lwipopts.h): the reference values;
#  3. each watched macro fully expanded in both (the compiler's
#     preprocessor again, on the -dM output), compared, and where the text
#     differs, compared as numbers by the preprocessor (#if a != b).
# Any difference fails with the TU, the macro and both values. A TU whose
# macros do not include lwIP's opt.h is skipped. EXCLUDE drops TUs under a
# path prefix (the deliberately bad fixtures); ONLY checks just that source.
# STAMP is touched on success (build-time use).
cmake_minimum_required(VERSION 3.20)

set(WATCH
  TCP_MSS PBUF_POOL_BUFSIZE PBUF_POOL_SIZE MEM_ALIGNMENT MEM_SIZE
  PBUF_LINK_HLEN PBUF_LINK_ENCAPSULATION_HLEN ETH_PAD_SIZE
  LWIP_IPV4 LWIP_IPV6 LWIP_TCP LWIP_UDP LWIP_RAW LWIP_ARP LWIP_ETHERNET NO_SYS
  TCP_WND TCP_SND_BUF TCP_SND_QUEUELEN TCP_OVERSIZE LWIP_WND_SCALE
  LWIP_TCP_KEEPALIVE LWIP_TCP_TIMESTAMPS LWIP_TCP_SACK_OUT TCP_QUEUE_OOSEQ
  LWIP_CALLBACK_API LWIP_EVENT_API TCP_LISTEN_BACKLOG SO_REUSE
  MEMP_NUM_TCP_PCB MEMP_NUM_TCP_PCB_LISTEN MEMP_NUM_TCP_SEG MEMP_NUM_PBUF
  MEMP_MEM_MALLOC MEM_LIBC_MALLOC MEM_USE_POOLS MEMP_OVERFLOW_CHECK
  LWIP_IPV6_NUM_ADDRESSES LWIP_IPV6_MLD LWIP_ND6_NUM_NEIGHBORS
  LWIP_NETIF_STATUS_CALLBACK LWIP_NETIF_LINK_CALLBACK LWIP_NETIF_HOSTNAME
  LWIP_NUM_NETIF_CLIENT_DATA LWIP_CHECKSUM_CTRL_PER_NETIF LWIP_STATS
  LWIP_SINGLE_NETIF BYTE_ORDER)

foreach(v CC_JSON LWIP_INCLUDE WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check-lwip-opts: -D${v}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${CC_JSON}")
  message(FATAL_ERROR "check-lwip-opts: ${CC_JSON} missing (CMAKE_EXPORT_COMPILE_COMMANDS)")
endif()
file(MAKE_DIRECTORY ${WORK})

# compile_commands.json as CMake writes it: one "key": "value" per line.
# Returns parallel lists of sources and commands (JSON-unescaped).
function(read_compile_commands files_out cmds_out)
  # Only these lines: the file's "[" line would make CMake's list
  # splitting ignore every following separator.
  file(STRINGS "${CC_JSON}" lines REGEX "^[ \t]*\"(command|file)\": ")
  set(files "")
  set(cmds "")
  set(cmd "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^[ \t]*\"command\": \"(.*)\",?$")
      set(cmd "${CMAKE_MATCH_1}")
    elseif(line MATCHES "^[ \t]*\"file\": \"(.*)\",?$")
      set(f "${CMAKE_MATCH_1}")
      string(REPLACE "\\\"" "\"" cmd "${cmd}")
      string(REPLACE "\\\\" "\\" cmd "${cmd}")
      # Keep the command one list element.
      string(REPLACE ";" "\\;" cmd "${cmd}")
      list(APPEND files "${f}")
      list(APPEND cmds "${cmd}")
    endif()
  endforeach()
  set(${files_out} "${files}" PARENT_SCOPE)
  set(${cmds_out} "${cmds}" PARENT_SCOPE)
endfunction()

# The compile command as an argument list without its outputs and source.
function(preprocess_args cmd src out)
  separate_arguments(args UNIX_COMMAND "${cmd}")
  set(res "")
  set(skip 0)
  foreach(a IN LISTS args)
    if(skip)
      set(skip 0)
    elseif(a MATCHES "^-(o|MT|MF|MQ)$")
      set(skip 1)
    elseif(a MATCHES "^-(c|MD|MMD|MP)$" OR a STREQUAL "${src}"
           OR a MATCHES "^-o.+" OR a MATCHES "^-fdiagnostics-color")
    else()
      list(APPEND res "${a}")
    endif()
  endforeach()
  set(${out} "${res}" PARENT_SCOPE)
endfunction()

# Runs `args -E -dM src` into file out; fails loudly.
function(dump_macros args src out)
  execute_process(COMMAND ${args} -E -dM ${src} -o ${out}
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check-lwip-opts: preprocessing ${src} failed (${rc}):\n${err}")
  endif()
endfunction()

# Expands every watched macro of a -dM dump: sets <prefix>_<M> to the
# expanded text ("<undefined>" if missing) and <prefix>_HAS_LWIP.
function(expand_watched cc dump prefix)
  file(READ ${dump} defs)
  set(probe "${defs}\n")
  foreach(m ${WATCH})
    # The name in quotes, so that only the value is macro-expanded.
    string(APPEND probe "#ifdef ${m}\n@ILPD@ \"${m}\" = ${m} @END@\n#else\n"
      "@ILPD@ \"${m}\" = <undefined> @END@\n#endif\n")
  endforeach()
  string(APPEND probe "#ifdef LWIP_HDR_OPT_H\n@ILPD@ \"HAS_LWIP\" = 1 @END@\n#endif\n")
  file(WRITE ${dump}.probe.c "${probe}")
  execute_process(COMMAND ${cc} -E -P -undef -w -x c ${dump}.probe.c
    OUTPUT_VARIABLE out RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check-lwip-opts: expanding ${dump} failed (${rc}):\n${err}")
  endif()
  set(${prefix}_HAS_LWIP 0 PARENT_SCOPE)
  string(REGEX MATCHALL "@ILPD@ \"[A-Za-z0-9_]+\" = [^@]*@END@" items "${out}")
  foreach(it IN LISTS items)
    if(it MATCHES "^@ILPD@ \"([A-Za-z0-9_]+)\" = (.*) @END@$")
      set(name "${CMAKE_MATCH_1}")
      string(REGEX REPLACE "[ \t\r\n]+" " " val "${CMAKE_MATCH_2}")
      string(STRIP "${val}" val)
      set(${prefix}_${name} "${val}" PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

# True (1) if the preprocessor finds the two constant expressions equal.
function(same_value cc a b out)
  file(WRITE ${WORK}/same.c "#if (${a}) != (${b})\n#error differ\n#endif\n")
  execute_process(COMMAND ${cc} -E -P -undef -w -x c ${WORK}/same.c
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(rc EQUAL 0)
    set(${out} 1 PARENT_SCOPE)
  else()
    set(${out} 0 PARENT_SCOPE)
  endif()
endfunction()

# A readable value: the number if CMake can evaluate the expression.
function(show_value expr out)
  string(REGEX REPLACE "([0-9])[uUlL]+" "\\1" e "${expr}")
  if(e MATCHES "^[-0-9()+*/%&|^~<> ]+$")
    math(EXPR v "${e}" OUTPUT_FORMAT DECIMAL)
    set(${out} "${v}" PARENT_SCOPE)
  else()
    set(${out} "${expr}" PARENT_SCOPE)
  endif()
endfunction()

read_compile_commands(files cmds)
list(LENGTH files n)
set(checked 0)
set(skipped 0)
set(problems "")
set(ref_keys "")
file(WRITE ${WORK}/ref.c "#include \"lwip/opt.h\"\n")
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  list(GET files ${i} src)
  list(GET cmds ${i} cmd)
  if(DEFINED ONLY)
    if(NOT src STREQUAL ONLY)
      continue()
    endif()
  else()
    string(FIND "${cmd}" "${LWIP_INCLUDE}" at)
    if(at EQUAL -1)
      continue()
    endif()
    if(DEFINED EXCLUDE AND NOT EXCLUDE STREQUAL "")
      string(FIND "${src}" "${EXCLUDE}" ex)
      if(ex EQUAL 0)
        continue()
      endif()
    endif()
  endif()
  preprocess_args("${cmd}" "${src}" args)
  list(GET args 0 cc)
  # The reference: lwipopts.h alone, with this TU's flags (boards differ).
  string(SHA1 key "${args}")
  if(NOT key IN_LIST ref_keys)
    dump_macros("${args}" ${WORK}/ref.c ${WORK}/ref-${key}.dM)
    expand_watched("${cc}" ${WORK}/ref-${key}.dM REF_${key})
    list(APPEND ref_keys ${key})
  endif()
  dump_macros("${args}" "${src}" ${WORK}/tu.dM)
  expand_watched("${cc}" ${WORK}/tu.dM TU)
  if(NOT TU_HAS_LWIP)
    math(EXPR skipped "${skipped} + 1")
    continue()
  endif()
  math(EXPR checked "${checked} + 1")
  foreach(m ${WATCH})
    set(want "${REF_${key}_${m}}")
    set(got "${TU_${m}}")
    if(got STREQUAL want)
      continue()
    endif()
    set(same 0)
    if(NOT got STREQUAL "<undefined>" AND NOT want STREQUAL "<undefined>")
      same_value("${cc}" "${got}" "${want}" same)
    endif()
    if(NOT same)
      show_value("${got}" g)
      show_value("${want}" w)
      list(APPEND problems "  ${src}: ${m} is ${g}, lwipopts.h says ${w}")
    endif()
  endforeach()
endforeach()

if(DEFINED ONLY AND checked EQUAL 0)
  message(FATAL_ERROR "check-lwip-opts: ${ONLY}: not in ${CC_JSON} or includes no lwIP header")
endif()
if(NOT DEFINED ONLY AND checked EQUAL 0)
  message(FATAL_ERROR "check-lwip-opts: no translation unit with lwIP headers found in ${CC_JSON}")
endif()
if(problems)
  list(JOIN problems "\n" text)
  message(FATAL_ERROR "check-lwip-opts: FAILED. These translation units see other lwIP "
    "options than their lwipopts.h, so they would build an lwIP whose parts disagree "
    "(buffer sizes, structure layouts):\n${text}\n"
    "A file that includes lwIP's headers must not include a header that redefines "
    "these names (glibc's <netinet/tcp.h> defines TCP_MSS): move that code to "
    "another file.")
endif()
message(STATUS "check-lwip-opts: ${checked} translation units agree with lwipopts.h "
  "(${skipped} without lwIP headers skipped)")
if(DEFINED STAMP)
  file(TOUCH ${STAMP})
endif()
