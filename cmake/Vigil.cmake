# Helpers shared by every module. Sources are globbed per folder so that adding a file
# to a module never needs a CMakeLists edit (and parallel work never conflicts on one).

# vigil_module(NAME DEPS dep...) builds src/NAME/*.cc into the static library vigil_NAME.
function(vigil_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cc)
  if(srcs)
    add_library(vigil_${name} STATIC ${srcs})
    target_include_directories(vigil_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(vigil_${name} PUBLIC ${M_DEPS})
  else()
    add_library(vigil_${name} INTERFACE)
    target_include_directories(vigil_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(vigil_${name} INTERFACE ${M_DEPS})
  endif()
  add_library(vigil::${name} ALIAS vigil_${name})
endfunction()

# vigil_unit_tests(NAME) builds tests/unit/NAME/*_test.cc into one GoogleTest binary
# unit_NAME linked against vigil_NAME, registered with ctest under the label "unit".
function(vigil_unit_tests name)
  file(GLOB srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/unit/${name}/*.cc)
  if(NOT srcs)
    return()
  endif()
  add_executable(unit_${name} ${srcs})
  target_link_libraries(unit_${name} PRIVATE vigil::${name} GTest::gmock GTest::gtest_main ${ARGN})
  # Helpers shared by the test binaries (scratch_dir.h).
  target_include_directories(unit_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
  target_compile_definitions(unit_${name} PRIVATE
    VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}" VIGIL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(unit_${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()
