/**
 * JMH benchmarks of Xin's hot paths; each class is named {@code <Subject>Benchmark}.
 */
package io.xin.bench;
