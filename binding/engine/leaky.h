/*
 * darknet's leaky_activate, (x > 0) ? x : .1*x with .1 a double, in float:
 * one rule for the engine's loops that keep darknet's bits.
 */
#ifndef DARKNET_NAPI_LEAKY_H
#define DARKNET_NAPI_LEAKY_H

/* The negative side, (float)(.1 * (double)x): x / 10.0f gives the same float
 * for every one of the 2^32 inputs (x / 10 is never near enough to a float's
 * rounding boundary for .1's error or the double's rounding to move it
 * across; test/support/leaky-division.c checks them all), and a float
 * division costs less than two conversions and a double multiply. */
static inline float dn_leaky_tenth(float x) { return x / 10.0f; }

/* Both sides computed: a blend, so a loop of it vectorizes. */
static inline float dn_leaky(float x) {
  const float y = dn_leaky_tenth(x);
  return x > 0 ? x : y;
}

#endif
