#pragma once
// Draws one synthetic "pet": an object whose shape, surface pattern and colour
// family identify its class, at a random place, size and rotation, on a
// cluttered, noisy background.

#include <opencv2/core.hpp>

#include "ringtail/pets/random.h"

namespace ringtail::pets::synth {

enum class Shape { ellipse, rectangle, triangle, star, cross, ring, diamond, hexagon };
enum class Pattern { solid, stripes, dots, checker, grid };
inline constexpr int kShapes = 8;
inline constexpr int kPatterns = 5;
inline constexpr int kHues = 8;

struct ClassLook {
  Shape shape;
  Pattern pattern;
  double hue_degrees;  // centre of the class's colour family
};

// Classes 0..kShapes*kPatterns-1 get distinct (shape, pattern) pairs; within one
// pattern all hues differ, so colour helps but never decides alone.
ClassLook class_look(int class_index);

// 8-bit BGR image of `size`.
cv::Mat render_pet(int class_index, cv::Size size, Rng& rng);

}  // namespace ringtail::pets::synth
