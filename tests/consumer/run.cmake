# SPDX-License-Identifier: Apache-2.0
# Builds and runs tests/consumer against the source tree (add_subdirectory) or against an
# installed copy (cmake --install, then find_package). Run with cmake -P.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}")
  endif()
endfunction()
set(consumer_src "${SOURCE_DIR}/tests/consumer")
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/lib" -DCMAKE_CXX_COMPILER=${CXX}
      -DEPSLICE_BUILD_TESTS=OFF -DEPSLICE_BUILD_EXAMPLES=OFF -DEPSLICE_INSTALL=ON
      "-DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix")
  run(${CMAKE_COMMAND} --install "${WORK_DIR}/lib")
  run(${CMAKE_COMMAND} -S "${consumer_src}" -B "${WORK_DIR}/app" -DCMAKE_CXX_COMPILER=${CXX}
      -DEPSLICE_CONSUMER_MODE=find_package "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
else()
  run(${CMAKE_COMMAND} -S "${consumer_src}" -B "${WORK_DIR}/app" -DCMAKE_CXX_COMPILER=${CXX}
      -DEPSLICE_CONSUMER_MODE=add_subdirectory "-DEPSLICE_SOURCE_DIR=${SOURCE_DIR}")
endif()
run(${CMAKE_COMMAND} --build "${WORK_DIR}/app" -j2)
run("${WORK_DIR}/app/consumer")
