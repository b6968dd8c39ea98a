#pragma once
// Writes a file so that a reader (or a run killed halfway) sees either the old
// file or the complete new one: the bytes go to a temporary file in the same
// folder, are flushed to disk, and the temporary file is renamed over the
// target.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ringtail::pets::train {

// `parts` are written one after the other. Throws ringtail::Error naming the
// file and `what` it is ("checkpoint", "model.json") on failure.
void write_file_atomically(const std::filesystem::path& file, const std::vector<std::string_view>& parts,
                           const std::string& what);

}  // namespace ringtail::pets::train
