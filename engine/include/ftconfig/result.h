// Error values for the ftconfig engine.
//
// Expected failures (a bad request, a bad corpus row, an unknown model) are
// returned as values, never thrown. Every Error names the request field (or
// file:line) it concerns and says what was expected.
#ifndef FTCONFIG_RESULT_H_
#define FTCONFIG_RESULT_H_

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ftconfig {

enum class ErrorCode {
  kInvalidJson,       // input is not parseable JSON
  kInvalidType,       // a field has the wrong JSON type (string where a number belongs)
  kInvalidValue,      // a field has the right type but an unacceptable value
  kMissingField,      // a required field is absent
  kUnknownField,      // a field name the request schema does not know
  kUnknownPlatform,   // platform id/alias not in the catalog
  kUnknownPlan,       // plan not offered by the platform
  kUnknownGpu,        // GPU name not in the catalog
  kUnknownModel,      // model not in the catalog and no size given
  kUnknownTask,       // task type not canonical and no alias matches
  kDataError,         // bundled data (catalog, corpus) is malformed
  kUnsupported,       // a valid request the engine cannot serve (e.g. non-CUDA GPU)
  kInternal,          // a bug: an exception escaped into a guard
};

// Stable snake_case name of a code, e.g. "unknown_gpu". Used in JSON errors.
const char* ToString(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string field;    // request field or "file:line"; may be empty
  std::string message;  // one sentence: what was wrong and what is accepted
};

// Either a T or an Error. Cheap to move; never throws on access misuse in
// release builds beyond what std::variant does.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}    // NOLINT
  static Result Fail(ErrorCode code, std::string field, std::string message) {
    return Result(Error{code, std::move(field), std::move(message)});
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Propagates an error from an expression returning Result<U> into the
// enclosing function returning Result<T>.
#define FTCONFIG_ASSIGN_OR_RETURN(lhs, expr)              \
  auto lhs##_result_ = (expr);                            \
  if (!lhs##_result_.ok()) return lhs##_result_.error();  \
  auto lhs = std::move(lhs##_result_).value()

}  // namespace ftconfig

#endif  // FTCONFIG_RESULT_H_
