# Runs one memmap executable (through the emulator when cross compiling),
# writes its output to OUT and prints it. Fails the build if memmap fails.
# Usage: cmake -DEMULATOR=<a|b|c> -DEXE=<file> -DOUT=<file> -P memmap.cmake
string(REPLACE "|" ";" emu "${EMULATOR}")
execute_process(COMMAND ${emu} ${EXE}
  OUTPUT_FILE ${OUT}
  RESULT_VARIABLE rc)
file(READ ${OUT} text)
message("${text}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "memmap: ${EXE} failed (${rc})")
endif()
