# Merges static archives into one (cmake -DAR= -DOUT= -DPARTS=a;b -P):
# an `ar -M` script: create OUT, addlib each part, save.
set(script "create ${OUT}\n")
foreach(p ${PARTS})
  string(APPEND script "addlib ${p}\n")
endforeach()
string(APPEND script "save\nend\n")
file(WRITE ${OUT}.mri "${script}")
file(REMOVE ${OUT})
execute_process(COMMAND ${AR} -M INPUT_FILE ${OUT}.mri RESULT_VARIABLE r)
if(NOT r EQUAL 0)
  message(FATAL_ERROR "mklib: ${AR} -M failed (${r})")
endif()
