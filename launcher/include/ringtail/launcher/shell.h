#pragma once
// Shell words: quoting for the commands ringtail-run prints (--dry-run) and
// sends to remote shells, and splitting of --mpi-args and --rsh-agent.

#include <string>
#include <vector>

namespace ringtail::launcher {

// `word` quoted for a POSIX shell; left as is when it needs no quoting.
std::string shell_quote(const std::string& word);
// The words quoted and joined by spaces: a line a shell runs as these words.
std::string shell_join(const std::vector<std::string>& words);
// Splits like a POSIX shell without expansions: blanks separate words, single
// quotes, double quotes (with \" \\ \$ \`) and backslashes quote. Throws
// ringtail::Error (invalid_argument) naming `what` on an unterminated quote.
std::vector<std::string> split_shell_words(const std::string& text, const std::string& what);

}  // namespace ringtail::launcher
