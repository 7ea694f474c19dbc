/**
 * Benchmarks of people nearby and shake (the social module's {@code NearbyIndex} and {@code ShakeMatcher}): location
 * updates and queries at a million located users, in a city and over a country, and shake pairings.
 */
package io.xin.bench.social;
