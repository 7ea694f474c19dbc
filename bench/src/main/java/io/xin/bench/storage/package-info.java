/**
 * Benchmarks of the store ({@code io.xin.storage}) through its public API and its options for measurement.
 */
package io.xin.bench.storage;
