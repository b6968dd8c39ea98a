#include "ringtail/launcher/shell.h"

#include "ringtail/collectives/error.h"

namespace ringtail::launcher {

std::string shell_quote(const std::string& word) {
  if (word.empty()) return "''";
  const bool plain = word.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=/.,:@%") ==
                     std::string::npos;
  if (plain) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string shell_join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += shell_quote(w);
  }
  return out;
}

std::vector<std::string> split_shell_words(const std::string& text, const std::string& what) {
  std::vector<std::string> words;
  std::string current;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(current);
      current.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const auto close = text.find('\'', i + 1);
      if (close == std::string::npos) {
        throw Error(ErrorKind::invalid_argument, what + ": unterminated single quote in: " + text);
      }
      current += text.substr(i + 1, close - i - 1);
      i = close;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() &&
            std::string("\"\\$`").find(text[j + 1]) != std::string::npos) {
          ++j;
        }
        current += text[j];
      }
      if (j >= text.size()) {
        throw Error(ErrorKind::invalid_argument, what + ": unterminated double quote in: " + text);
      }
      i = j;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) {
        throw Error(ErrorKind::invalid_argument, what + ": a backslash ends: " + text);
      }
      current += text[++i];
    } else {
      current += c;
    }
  }
  if (in_word) words.push_back(current);
  return words;
}

}  // namespace ringtail::launcher
