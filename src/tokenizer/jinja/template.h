// A parsed Jinja template and its renderer. Runs as transformers runs chat templates: Jinja2's
// default Undefined, trim_blocks and lstrip_blocks on, loop controls (break/continue), an
// immutable sandbox (no list.append or dict.update), and the globals `raise_exception`,
// `strftime_now`, `namespace`, `range` and `dict`.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "tokenizer/jinja/value.h"

namespace anemll::tokenizer::jinja {

struct Stmt;

struct RenderOptions {
  // The time `strftime_now` formats (local time); unset: the current time.
  std::optional<std::time_t> now;
  // Bounds that keep any template from running away.
  size_t max_output_bytes = size_t{64} << 20;
  uint64_t max_steps = 20'000'000;  // statements, expressions and loop iterations evaluated
  uint64_t max_built_bytes = uint64_t{4} << 30;  // total size of strings built by operators and filters
  int max_call_depth = 64;          // nested macro calls
};

class Template {
 public:
  // `origin` names the template in error messages: "template <origin> line 12: ...".
  static Result<Template> Parse(std::string_view source, std::string origin);

  // `context` holds the template's variables (messages, add_generation_prompt, bos_token ...).
  Result<std::string> Render(const Dict& context, const RenderOptions& options = {}) const;

  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
  std::shared_ptr<const std::vector<std::unique_ptr<Stmt>>> body_;
};

}  // namespace anemll::tokenizer::jinja
