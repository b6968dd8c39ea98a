#include "render.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace ringtail::pets::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;

cv::Vec3b hsv_to_bgr(double hue_degrees, double saturation, double value) {
  hue_degrees = std::fmod(std::fmod(hue_degrees, 360.0) + 360.0, 360.0);
  const double c = value * saturation;
  const double h = hue_degrees / 60.0;
  const double x = c * (1.0 - std::fabs(std::fmod(h, 2.0) - 1.0));
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(h)) {
    case 0: r = c; g = x; break;
    case 1: r = x; g = c; break;
    case 2: g = c; b = x; break;
    case 3: g = x; b = c; break;
    case 4: r = x; b = c; break;
    default: r = c; b = x; break;
  }
  const double m = value - c;
  auto to8 = [m](double v) { return cv::saturate_cast<std::uint8_t>((v + m) * 255.0); };
  return {to8(b), to8(g), to8(r)};
}

cv::Vec3b muted_colour(Rng& rng) {
  return hsv_to_bgr(rng.uniform(0, 360), rng.uniform(0.0, 0.22), rng.uniform(0.3, 0.92));
}

std::vector<cv::Point> polygon(const std::vector<cv::Point2d>& unit, cv::Point2d centre,
                               double radius, double angle) {
  std::vector<cv::Point> points;
  const double c = std::cos(angle);
  const double s = std::sin(angle);
  for (const auto& p : unit) {
    points.emplace_back(static_cast<int>(std::lround(centre.x + radius * (p.x * c - p.y * s))),
                        static_cast<int>(std::lround(centre.y + radius * (p.x * s + p.y * c))));
  }
  return points;
}

std::vector<cv::Point2d> regular(int corners, double inner_ratio) {
  std::vector<cv::Point2d> unit;
  const int n = inner_ratio > 0 ? 2 * corners : corners;
  for (int i = 0; i < n; ++i) {
    const double a = 2.0 * kPi * i / n - kPi / 2;
    const double r = (inner_ratio > 0 && i % 2 == 1) ? inner_ratio : 1.0;
    unit.emplace_back(r * std::cos(a), r * std::sin(a));
  }
  return unit;
}

void draw_mask(cv::Mat1b& mask, Shape shape, cv::Point2d centre, double r, double angle, Rng& rng) {
  const cv::Scalar on(255);
  switch (shape) {
    case Shape::ellipse:
      cv::ellipse(mask, centre, cv::Size2d(r, r * rng.uniform(0.55, 0.72)), angle * 180 / kPi, 0,
                  360, on, cv::FILLED);
      return;
    case Shape::ring:
      cv::circle(mask, centre, static_cast<int>(r), on, cv::FILLED);
      cv::circle(mask, centre, static_cast<int>(r * 0.55), cv::Scalar(0), cv::FILLED);
      return;
    case Shape::rectangle: {
      const double a = rng.uniform(0.55, 0.72);
      cv::fillConvexPoly(mask, polygon({{-1, -a}, {1, -a}, {1, a}, {-1, a}}, centre, r, angle), on);
      return;
    }
    case Shape::diamond:
      cv::fillConvexPoly(mask, polygon({{-1, 0}, {0, -0.55}, {1, 0}, {0, 0.55}}, centre, r, angle), on);
      return;
    case Shape::triangle:
      cv::fillConvexPoly(mask, polygon(regular(3, 0), centre, r, angle), on);
      return;
    case Shape::hexagon:
      cv::fillConvexPoly(mask, polygon(regular(6, 0), centre, r, angle), on);
      return;
    case Shape::star: {
      const std::vector<std::vector<cv::Point>> star{polygon(regular(5, 0.42), centre, r, angle)};
      cv::fillPoly(mask, star, on);
      return;
    }
    case Shape::cross: {
      const double w = 0.3;
      const std::vector<std::vector<cv::Point>> cross{polygon(
          {{-w, -1}, {w, -1}, {w, -w}, {1, -w}, {1, w}, {w, w}, {w, 1}, {-w, 1}, {-w, w}, {-1, w},
           {-1, -w}, {-w, -w}},
          centre, r, angle)};
      cv::fillPoly(mask, cross, on);
      return;
    }
  }
}

double frac(double x) { return x - std::floor(x); }

// Whether the pattern's second colour covers the point (u, v), in periods.
bool marked(Pattern pattern, double u, double v) {
  switch (pattern) {
    case Pattern::solid: return false;
    case Pattern::stripes: return frac(u) < 0.5;
    case Pattern::dots: {
      const double du = frac(u) - 0.5;
      const double dv = frac(v) - 0.5;
      return du * du + dv * dv < 0.30 * 0.30;
    }
    case Pattern::checker:
      return (static_cast<long long>(std::floor(u)) + static_cast<long long>(std::floor(v))) % 2 != 0;
    case Pattern::grid: return frac(u) < 0.2 || frac(v) < 0.2;
  }
  return false;
}

