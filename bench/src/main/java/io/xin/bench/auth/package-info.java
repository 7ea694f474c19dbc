/**
 * Benchmarks of token verification (the switch's {@code io.xin.core.auth}), through its public API.
 */
package io.xin.bench.auth;
