/**
 * Benchmarks of a session's handler on an embedded channel ({@code io.xin.core.session}), through its public API.
 */
package io.xin.bench.session;
