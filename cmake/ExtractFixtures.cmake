# Copies tests/fixtures/tokenizers into the build tree, unpacking every *.xz file.
# Usage: cmake -DSRC=<tests/fixtures> -DDST=<build/fixtures> -P ExtractFixtures.cmake
file(GLOB_RECURSE files RELATIVE ${SRC}/tokenizers ${SRC}/tokenizers/*)
foreach(rel ${files})
  get_filename_component(dir ${rel} DIRECTORY)
  file(MAKE_DIRECTORY ${DST}/tokenizers/${dir})
  if(rel MATCHES "\\.xz$")
    string(REGEX REPLACE "\\.xz$" "" out ${rel})
    execute_process(COMMAND xz -dc ${SRC}/tokenizers/${rel}
                    OUTPUT_FILE ${DST}/tokenizers/${out}.part RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "xz -dc ${rel} failed (${rc}); install xz-utils")
    endif()
    file(RENAME ${DST}/tokenizers/${out}.part ${DST}/tokenizers/${out})
  else()
    configure_file(${SRC}/tokenizers/${rel} ${DST}/tokenizers/${rel} COPYONLY)
  endif()
endforeach()
file(TOUCH ${DST}/.extracted)
