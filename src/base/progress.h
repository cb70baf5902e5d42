// Progress of long work: "step 3/8 convert FFN chunk 2  42%  ETA 0:17" redrawn in place on a
// terminal; silent when stderr is not a terminal (piped output stays clean).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace anemll {

class Progress {
 public:
  // `label` names the work, `total` counts its units (bytes, tensors, tokens).
  Progress(std::string label, uint64_t total);
  ~Progress();

  void Update(uint64_t done);
  void Advance(uint64_t delta) { Update(done_ + delta); }
  void Finish();

  // Whether progress is drawn (stderr is a terminal and not disabled).
  static bool Enabled();
  static void SetEnabled(bool enabled);

  // "1:02:03" / "2:03" formatting of a duration in seconds.
  static std::string FormatDuration(double seconds);

 private:
  void Draw(bool final);

  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace anemll
