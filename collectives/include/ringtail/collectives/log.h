#pragma once
// Leveled logging to stderr, one line per message, prefixed with the rank.
// The level and prefix are process-wide (set once by whoever reads the config);
// logging is rare, so a message below the level costs one atomic load.

#include <sstream>
#include <string>

namespace ringtail::log {

enum class Level { trace = 0, debug, info, warning, error, off };

Level level();
void set_level(Level level);
void set_rank(int rank);
const char* to_string(Level level);
bool parse_level(const std::string& name, Level* out);

void write(Level level, const std::string& message);

template <typename... Args>
void message(Level lvl, const Args&... args) {
  if (lvl < level()) return;
  std::ostringstream out;
  (out << ... << args);
  write(lvl, out.str());
}

template <typename... Args>
void debug(const Args&... args) { message(Level::debug, args...); }
template <typename... Args>
void info(const Args&... args) { message(Level::info, args...); }
template <typename... Args>
void warning(const Args&... args) { message(Level::warning, args...); }
template <typename... Args>
void error(const Args&... args) { message(Level::error, args...); }

}  // namespace ringtail::log
