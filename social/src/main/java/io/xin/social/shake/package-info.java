/**
 * Shake: {@link io.xin.social.shake.ShakeMatcher} pairs users who shake within a time window (and, optionally, a
 * distance) of each other, each at most once. Event-sourced and single-threaded by design: one thread owns the
 * matcher and feeds it shakes with their own timestamps, so the same sequence pairs the same shakes on any node.
 */
package io.xin.social.shake;
