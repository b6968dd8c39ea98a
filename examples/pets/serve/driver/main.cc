// ringtail_pets_serve_driver: `ringtail-pets serve` on its own, the same
// function behind a minimal main, so the tests and the load test run the real
// command (options, signals, exit status) without the rest of ringtail-pets.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options/errors.hpp>

#include "ringtail/pets/serve/serve_command.h"

int main(int argc, char** argv) {
  try {
    return ringtail::pets::cli::serve_command(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const boost::program_options::error& e) {
    std::cerr << "ringtail-pets serve: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ringtail-pets serve: error: " << e.what() << "\n";
    return 1;
  }
}
