// Includes <expected>. libstdc++ 12 declares std::expected only when the compiler claims
// __cpp_concepts >= 202002; clang 14-16 claim 201907 although they compile <expected>,
// so for clang (the fuzz build) the claim is raised for this one header only.
#ifndef VIGIL_BASE_EXPECTED_H_
#define VIGIL_BASE_EXPECTED_H_

#include <version>

#if defined(__clang__) && defined(__GLIBCXX__) && !defined(__cpp_lib_expected)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wbuiltin-macro-redefined"
#pragma push_macro("__cpp_concepts")
#undef __cpp_concepts
#define __cpp_concepts 202002L
#include <expected>
#pragma pop_macro("__cpp_concepts")
#pragma clang diagnostic pop
#else
#include <expected>
#endif

#endif  // VIGIL_BASE_EXPECTED_H_