void draw_background(cv::Mat& image, Rng& rng) {
  const cv::Vec3b a = muted_colour(rng);
  const cv::Vec3b b = muted_colour(rng);
  const double angle = rng.uniform(0, 2 * kPi);
  const double dx = std::cos(angle) / image.cols;
  const double dy = std::sin(angle) / image.rows;
  for (int y = 0; y < image.rows; ++y) {
    auto* row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x) {
      const double t = std::clamp(0.5 + (x - image.cols / 2.0) * dx + (y - image.rows / 2.0) * dy, 0.0, 1.0);
      for (int c = 0; c < 3; ++c) row[x][c] = cv::saturate_cast<std::uint8_t>(a[c] * (1 - t) + b[c] * t);
    }
  }
  // Clutter: small, unsaturated blobs and strokes, so "anything on the
  // background" is not the object.
  const int clutter = static_cast<int>(rng.between(3, 8));
  const int side = std::min(image.cols, image.rows);
  for (int i = 0; i < clutter; ++i) {
    const cv::Vec3b colour = muted_colour(rng);
    const cv::Scalar s(colour[0], colour[1], colour[2]);
    const cv::Point p(static_cast<int>(rng.between(0, image.cols - 1)),
                      static_cast<int>(rng.between(0, image.rows - 1)));
    const int extent = std::max(2, static_cast<int>(side * rng.uniform(0.03, 0.09)));
    if (rng.bernoulli(0.5)) {
      cv::circle(image, p, extent, s, cv::FILLED, cv::LINE_AA);
    } else {
      const cv::Point q(p.x + static_cast<int>(rng.between(-3 * extent, 3 * extent)),
                        p.y + static_cast<int>(rng.between(-3 * extent, 3 * extent)));
      cv::line(image, p, q, s, std::max(1, extent / 3), cv::LINE_AA);
    }
  }
}

}  // namespace

ClassLook class_look(int class_index) {
  const int shape = class_index % kShapes;
  const int pattern = (class_index / kShapes) % kPatterns;
  // 3 is coprime with kHues: the kShapes classes of one pattern get all hues.
  const int hue = (shape * 3 + pattern) % kHues;
  return {static_cast<Shape>(shape), static_cast<Pattern>(pattern), hue * 360.0 / kHues};
}

cv::Mat render_pet(int class_index, cv::Size size, Rng& rng) {
  const ClassLook look = class_look(class_index);
  cv::Mat image(size, CV_8UC3);
  draw_background(image, rng);

  const int side = std::min(size.width, size.height);
  const double r = side * rng.uniform(0.25, 0.38);
  const cv::Point2d centre(rng.uniform(0.75 * r, size.width - 0.75 * r),
                           rng.uniform(0.75 * r, size.height - 0.75 * r));
  const double angle = rng.uniform(0, 2 * kPi);
  cv::Mat1b mask = cv::Mat1b::zeros(size);
  draw_mask(mask, look.shape, centre, r, angle, rng);

  const double hue = look.hue_degrees + rng.uniform(-10, 10);
  const cv::Vec3b primary = hsv_to_bgr(hue, rng.uniform(0.6, 1.0), rng.uniform(0.65, 1.0));
  const cv::Vec3b second = rng.bernoulli(0.5)
                               ? hsv_to_bgr(rng.uniform(0, 360), rng.uniform(0.3, 1.0), rng.uniform(0.08, 0.28))
                               : hsv_to_bgr(rng.uniform(0, 360), rng.uniform(0.0, 0.15), rng.uniform(0.88, 1.0));
  const double period = r * rng.uniform(0.32, 0.45);
  const double phi = rng.uniform(0, kPi);
  const double cphi = std::cos(phi);
  const double sphi = std::sin(phi);
  const double u0 = rng.uniform(0, 1);
  const double v0 = rng.uniform(0, 1);
  // Soft light from one side, so solid objects are not flat colour.
  const double light = rng.uniform(0, 2 * kPi);
  const double lx = std::cos(light);
  const double ly = std::sin(light);
  for (int y = 0; y < size.height; ++y) {
    const auto* m = mask.ptr<std::uint8_t>(y);
    auto* row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size.width; ++x) {
      if (!m[x]) continue;
      const double px = x - centre.x;
      const double py = y - centre.y;
      const double u = (px * cphi + py * sphi) / period + u0;
      const double v = (-px * sphi + py * cphi) / period + v0;
      const double shade = 0.85 + 0.15 * (px * lx + py * ly) / r;
      const cv::Vec3b& colour = marked(look.pattern, u, v) ? second : primary;
      for (int c = 0; c < 3; ++c) row[x][c] = cv::saturate_cast<std::uint8_t>(colour[c] * shade);
    }
  }

  if (rng.bernoulli(0.3)) cv::GaussianBlur(image, image, cv::Size(3, 3), rng.uniform(0.5, 1.0));
  cv::Mat noise(size, CV_16SC3);
  cv::RNG cv_rng(rng.next_u64());
  cv_rng.fill(noise, cv::RNG::NORMAL, 0, rng.uniform(3, 8));
  cv::Mat wide;
  image.convertTo(wide, CV_16SC3);
  wide += noise;
  wide.convertTo(image, CV_8UC3);
  return image;
}

}  // namespace ringtail::pets::synth
