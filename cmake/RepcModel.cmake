# repc_add_model(TARGET name MODEL file.onnx [NAME sym] [WEIGHTS file]
#                [FLAGS ...])
#
# Compiles MODEL with repc at build time (--emit=obj) into a static library
# target `name` whose users get the generated header `sym.h` (default: the
# target name) on their include path and `int sym_run(const float *in,
# float *out)` to call. FLAGS go to repc as they are (--input-shape=...,
# --cpu=...). REPC_EXECUTABLE names the compiler; inside repc's own build it
# is the repc target.
#
# WEIGHTS writes the weights to that file (relative paths are in the
# current binary dir) instead of into the object (repc --weights=): the
# build produces it beside the library, the target's REPC_WEIGHTS_FILE
# property holds its full path, and `sym_run(const void *weights, ...)`
# takes its contents (sym.h: SYM_WEIGHTS_FILE, SYM_WEIGHTS_SIZE).
#
#   include(/path/to/repc/cmake/RepcModel.cmake)
#   repc_add_model(TARGET vgg MODEL ${CMAKE_SOURCE_DIR}/repvgg.onnx)
#   add_executable(app main.c)
#   target_link_libraries(app PRIVATE vgg)

include_guard(GLOBAL)
# Cached: a second include() from another directory is skipped by the
# guard, and plain variables would not reach that directory's calls.
set(REPC_RUNTIME_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR}/../runtime/include
    CACHE INTERNAL "repc's runtime headers")
set(REPC_OMP_LIBDIR /usr/lib/llvm-19/lib CACHE PATH
    "Where libomp is (Debian's libomp-19-dev)")

function(repc_add_model)
  cmake_parse_arguments(ARG "" "TARGET;MODEL;NAME;WEIGHTS" "FLAGS" ${ARGN})
  if(NOT ARG_TARGET OR NOT ARG_MODEL)
    message(FATAL_ERROR "repc_add_model: TARGET and MODEL are required")
  endif()
  if(NOT ARG_NAME)
    set(ARG_NAME ${ARG_TARGET})
  endif()
  if(TARGET repc)
    set(compiler $<TARGET_FILE:repc>)
    set(compiler_dep repc)
  elseif(REPC_EXECUTABLE)
    set(compiler ${REPC_EXECUTABLE})
    set(compiler_dep ${REPC_EXECUTABLE})
  else()
    message(FATAL_ERROR "repc_add_model: set REPC_EXECUTABLE to the repc binary")
  endif()
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}.repc)
  set(obj ${dir}/${ARG_NAME}.o)
  set(outputs ${obj} ${dir}/${ARG_NAME}.h)
  set(weights_flag)
  if(ARG_WEIGHTS)
    get_filename_component(weights ${ARG_WEIGHTS} ABSOLUTE
                           BASE_DIR ${CMAKE_CURRENT_BINARY_DIR})
    list(APPEND outputs ${weights})
    set(weights_flag --weights=${weights})
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${compiler} ${ARG_MODEL} --emit=obj --name=${ARG_NAME} -o ${obj}
            ${weights_flag} ${ARG_FLAGS}
    DEPENDS ${ARG_MODEL} ${compiler_dep}
    COMMENT "repc: compiling ${ARG_MODEL} into ${ARG_NAME}.o"
    VERBATIM)
  add_library(${ARG_TARGET} STATIC ${obj})
  set_target_properties(${ARG_TARGET} PROPERTIES LINKER_LANGUAGE C)
  if(ARG_WEIGHTS)
    set_target_properties(${ARG_TARGET} PROPERTIES REPC_WEIGHTS_FILE ${weights})
  endif()
  target_include_directories(${ARG_TARGET} INTERFACE ${dir}
                             ${REPC_RUNTIME_INCLUDE_DIR})
  target_link_directories(${ARG_TARGET} INTERFACE ${REPC_OMP_LIBDIR})
  target_link_libraries(${ARG_TARGET} INTERFACE omp m
                        "-Wl,-rpath,${REPC_OMP_LIBDIR}")
endfunction()
