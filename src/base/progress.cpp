#include "base/progress.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace anemll {
namespace {
std::atomic<int> g_enabled{-1};  // -1: decide from isatty
}

bool Progress::Enabled() {
  int e = g_enabled.load();
  if (e < 0) {
    e = ::isatty(STDERR_FILENO) ? 1 : 0;
    g_enabled = e;
  }
  return e == 1;
}

void Progress::SetEnabled(bool enabled) { g_enabled = enabled ? 1 : 0; }

std::string Progress::FormatDuration(double seconds) {
  if (seconds < 0) seconds = 0;
  long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), start_(std::chrono::steady_clock::now()), last_draw_() {
  Draw(false);
}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t done) {
  done_ = done > total_ ? total_ : done;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ > std::chrono::milliseconds(100)) Draw(false);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  done_ = total_;
  Draw(true);
}

void Progress::Draw(bool final) {
  if (!Enabled()) return;
  auto now = std::chrono::steady_clock::now();
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double frac = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  std::string eta = "--:--";
  if (final) {
    eta = FormatDuration(elapsed);
  } else if (frac > 0.0) {
    eta = FormatDuration(elapsed * (1.0 - frac) / frac);
  }
  std::fprintf(stderr, "\r\033[K%s %3d%% %s %s", label_.c_str(), static_cast<int>(frac * 100.0 + 1e-9),
               final ? "in" : "ETA", eta.c_str());
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace anemll
