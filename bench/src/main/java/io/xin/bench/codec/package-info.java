/**
 * Benchmarks of the protocol's frame codec ({@code io.xin.protocol.codec}), through its public API.
 */
package io.xin.bench.codec;
