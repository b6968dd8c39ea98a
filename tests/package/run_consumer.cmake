# Installs the build into a fresh prefix, builds tests/package/consumer against
# it with find_package(Ringtail), and runs it on two ranks.
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${MPIRUN} ${MPIRUN_FLAGS} -np 2 ${WORK_DIR}/build/consumer)
file(REMOVE_RECURSE ${WORK_DIR})
