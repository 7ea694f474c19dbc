/**
 * The load generator and the {@code ./xin} command line, with the demo.
 */
package io.xin.loadgen;
