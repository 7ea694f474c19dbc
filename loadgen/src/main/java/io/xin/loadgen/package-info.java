/**
 * The load generator: its scenarios, the bare relay it measures against, the demo, and
 * {@link io.xin.loadgen.LoadgenMain}, the main class of the processes it starts.
 */
package io.xin.loadgen;
