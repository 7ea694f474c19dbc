/**
 * People nearby: {@link io.xin.social.nearby.NearbyIndex} keeps each opted-in user's H3 cell and expiry, never a
 * coordinate, and answers pages of user ids with distance bands ({@link io.xin.social.nearby.DistanceBands});
 * {@link io.xin.social.nearby.NearbyLimits} rate-limits each user's reports and queries. Everything here is
 * single-threaded by design: one thread owns an index and its limits and calls every method; times are given by the
 * caller (or an injected clock), so tests and replays drive them.
 */
package io.xin.social.nearby;
