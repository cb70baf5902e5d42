// Status / Result<T>: the error channel of every library layer.
// User input and file contents never reach an assert; they come back as a Status whose message
// names the operation, the file or tensor, and the offending values.
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace anemll {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad flag, bad shape, value out of range
  kNotFound,         // missing file, tensor, key
  kIoError,          // open/read/write/rename failed
  kFormatError,      // malformed or lying file contents
  kUnsupported,      // valid input we do not handle (unknown model_type, quantized checkpoint)
  kInternal,         // a bug in anemll
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Prefixes the message with more context: "loading model: " + message.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

namespace detail {
template <typename... Args>
std::string Concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

// StrCat("a", 1, 'b') -> "a1b"
template <typename... Args>
std::string StrCat(const Args&... args) {
  return detail::Concat(args...);
}

template <typename... Args>
Status InvalidArgument(const Args&... args) {
  return Status(StatusCode::kInvalidArgument, detail::Concat(args...));
}
template <typename... Args>
Status NotFound(const Args&... args) {
  return Status(StatusCode::kNotFound, detail::Concat(args...));
}
template <typename... Args>
Status IoError(const Args&... args) {
  return Status(StatusCode::kIoError, detail::Concat(args...));
}
template <typename... Args>
Status FormatError(const Args&... args) {
  return Status(StatusCode::kFormatError, detail::Concat(args...));
}
template <typename... Args>
Status Unsupported(const Args&... args) {
  return Status(StatusCode::kUnsupported, detail::Concat(args...));
}
template <typename... Args>
Status Internal(const Args&... args) {
  return Status(StatusCode::kInternal, detail::Concat(args...));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {    // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = Status(StatusCode::kInternal, "Result built from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace anemll

#define ANEMLL_CONCAT_INNER_(a, b) a##b
#define ANEMLL_CONCAT_(a, b) ANEMLL_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define ANEMLL_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::anemll::Status anemll_status_ = (expr);        \
    if (!anemll_status_.ok()) return anemll_status_; \
  } while (0)

// ANEMLL_ASSIGN_OR_RETURN(auto x, MakeX()); returns the error Status if MakeX() failed.
#define ANEMLL_ASSIGN_OR_RETURN(lhs, rexpr) \
  ANEMLL_ASSIGN_OR_RETURN_IMPL_(ANEMLL_CONCAT_(anemll_result_, __LINE__), lhs, rexpr)
#define ANEMLL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                  \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
