/**
 * What the demo's cluster mode runs beside the switches: a local single-node Kafka in a child JVM.
 */
package io.xin.loadgen.cluster;
