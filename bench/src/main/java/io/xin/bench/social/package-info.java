/**
 * Benchmarks of the social layer: contact discovery (the social module's {@code io.xin.social.discovery}): the PRF
 * on both sides, the lookup of a book in a directory of ten million registrations, and the bytes a book costs on the
 * wire; people nearby and shake ({@code NearbyIndex} and {@code ShakeMatcher}): location updates and queries at a
 * million located users, in a city and over a country, and shake pairings.
 */
package io.xin.bench.social;
