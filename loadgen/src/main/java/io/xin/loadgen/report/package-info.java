/**
 * What a run measured and how it is told: latency histograms (HdrHistogram) sampled every second,
 * process CPU and memory from /proc, and the reports: a text summary, a JSON summary for scripts, the
 * HdrHistogram log and a self-contained HTML page with its plots drawn as inline SVG.
 */
package io.xin.loadgen.report;
