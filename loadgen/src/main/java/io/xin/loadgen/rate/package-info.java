/**
 * Open-loop rates: when each message is meant to be sent, and whom it goes to. Latency is measured
 * from the intended send time, so a stalled sender or server cannot hide its stall (no coordinated
 * omission).
 */
package io.xin.loadgen.rate;
